"""NB-SVM (LogCountRatioSVC) and label ranking with a prior correction (ComplaintModel.rank)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.model import ComplaintModel
from classifier.nbsvm import LogCountRatioSVC

TEXTS = [
    "jalan rusak berlubang parah",
    "aspal jalan rusak dan berlubang",
    "lampu pju mati sudah seminggu",
    "lampu jalan padam gelap",
    "sampah menumpuk di tps",
    "sampah tidak diangkut bau",
    "jalan berlubang dekat sekolah",
    "lampu mati di gang kami",
    "tumpukan sampah di sungai",
] * 3
LABELS = ["jalan", "jalan", "lampu", "lampu", "sampah", "sampah", "jalan", "lampu", "sampah"] * 3

# Ratios count in which rows a feature is present, so on dense data where every feature is
# present in every row they are all 0 and nothing is learned: the estimator is for sparse text
# features (and sklearn's check trains on such dense data). The sample-weight checks fail for
# LinearSVC itself (liblinear's weighted and repeated problems differ); sklearn lists them as
# expected failures for LinearSVC too.
EXPECTED_FAILURES = {
    "check_classifiers_train": "presence ratios are 0 on dense data where all features are present",
    "check_sample_weight_equivalence_on_dense_data": "as LinearSVC: liblinear weights != repeats",
    "check_sample_weight_equivalence_on_sparse_data": "as LinearSVC: liblinear weights != repeats",
}


@parametrize_with_checks(
    [LogCountRatioSVC(random_state=0)], expected_failed_checks=lambda _e: EXPECTED_FAILURES
)
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


def _tfidf():
    return TfidfVectorizer().fit_transform(TEXTS)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_power_zero_folds_back_to_plain_linear_svc(n_classes: int) -> None:
    # power 0 scales each feature by the sign of its ratio only; the SVM weights flip with it
    # and folding the scale back must give LinearSVC's own weights and decisions.
    X = _tfidf()
    y = np.array(LABELS)
    keep = np.isin(y, sorted(set(LABELS))[:n_classes])
    X, y = X[keep], y[keep]
    nb = LogCountRatioSVC(C=0.5, power=0.0, tol=1e-6, random_state=0).fit(X, y)
    svc = LinearSVC(C=0.5, tol=1e-6, random_state=0).fit(X, y)
    assert np.allclose(nb.coef_, svc.coef_, atol=1e-6)
    assert np.allclose(nb.decision_function(X), svc.decision_function(X), atol=1e-6)


def test_ratio_sign_follows_where_a_feature_is_present() -> None:
    vec = TfidfVectorizer().fit(TEXTS)
    nb = LogCountRatioSVC(random_state=0)
    nb.classes_ = np.array(sorted(set(LABELS)))
    X = vec.transform(TEXTS)
    ratios = nb._log_count_ratios(X, np.array(LABELS), np.ones(len(LABELS)))
    column = vec.vocabulary_["sampah"]
    assert ratios[column, list(nb.classes_).index("sampah")] > 0
    assert ratios[column, list(nb.classes_).index("jalan")] < 0


def test_learns_and_predicts_its_training_texts() -> None:
    nb = LogCountRatioSVC(random_state=0).fit(_tfidf(), LABELS)
    assert list(nb.predict(_tfidf())) == LABELS
    assert nb.coef_.shape == (3, _tfidf().shape[1])


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="1 class"):
        LogCountRatioSVC().fit(_tfidf(), ["a"] * len(TEXTS))


def _fitted_model(**params) -> ComplaintModel:
    # 4 rows of "lampu" against 12 of "jalan": prior 0.25 / 0.75
    texts = [f"jalan rusak nomor {i}" for i in range(12)] + [f"lampu mati {i}" for i in range(4)]
    labels = {"agency": ["jalan"] * 12 + ["lampu"] * 4}
    return ComplaintModel(char_ngrams=None, min_df=1, hierarchy=None, **params).fit(texts, labels)


def test_rank_without_prior_power_is_by_probability() -> None:
    model = _fitted_model()
    proba = {"agency": np.array([[0.6, 0.4], [0.3, 0.7]])}
    assert model.rank(proba)["agency"].tolist() == [[0, 1], [1, 0]]


def test_rank_with_prior_power_by_hand() -> None:
    # prior_power 1: scores log p - log prior. Row 0: jalan log(.6/.75) = -0.22, lampu
    # log(.4/.25) = 0.47 -> lampu first though less probable. Row 1: log(.9/.75) = 0.18 against
    # log(.1/.25) = -0.92 -> jalan first.
    model = _fitted_model(prior_power=1.0)
    assert model.classes_["agency"] == ["jalan", "lampu"]
    proba = {"agency": np.array([[0.6, 0.4], [0.9, 0.1]])}
    assert model.rank(proba)["agency"].tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize("head_model", ["svc", "nbsvm"])
def test_heads_of_either_model_give_probabilities(head_model: str) -> None:
    model = _fitted_model(head_model=head_model)
    p = model.predict_proba(["jalan rusak lagi", "lampu mati lagi"])["agency"]
    assert np.allclose(p.sum(axis=1), 1.0)
    assert p.argmax(axis=1).tolist() == [0, 1]


def test_unknown_head_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        _fitted_model(head_model="forest")
