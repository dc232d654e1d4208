"""evaluate(): exact keys and figures checked against a small case computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.bundle import Bundle
from classifier.evaluate import coverage_at, evaluate

KEYS = {
    "n",
    "n_unknown_label",
    "n_labelled",
    "accuracy",
    "accuracy_all",
    "macro_f1",
    "coverage_at_95",
    "coverage_at_90",
}


class FixedModel:
    """Returns fixed probabilities per text: text 'i' -> row i of PROBA."""

    classes_ = {"agency": ["A", "B"]}

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba

    def predict_proba(self, texts):
        rows = [int(t) for t in texts]
        return {"agency": self.proba[rows], "relevance": np.ones(len(rows))}

    def rank(self, proba):
        return {"agency": np.argsort(-proba["agency"], axis=1, kind="stable")}

    def best(self, proba, order=None):
        top = (order or self.rank(proba))["agency"][:, 0]
        confidence = proba["agency"][np.arange(len(top)), top]
        return {"agency": ([self.classes_["agency"][j] for j in top], confidence)}


def test_coverage_by_hand() -> None:
    # sorted by confidence: .99 ok, .9 ok, .8 wrong, .7 ok, .6 ok -> running accuracy
    # 1, 1, 2/3, 3/4, 4/5. The LARGEST prefix meeting P counts, even after a dip below P.
    conf = [0.7, 0.99, 0.8, 0.6, 0.9]
    ok = [True, True, False, True, True]
    assert coverage_at(conf, ok, 0.95) == pytest.approx(2 / 5)
    assert coverage_at(conf, ok, 0.85) == pytest.approx(2 / 5)
    assert coverage_at(conf, ok, 0.78) == pytest.approx(5 / 5)
    assert coverage_at(conf, ok, 0.70) == pytest.approx(5 / 5)
    assert coverage_at(conf, [False] * 5, 0.9) == 0.0
    assert coverage_at([], [], 0.9) == 0.0


def test_evaluate_small_case_by_hand() -> None:
    # 6 rows: predictions A,A,B,B,A,A with confidences .9 .8 .95 .6 .7 .99; gold A,B,B,B,C,A
    # row 4's gold "C" is unknown to the head -> n_unknown_label 1; kept rows 0,1,2,3,5.
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.05, 0.95], [0.4, 0.6], [0.7, 0.3], [0.99, 0.01]])
    bundle = Bundle(FixedModel(proba), {"version": "t", "targets": ["agency"]})
    rows = [{"text": str(i), "agency": g} for i, g in enumerate("ABBBCA")]
    result = evaluate(bundle, rows=rows)
    assert set(result) == {"agency", "posts_per_s"}
    fig = result["agency"]
    assert set(fig) == KEYS
    assert fig["n"] == 6 and fig["n_unknown_label"] == 1
    # kept: gold A B B B A, pred A A B B A -> 4/5 correct
    assert fig["accuracy"] == pytest.approx(0.8)
    # accuracy_all: 4 correct of all 6 labelled rows (the unknown "C" counts as wrong)
    assert fig["n_labelled"] == 6
    assert fig["accuracy_all"] == pytest.approx(4 / 6)
    # F1(A) = 2*(2/3*1)/(2/3+1) = 0.8 ; F1(B) = 2*(1*2/3)/(1+2/3) = 0.8 -> macro 0.8
    assert fig["macro_f1"] == pytest.approx(0.8)
    # by confidence: .99 ok, .95 ok, .9 ok, .8 wrong, .6 ok -> 1,1,1,.75,.8
    assert fig["coverage_at_95"] == pytest.approx(3 / 5)
    assert fig["coverage_at_90"] == pytest.approx(3 / 5)
    assert result["posts_per_s"] > 0


def test_accuracy_all_skips_unlabelled_rows() -> None:
    # gold A, "", C, B: the empty label is not a row to judge; "C" is unknown -> wrong.
    # predicted A, A, A, B -> correct rows 0 and 3 of 3 labelled; accuracy on known rows 2/2.
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.2, 0.8]])
    bundle = Bundle(FixedModel(proba), {"version": "t", "targets": ["agency"]})
    rows = [{"text": str(i), "agency": g} for i, g in enumerate(["A", "", "C", "B"])]
    fig = evaluate(bundle, rows=rows)["agency"]
    assert fig["n"] == 4 and fig["n_labelled"] == 3 and fig["n_unknown_label"] == 2
    assert fig["accuracy"] == pytest.approx(1.0)
    assert fig["accuracy_all"] == pytest.approx(2 / 3)


def test_evaluate_json_keys_on_real_model(small_bundle, later_rows) -> None:
    from classifier.bundle import load_bundle

    result = evaluate(load_bundle(small_bundle), rows=later_rows)
    assert set(result) == {"agency", "topic", "posts_per_s"}
    for t in ("agency", "topic"):
        assert set(result[t]) == KEYS
        assert result[t]["n"] == len(later_rows)
        assert 0 <= result[t]["coverage_at_95"] <= result[t]["coverage_at_90"] <= 1
