"""The scikit-learn contract for our transformers, and char n-grams equal to sklearn's char_wb."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.charngrams import WordCharNgrams, WordNgramTfidf
from classifier.normalise import TextNormalizer
from classifier.stemming import SastrawiStemmer

ESTIMATORS = [TextNormalizer(), SastrawiStemmer(), WordCharNgrams()]
# sklearn runs only its generic checks on string-input estimators (the numeric ones are skipped
# by its own rules), so the API checks that need no numeric data are run by name as well.
API_CHECKS = [
    ec.check_no_attributes_set_in_init,
    ec.check_estimator_repr,
    ec.check_parameters_default_constructible,
    ec.check_get_params_invariance,
    ec.check_set_params,
    ec.check_valid_tag_types,
    ec.check_estimator_tags_renamed,
    ec.check_do_not_raise_errors_in_init_or_set_params,
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_sklearn_api_checks(estimator, check) -> None:
    check(type(estimator).__name__, clone(estimator))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_fit_contract(estimator) -> None:
    texts = ["jalan rusak parah", "lampu pju mati", "sampah menumpuk di got"]
    est = clone(estimator)
    with pytest.raises(NotFittedError):
        est.transform(texts)
    params = est.get_params()
    assert est.fit(texts) is est
    assert est.get_params() == params
    learned = [k for k in vars(est) if k not in params and not k.startswith("_")]
    assert learned and all(k.endswith("_") for k in learned)
    if not isinstance(est, TextNormalizer):
        texts = TextNormalizer().fit(texts).transform(texts)
        est = clone(estimator).fit(texts)
    assert (
        len(
            list(est.transform(texts))
            if not hasattr(est, "tfidf_")
            else est.transform(texts).toarray()
        )
        == 3
    )


def test_char_ngrams_equal_sklearn_char_wb(corpus_rows) -> None:
    texts = TextNormalizer().fit([]).transform([r["text"] for r in corpus_rows])
    train, test = texts[:300], texts[300:] + ["kata baru sekali xyzzy", ""]
    ours = WordCharNgrams(ngram_range=(2, 4), min_df=2).fit(train)
    ref = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, lowercase=False
    ).fit(train)
    assert list(ours.get_feature_names_out()) == list(ref.get_feature_names_out())
    np.testing.assert_allclose(
        ours.transform(test).toarray(), ref.transform(test).toarray(), rtol=1e-5, atol=1e-6
    )


def test_char_ngrams_max_features_and_pickle(corpus_rows) -> None:
    texts = TextNormalizer().fit([]).transform([r["text"] for r in corpus_rows[:100]])
    model = WordCharNgrams(max_features=500).fit(texts)
    assert model.transform(texts).shape == (100, 500)
    clone = pickle.loads(pickle.dumps(model))
    assert (clone.transform(texts) != model.transform(texts)).nnz == 0


def test_word_ngram_fast_transform_equals_sklearn(corpus_rows) -> None:
    texts = TextNormalizer().fit([]).transform([r["text"] for r in corpus_rows])
    train, test = texts[:300], texts[300:] + ["", "kata"]
    settings = dict(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=False)
    ours = WordNgramTfidf(token_pattern=r"\S+", **settings).fit(train)
    assert ours._fast_path()
    ref = TfidfVectorizer(token_pattern=r"\S+", **settings).fit(train)
    np.testing.assert_allclose(ours.transform(test).toarray(), ref.transform(test).toarray())
    slow = WordNgramTfidf(lowercase=True).fit(train)
    assert not slow._fast_path()
    assert slow.transform(test).shape[0] == len(test)


def test_char_ngrams_unseen_word_cache_gives_same_output(corpus_rows) -> None:
    texts = TextNormalizer().fit([]).transform([r["text"] for r in corpus_rows])
    model = WordCharNgrams().fit(texts[:200])
    first = model.transform(texts[200:])
    assert "_cache" in vars(model)
    again = model.transform(texts[200:] + ["lagi kata qwertyuiop"])[: len(texts) - 200]
    assert (first != again).nnz == 0
    assert "_cache" not in pickle.loads(pickle.dumps(model)).__dict__
