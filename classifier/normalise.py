"""Text normalisation for informal Indonesian posts, as a scikit-learn transformer."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classifier._lexicon import informal_lexicon

__all__ = ["MARKERS", "TextNormalizer", "normalise_text"]

# Marker words are plain letters so that Sastrawi leaves them unchanged (no affix, not in its
# dictionary); they all start with "z", which no Indonesian word in the lexicon does.
MARKERS = {
    "url": "zurl",
    "mention": "zmention",
    "emoji": "zemoji",
    "number": "znum",
    "NIK": "znik",
    "TELEPON": "ztelepon",
    "EMAIL": "zemail",
}
MAX_CHARS = 20_000

_PLACEHOLDER = re.compile(r"\[(NIK|TELEPON|EMAIL)\]")
_URL = re.compile(r"(?:https?://|www\.)\S*", re.I)
_MENTION = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001f1e6-\U0001f1ff\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf"
    "\u2b00-\u2bff\ufe0f\u200d]+"
)
# One pass over the text: reduplication ("jalan2"), letter runs, numbers (with . or , groups).
_TOKEN = re.compile(r"[a-z]{2,}2(?![a-z0-9])|[a-z]+|\d+(?:[.,]\d+)*")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_MEMO_LIMIT = 500_000


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1).replace("_", " ")) + " "


def _prepare(text: object) -> str:
    """Markers, hashtags and emoji; returns lower-case text ready for tokenising."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    if not text.isascii():
        text = _EMOJI.sub(f" {MARKERS['emoji']} ", unicodedata.normalize("NFKC", text))
    if "[" in text:
        text = _PLACEHOLDER.sub(lambda m: f" {MARKERS[m.group(1)]} ", text)
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL.sub(f" {MARKERS['url']} ", text)
    if "@" in text:
        text = _MENTION.sub(f" {MARKERS['mention']} ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    return text.lower()


def _normalise_token(token: str, lexicon: dict[str, str]) -> str:
    if token[0].isdigit():
        return MARKERS["number"]
    if token.endswith("2") and len(token) > 2:
        word = _normalise_token(token[:-1], lexicon)
        return f"{word} {word}" if word else ""
    token = _REPEAT.sub(r"\1", token)
    return lexicon.get(token, token)


def _normalise(text: object, lexicon: dict[str, str], memo: dict[str, str]) -> str:
    out = []
    for token in _TOKEN.findall(_prepare(text)):
        word = memo.get(token)
        if word is None:
            word = _normalise_token(token, lexicon)
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
            memo[token] = word
        if word:
            out.append(word)
    return " ".join(out)


def normalise_text(text: str, *, lexicon: dict[str, str] | None = None) -> str:
    """Normalise one post; returns space-separated lower-case words (maybe empty)."""
    return _normalise(text, lexicon or {}, {})


# Lower-cases; replaces URLs, @mentions, emoji, numbers and the corpus placeholders ``[NIK]``
# ``[TELEPON]`` ``[EMAIL]`` with marker words; splits hashtags (``#JalanRusak`` -> ``jalan rusak``);
# collapses letters repeated three times or more (``sekaliiii`` -> ``sekali``); expands
# reduplication written with a 2 (``jalan2`` -> ``jalan jalan``); maps informal and regional words
# through the lexicon in ``classifier/lexicon/informal.tsv``. The output is space-separated
# ``[a-z]+`` words.
class TextNormalizer(TransformerMixin, BaseEstimator):
    """Maps raw post texts to normalised word strings (see module docstring).

    lexicon: apply the informal-word lexicon (True) or only the mechanical steps (False).
    """

    def __init__(self, lexicon: bool = True) -> None:
        self.lexicon = lexicon

    def fit(self, X: Iterable[str], y: object = None) -> TextNormalizer:
        self.lexicon_ = dict(informal_lexicon()) if self.lexicon else {}
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        check_is_fitted(self, "lexicon_")
        memo = self.__dict__.setdefault("_memo", {})
        table = self.lexicon_
        return [_normalise(t, table, memo) for t in X]

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_memo", None)  # per-process token memo, rebuilt on use
        return state

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags
