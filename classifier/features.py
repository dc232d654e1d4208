"""The text-to-features pipeline shared by every head: normalise, then word and char n-grams."""

from __future__ import annotations

from sklearn.pipeline import FeatureUnion, Pipeline

from classifier.charngrams import WordCharNgrams, WordNgramTfidf
from classifier.normalise import TextNormalizer
from classifier.stemming import SastrawiStemmer

__all__ = ["make_features"]


# Word n-grams are taken from stemmed, stopword-free text (topic words); character n-grams from the
# normalised text before stemming (spelling variants, Javanese affixes, slang the lexicon misses).
def make_features(
    *,
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] | None = (2, 4),
    char_max_features: int | None = None,
    min_df: int = 2,
) -> Pipeline:
    """Build the unfitted feature pipeline (raw texts in, sparse TF-IDF matrix out)."""
    parts = [
        (
            "words",
            Pipeline(
                [
                    ("stem", SastrawiStemmer()),
                    (
                        "tfidf",
                        WordNgramTfidf(
                            ngram_range=word_ngrams,
                            min_df=min_df,
                            sublinear_tf=True,
                            token_pattern=r"\S+",
                            lowercase=False,
                            dtype=_float32(),
                        ),
                    ),
                ]
            ),
        )
    ]
    if char_ngrams is not None:
        parts.append(
            (
                "chars",
                WordCharNgrams(
                    ngram_range=char_ngrams, min_df=min_df, max_features=char_max_features
                ),
            )
        )
    return Pipeline([("normalise", TextNormalizer()), ("union", FeatureUnion(parts))])


def _float32():
    import numpy as np

    return np.float32
