"""What a head learns from its out-of-fold probabilities: rank offsets and top-label calibration."""

from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from classifier.model import ComplaintModel
from classifier.out_of_fold import (
    macro_f1,
    out_of_fold_proba,
    search_offsets,
    top_label_calibrator,
)
from tests.classifier.conftest import corpus_slice


def test_macro_f1_is_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        k = int(rng.integers(2, 8))
        y, pred = rng.integers(0, k, 40), rng.integers(0, k, 40)
        assert macro_f1(y, pred, k) == pytest.approx(f1_score(y, pred, average="macro"))


def _rows_with_own_feature(n: int = 30):
    """Class block (2 columns, noisy) + one column only row i has: a model that trained on row i
    gives that column a weight, one that did not gives it none."""
    rng = np.random.default_rng(0)
    y = np.array(["a", "b", "c"] * (n // 3))
    block = np.eye(3)[np.searchsorted(["a", "b", "c"], y)] + rng.normal(0, 0.4, (n, 3))
    return sp.hstack([sp.csr_matrix(block), sp.identity(n, format="csr")]).tocsr(), y


def test_each_row_is_scored_by_the_fold_model_that_never_saw_it() -> None:
    X, y = _rows_with_own_feature()
    head = CalibratedClassifierCV(LinearSVC(random_state=0), cv=3).fit(X, y)
    without_own = X.copy().tolil()
    without_own[:, 3:] = 0
    oof = out_of_fold_proba(head, X, y)
    assert oof.shape == (30, 3) and np.allclose(oof.sum(axis=1), 1)
    assert np.allclose(oof, out_of_fold_proba(head, without_own.tocsr(), y))
    # the in-sample ensemble average does use the rows' own columns
    assert not np.allclose(head.predict_proba(X), head.predict_proba(without_own.tocsr()))


def test_out_of_fold_needs_the_ensemble() -> None:
    X, y = _rows_with_own_feature()
    head = CalibratedClassifierCV(LinearSVC(random_state=0), cv=3, ensemble=False).fit(X, y)
    with pytest.raises(ValueError, match="ensemble=True"):
        out_of_fold_proba(head, X, y)


def test_search_lifts_a_label_the_probabilities_never_put_first() -> None:
    # label 1 is always second by 0.5 in log space when it is right: argmax never predicts it
    y = np.array([0] * 20 + [1] * 5)
    logp = np.where(y[:, None] == 0, [[0.0, -3.0]], [[0.0, -0.5]])
    proba = np.exp(logp) / np.exp(logp).sum(axis=1, keepdims=True)
    start = np.zeros(2)
    assert macro_f1(y, np.argmax(proba, axis=1), 2) < 0.5
    full = search_offsets(proba, y, start, shrink=0.0)
    assert (np.argmax(np.log(proba) + full, axis=1) == y).all()
    half = search_offsets(proba, y, start, shrink=0.5)
    assert np.allclose(half, full / 2)


def test_model_with_fitted_offsets_ranks_by_them_and_keeps_probabilities() -> None:
    texts = [f"jalan rusak nomor {i}" for i in range(10)]
    texts += [f"jalan rusak gelap nomor {i}" for i in range(10, 30)]
    labels = {"agency": ["pupr"] * 24 + ["pln"] * 6}
    common = {"char_ngrams": None, "min_df": 1, "hierarchy": None, "prior_power": 0.5}
    plain = ComplaintModel(**common).fit(texts, labels)
    fitted = ComplaintModel(**common, fit_offsets=True).fit(texts, labels)
    head, y = fitted.heads_["agency"], np.array(labels["agency"])
    prior = plain.rank_offsets_["agency"]
    oof = out_of_fold_proba(head, fitted.features_.transform(texts), y)
    expected = search_offsets(oof, np.searchsorted(head.classes_, y), prior)
    assert np.allclose(fitted.rank_offsets_["agency"], expected)
    proba = fitted.predict_proba(texts)
    assert np.allclose(proba["agency"], plain.predict_proba(texts)["agency"])
    top = fitted.rank(proba)["agency"][:, 0]
    by_hand = np.argmax(np.log(proba["agency"] + 1e-12) + expected, axis=1)
    assert top.tolist() == by_hand.tolist()


def test_top_label_calibrator_maps_confidence_to_how_often_it_was_right() -> None:
    # the head said 0.5 ten times (right 5 times) and 0.8 ten times (right every time)
    proba = np.array([[0.5, 0.5]] * 10 + [[0.8, 0.2]] * 10)
    top = np.zeros(20, dtype=int)
    y = np.array([0, 1] * 5 + [0] * 10)
    calibrator = top_label_calibrator(proba, y, top)
    # each block's share right, smoothed: (right + 1/2) / (rows + 1)
    high = 10.5 / 11
    assert calibrator.predict([0.5, 0.8]).tolist() == pytest.approx([0.5, high])
    assert calibrator.predict([0.1, 0.99]).tolist() == pytest.approx([0.5, high])
    # between the two blocks' mean confidences the map is a straight line: no ties made
    assert calibrator.predict([0.65])[0] == pytest.approx((0.5 + high) / 2)


def test_top_label_calibrator_never_says_none_or_all_of_a_few_rows_are_right() -> None:
    # four rows at 0.3, none right; four at 0.9, all right: not "0 of 100" nor "100 of 100"
    proba = np.array([[0.3, 0.7]] * 4 + [[0.9, 0.1]] * 4)
    y = np.array([1] * 4 + [0] * 4)
    calibrator = top_label_calibrator(proba, y, np.zeros(8, dtype=int))
    low, high = calibrator.predict([0.3, 0.9])
    assert low == pytest.approx(0.5 / 5) and high == pytest.approx(4.5 / 5)
    # a thousand rows, none right, still round to 0%: smoothing fades as evidence grows
    many = top_label_calibrator(
        np.array([[0.3, 0.7]] * 1000), np.ones(1000, int), np.zeros(1000, int)
    )
    assert many.predict([0.3])[0] < 0.001


def test_top_label_calibrator_pools_rows_out_of_order_and_keeps_order_elsewhere() -> None:
    # confidences .6 .7 .8 .9 right/wrong/right/right: .6 and .7 pool at 0.5 around x = .65
    proba = np.array([[0.6, 0.4], [0.7, 0.3], [0.8, 0.2], [0.9, 0.1]])
    y = np.array([0, 1, 0, 0])
    calibrator = top_label_calibrator(proba, y, np.zeros(4, dtype=int))
    assert calibrator.x.tolist() == pytest.approx([0.65, 0.85])
    assert calibrator.y.tolist() == pytest.approx([1.5 / 3, 2.5 / 3])
    values = calibrator.predict([0.7, 0.75, 0.8])
    assert np.all(np.diff(values) > 0)


def _agency_rows(limit: int, offset: int = 0, known: set | None = None):
    rows = corpus_slice(limit, offset)
    texts = [r["text"] for r in rows]
    return texts, [r["agency"] if known is None or r["agency"] in known else None for r in rows]


def test_confidence_on_later_complaints_means_what_it_says() -> None:
    """Trained on the 2,000 earliest complaints, on the next 600: the mean confidence is within
    0.03 of the accuracy (the class probability alone is under-confident), and tags at >= 0.95 are
    right at least 95% of the time."""
    texts, agency = _agency_rows(2000)
    known = {a for a, n in Counter(agency).items() if n >= 20}
    agency = [a if a in known else None for a in agency]
    model = ComplaintModel(char_ngrams=None, hierarchy=None, class_weight="balanced")
    model.fit(texts, {"agency": agency})
    later, gold = _agency_rows(600, offset=2000, known=known)
    later, gold = zip(*[(t, g) for t, g in zip(later, gold, strict=True) if g], strict=True)
    proba = model.predict_proba(later)
    labels, confidence = model.best(proba)["agency"]
    top = model.rank(proba)["agency"][:, 0]
    class_probability = proba["agency"][np.arange(len(top)), top]
    right = np.array(labels) == np.array(gold)
    gap = abs(confidence.mean() - right.mean())
    assert gap < 0.03
    assert gap < abs(class_probability.mean() - right.mean())
    sure = confidence >= 0.95
    assert sure.sum() >= 50 and right[sure].mean() >= 0.95


def test_without_top_label_calibration_the_confidence_is_the_class_probability() -> None:
    texts = [f"jalan rusak nomor {i}" for i in range(10)] + [f"lampu mati {i}" for i in range(10)]
    labels = {"agency": ["pupr"] * 10 + ["pln"] * 10}
    common = {"char_ngrams": None, "min_df": 1, "hierarchy": None}
    for model in (
        ComplaintModel(**common, top_label_calibration=False).fit(texts, labels),
        ComplaintModel(**common, ensemble=False).fit(texts, labels),
    ):
        proba = model.predict_proba(texts)
        _, confidence = model.best(proba)["agency"]
        assert np.allclose(confidence, proba["agency"].max(axis=1))


def test_a_head_blended_with_its_parent_keeps_its_class_probability() -> None:
    """The out-of-fold rows do not carry the topic->agency blend, so a calibrator fitted on them
    would map the wrong numbers: the blended head reports its (blended) class probability."""
    texts = [f"jalan rusak nomor {i}" for i in range(10)] + [f"lampu mati {i}" for i in range(10)]
    labels = {"topic": ["jalan"] * 10 + ["lampu"] * 10, "agency": ["pupr"] * 10 + ["pln"] * 10}
    model = ComplaintModel(char_ngrams=None, min_df=1, hierarchy_weight=0.5).fit(texts, labels)
    assert set(model.top_calibrators_) == {"topic"}
    proba = model.predict_proba(texts)
    _, confidence = model.best(proba)["agency"]
    assert np.allclose(confidence, proba["agency"].max(axis=1))
