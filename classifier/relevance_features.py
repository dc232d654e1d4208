"""Extra features for the relevance head only: is this short informal post a complaint?"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classifier.charngrams import WordNgramTfidf
from classifier.normalise import MARKERS

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
_MENTION, _URL, _NUM = MARKERS["mention"], MARKERS["url"], MARKERS["number"]
_MARKER_WORDS = frozenset(MARKERS.values())


# The shared features (``classifier.features``) are made for telling agencies and topics apart:
# their word n-grams drop stopwords, and among those are the words that say how a post addresses
# an office and whether it reports a problem or asks, thanks, greets ("mohon", "tolong", "bapak",
# "admin", "kapan", "kenapa", "sudah", "belum", "masih", "lagi", "terima kasih", "selamat").
# ``words``: the words of the normalised text, stopwords kept, not stemmed (unigrams: bigrams
# cost throughput and scored no better on validation, bench/README.md). ``cues``: the shape
# of the post (question mark, question word first, how many @mentions, a link, a retweet, an
# exclamation, a number, length band), as binary columns, from the raw and normalised text by
# plain string tests (a regex pass per post cost half the classifier's throughput).
def _cues(raw: str, normalised: str) -> list[int]:
    """Column indices (into CUES) that hold for one post: string tests on the raw text, the
    rest from its normalised words (classifier.normalise marks mentions, links, numbers)."""
    tokens = normalised.split()
    on = [0] if "?" in raw else []
    first = []
    for w in tokens:
        if w not in _MARKER_WORDS:
            first.append(w)
            if len(first) == 2:
                break
    if first and (first[0] in QUESTION_WORDS or (len(first) > 1 and first[1] in QUESTION_WORDS)):
        on.append(1)
    mentions = tokens.count(_MENTION) if _MENTION in normalised else 0
    on.append(2 + min(mentions, 3))
    if _URL in normalised and _URL in tokens:
        on.append(6)
    if raw.lstrip()[:3].upper() == "RT ":
        on.append(7)
    if "!" in raw:
        on.append(8)
    if _NUM in normalised and _NUM in tokens:
        on.append(9)
    n = len(tokens) - sum(tokens.count(m) for m in _MARKER_WORDS if m in normalised)
    on.append(10 if n <= 5 else 11 if n <= 12 else 12 if n <= 25 else 13)
    return on


class RelevanceCues(TransformerMixin, BaseEstimator):
    """Binary cue columns (``CUES``) of (raw text, normalised text) pairs, scaled by
    ``weight``."""

    def __init__(self, weight: float = 0.5) -> None:
        self.weight = weight

    def fit(self, X: Iterable[str], y: object = None) -> RelevanceCues:
        self.n_features_out_ = len(CUES)
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "n_features_out_")
        indptr, indices = [0], []
        for raw, normalised in X:
            found = _cues("" if raw is None else str(raw), normalised)
            indices.extend(found)
            indptr.append(len(indices))
        data = np.full(len(indices), self.weight, dtype=np.float32)
        shape = (len(indptr) - 1, len(CUES))
        return sp.csr_matrix((data, np.array(indices, dtype=np.int32), indptr), shape=shape)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"cue_{c}" for c in CUES], dtype=object)


def relevance_words(min_df: int = 2) -> WordNgramTfidf:
    """Word TF-IDF of normalised texts, stopwords kept, not stemmed."""
    return WordNgramTfidf(
        ngram_range=(1, 1),
        min_df=min_df,
        sublinear_tf=True,
        token_pattern=r"\S+",
        lowercase=False,
        dtype=np.float32,
    )
