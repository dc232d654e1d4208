"""Rank offsets searched for macro-F1 on out-of-fold probabilities (classifier/offsets.py)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from classifier.model import ComplaintModel
from classifier.offsets import macro_f1, out_of_fold_proba, search_offsets


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
