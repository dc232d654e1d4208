"""Extra features for the relevance head only: is this short informal post a complaint?

The shared features (``classifier.features``) are made for telling agencies and topics apart:
their word n-grams drop stopwords, and among those are the words that say how a post addresses
an office and whether it reports a problem or asks, thanks, greets ("mohon", "tolong", "bapak",
"admin", "kapan", "kenapa", "sudah", "belum", "masih", "lagi", "terima kasih", "selamat").
``words``: word 1-2-grams of the normalised text, stopwords kept, not stemmed. ``cues``: the shape
of the raw post (question mark, question word first, how many @mentions, a link, a retweet, an
exclamation, a number, length band), as binary columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classifier.charngrams import WordNgramTfidf

__all__ = ["CUES", "RelevanceCues", "relevance_words"]

QUESTION_WORDS = frozenset(
    {"apa", "apakah", "kapan", "gimana", "bagaimana", "kenapa", "mengapa", "berapa", "dimana"}
    | {"mana", "siapa", "bisakah", "bolehkah", "adakah", "knp", "gmn", "brp", "kpn", "dmn"}
    | {"tanya", "nanya"}
)
CUES = (
    "question_mark",
    "question_word_first",
    "mention_0",
    "mention_1",
    "mention_2",
    "mention_3plus",
    "link",
    "retweet",
    "exclamation",
    "number",
    "words_1_5",
    "words_6_12",
    "words_13_25",
    "words_26plus",
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LINK = re.compile(r"https?://|www\.", re.I)


def _cues(text: str) -> list[int]:
    """Column indices (into CUES) that hold for one raw post."""
    on = []
    if "?" in text:
        on.append(0)
    body = re.sub(r"^(?:\s*(?:RT\s+)?@\w+:?)+", " ", text, flags=re.I)
    words = [w.lower() for w in _WORD.findall(body)]
    if words and (words[0] in QUESTION_WORDS or (len(words) > 1 and words[1] in QUESTION_WORDS)):
        on.append(1)
    mentions = text.count("@")
    on.append(2 + min(mentions, 3))
    if _LINK.search(text):
        on.append(6)
    if text.lstrip().upper().startswith("RT "):
        on.append(7)
    if "!" in text:
        on.append(8)
    if any(c.isdigit() for c in _LINK.sub(" ", text)):
        on.append(9)
    n = len(words)
    on.append(10 if n <= 5 else 11 if n <= 12 else 12 if n <= 25 else 13)
    return on


class RelevanceCues(TransformerMixin, BaseEstimator):
    """Binary cue columns (``CUES``) of raw post texts, scaled by ``weight``."""

    def __init__(self, weight: float = 0.5) -> None:
        self.weight = weight

    def fit(self, X: Iterable[str], y: object = None) -> RelevanceCues:
        self.n_features_out_ = len(CUES)
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "n_features_out_")
        indptr, indices = [0], []
        for text in X:
            found = _cues("" if text is None else str(text))
            indices.extend(found)
            indptr.append(len(indices))
        data = np.full(len(indices), self.weight, dtype=np.float32)
        shape = (len(indptr) - 1, len(CUES))
        return sp.csr_matrix((data, np.array(indices, dtype=np.int32), indptr), shape=shape)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"cue_{c}" for c in CUES], dtype=object)


def relevance_words(min_df: int = 2) -> WordNgramTfidf:
    """Word 1-2-gram TF-IDF of normalised texts, stopwords kept, not stemmed."""
    return WordNgramTfidf(
        ngram_range=(1, 2),
        min_df=min_df,
        sublinear_tf=True,
        token_pattern=r"\S+",
        lowercase=False,
        dtype=np.float32,
    )
