"""One meaning per number: a prediction's alternatives are in its confidence's unit, and
``aduan classify`` prints every head's labels highest chance first, with a legend."""

from __future__ import annotations

import json

import numpy as np

from classifier.bundle import load_bundle
from classifier.chances import LEGEND_EN
from tests.classifier.test_cli import aduan  # noqa: F401

TEXTS = [
    "Jalan berlubang besar di depan SD mohon segera diperbaiki",
    "Sampah menumpuk di pasar sudah seminggu",
    "lampu jalan mati total",
]


def test_alternatives_go_through_the_same_calibrator_as_the_chosen_label(small_bundle):
    bundle = load_bundle(small_bundle)
    proba = bundle.model.predict_proba(TEXTS)
    order = bundle.model.rank(proba)
    calibrators = bundle.model.top_calibrators_
    assert calibrators, "the small bundle has top-label calibrators"
    for i, prediction in enumerate(bundle.predict(TEXTS)):
        for head, calibrator in calibrators.items():
            names = bundle.model.classes_[head]
            shown = prediction.heads[head].alternatives
            raw = [proba[head][i, names.index(label)] for label, _ in shown[1:]]
            expected = calibrator.predict(np.array(raw))
            assert np.allclose([p for _, p in shown[1:]], expected)
            assert [lab for lab, _ in shown] == [names[j] for j in order[head][i, :3]]


def test_classify_prints_the_likeliest_first_in_one_unit(aduan, small_bundle):  # noqa: F811
    code, out, _ = aduan("classify", "--model", str(small_bundle), TEXTS[0])
    assert code == 0 and LEGEND_EN in out
    for line in out.splitlines()[1:-1]:
        name, rest = line.strip().split(": ", 1)
        first = float(rest.split("(", 1)[1].split(")", 1)[0])
        others = [float(x.rsplit(" ", 1)[1]) for x in rest.split("also ", 1)[1].split(", ") if x]
        assert all(first >= p for p in others) and others == sorted(others, reverse=True), line
    code, out, _ = aduan("classify", "--model", str(small_bundle), "--json", TEXTS[1])
    for head in ("agency", "topic"):
        record = json.loads(out)[head]
        chances = [p for _, p in record["alternatives"]]
        assert chances == sorted(chances, reverse=True)
        assert record["alternatives"][0] == [record["label"], record["confidence"]]
