"""Character n-gram TF-IDF computed word by word, as a transformer."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

__all__ = ["WordCharNgrams", "WordNgramTfidf"]

_UNSEEN_LIMIT = 200_000


def _doc_word_counts(
    docs: list[str], index: dict[str, int], unseen: dict[str, int]
) -> sp.csr_matrix:
    """Counts of words per document; words not in `index` are added to `unseen` (numbered on)."""
    indptr, indices = [0], []
    base = len(index)
    for doc in docs:
        for w in doc.split():
            j = index.get(w)
            if j is None:
                j = unseen.get(w)
                if j is None:
                    j = unseen[w] = base + len(unseen)
            indices.append(j)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    shape = (len(docs), base + len(unseen))
    m = sp.csr_matrix((data, np.array(indices, dtype=np.int64), np.array(indptr)), shape=shape)
    m.sum_duplicates()
    return m


# scikit-learn's ``analyzer="char_wb"`` builds the n-grams of each padded word of each document in
# Python, ~2,000 posts/s. The n-grams of a document are the sum of those of its words, so this
# transformer computes them once per distinct word: document-by-word counts (one dict lookup per
# word) times a word-by-ngram matrix (sparse product in C). Words unseen in training get their
# n-grams computed per batch. Output equals ``TfidfVectorizer(analyzer="char_wb")`` with the same
# settings (same sorted vocabulary), ~10x faster.
class WordCharNgrams(TransformerMixin, BaseEstimator):
    """TF-IDF of char_wb n-grams of space-separated words (input: normalised texts)."""

    def __init__(
        self,
        ngram_range: tuple[int, int] = (2, 4),
        min_df: int = 2,
        max_features: int | None = None,
        sublinear_tf: bool = True,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _ngrams_of(self, words: list[str]) -> sp.csr_matrix:
        if not words:
            return sp.csr_matrix((0, len(self.vocabulary_)), dtype=np.float32)
        vec = CountVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            lowercase=False,
            vocabulary=self.vocabulary_,
            dtype=np.float32,
        )
        return vec.transform(words).tocsr()

    def fit(self, X: Iterable[str], y: object = None) -> WordCharNgrams:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Iterable[str], y: object = None) -> sp.csr_matrix:
        docs = [str(x) for x in X]
        words: dict[str, int] = {}
        counts = _doc_word_counts(docs, {}, words)
        vec = CountVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            lowercase=False,
            dtype=np.float32,
        )
        word_ngrams = vec.fit_transform(list(words)).tocsr()
        doc_ngrams = (counts @ word_ngrams).tocsc()
        df = np.diff(doc_ngrams.indptr)
        keep = np.nonzero(df >= self.min_df)[0]
        if self.max_features is not None and len(keep) > self.max_features:
            totals = np.asarray(doc_ngrams[:, keep].sum(axis=0)).ravel()
            keep = np.sort(keep[np.argsort(-totals, kind="stable")[: self.max_features]])
        names = vec.get_feature_names_out()[keep]
        self.vocabulary_ = {str(n): i for i, n in enumerate(names)}
        self.word_index_ = words
        self.word_ngrams_ = word_ngrams[:, keep].tocsr()
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf)
        return self.tfidf_.fit_transform(doc_ngrams[:, keep].tocsr())

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "tfidf_")
        # Words unseen in training get their n-gram rows computed once per process and kept
        # (bounded) in a cache that is not pickled; the snapshot keeps concurrent calls safe.
        index, table = self.__dict__.get("_cache") or (self.word_index_, self.word_ngrams_)
        unseen: dict[str, int] = {}
        counts = _doc_word_counts([str(x) for x in X], index, unseen)
        if unseen:
            table = sp.vstack([table, self._ngrams_of(list(unseen))], format="csr")
            if len(index) + len(unseen) <= len(self.word_index_) + _UNSEEN_LIMIT:
                self._cache = ({**index, **unseen}, table)
        return self.tfidf_.transform(counts @ table)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_cache", None)
        return state

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


class WordNgramTfidf(TfidfVectorizer):
    r"""TfidfVectorizer over space-separated words with a faster ``transform``.

    Fitting is scikit-learn's; ``transform`` looks the n-grams up in one plain loop instead of
    sklearn's generic analyzer chain (same output, faster) when the settings allow it: word
    analyzer, ``token_pattern=r"\S+"``, no lower-casing, stop words, preprocessor or tokenizer
    (the text is already normalised). Other settings use sklearn's own transform.
    """

    def _fast_path(self) -> bool:
        return (
            self.analyzer == "word"
            and self.token_pattern == r"\S+"
            and not self.lowercase
            and self.stop_words is None
            and self.preprocessor is None
            and self.tokenizer is None
            and not self.binary
            and self.input == "content"
        )

    def transform(self, raw_documents) -> sp.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        if not self._fast_path():
            return super().transform(raw_documents)
        vocab = self.vocabulary_
        low, high = self.ngram_range
        indptr, indices = [0], []
        for doc in raw_documents:
            words = str(doc).split()
            n_words = len(words)
            for n in range(low, high + 1):
                if n == 1:
                    grams = words
                else:
                    grams = [" ".join(words[i : i + n]) for i in range(n_words - n + 1)]
                for g in grams:
                    j = vocab.get(g)
                    if j is not None:
                        indices.append(j)
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (np.ones(len(indices), dtype=self.dtype), np.array(indices, dtype=np.int64), indptr),
            shape=(len(indptr) - 1, len(vocab)),
        )
        counts.sum_duplicates()
        return self._tfidf.transform(counts, copy=False)
