"""Loads the data files in classifier/lexicon/ (informal-word lexicon, stopword lists)."""

from __future__ import annotations

from functools import cache
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files("classifier").joinpath("lexicon", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def informal_lexicon() -> dict[str, str]:
    """Informal or regional word -> standard form ('' means drop the word)."""
    table: dict[str, str] = {}
    for line in _lines("informal.tsv"):
        word, _, standard = line.partition("\t")
        table.setdefault(word.strip(), standard.strip())
    return table


@cache
def stopwords() -> frozenset[str]:
    """Sastrawi's stopword list plus ours, minus the words we keep (negations, 'rusak', ...)."""
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    words = set(StopWordRemoverFactory().get_stop_words())
    words |= {w.strip() for w in _lines("stopwords_extra.txt")}
    words -= {w.strip() for w in _lines("stopwords_keep.txt")}
    return frozenset(words)
