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


def test_alternatives_share_what_the_chosen_label_leaves(small_bundle):
    bundle = load_bundle(small_bundle)
    proba = bundle.model.predict_proba(TEXTS)
    order = bundle.model.rank(proba)
    assert bundle.model.top_calibrators_, "the small bundle has top-label calibrators"
    for i, prediction in enumerate(bundle.predict(TEXTS)):
        for head in bundle.model.top_calibrators_:
            names = bundle.model.classes_[head]
            shown = prediction.heads[head].alternatives
            chosen = shown[0][1]
            raw = proba[head][i]
            others = raw.sum() - raw[order[head][i, 0]]
            for label, chance in shown[1:]:
                share = (1 - chosen) * raw[names.index(label)] / others
                assert np.isclose(chance, min(share, chosen)), (head, label)
            assert sum(p for _, p in shown) <= 1 + 1e-9
            assert [lab for lab, _ in shown] == [names[j] for j in order[head][i, :3]]


def test_an_unlikely_alternative_is_not_lifted_to_the_calibrators_floor(small_bundle):
    """The top-label calibrator is flat below its first knot (e.g. 0.40 for the least sure
    block of first labels); a label with a probability of 0.001 must not be shown at 40%."""
    bundle = load_bundle(small_bundle)
    for prediction in bundle.predict(TEXTS):
        for head in bundle.model.top_calibrators_:
            floor = float(bundle.model.top_calibrators_[head].y[0])
            shown = prediction.heads[head].alternatives
            assert all(p <= 1 - shown[0][1] + 1e-9 for _, p in shown[1:])
            if shown[0][1] > 0.9:
                assert all(p < 0.1 for _, p in shown[1:]), (head, shown, floor)


def test_classify_prints_the_likeliest_first_in_one_unit(aduan, small_bundle):  # noqa: F811
    code, out, _ = aduan("classify", "--model", str(small_bundle), TEXTS[0])
    assert code == 0 and LEGEND_EN in out
    for line in out.splitlines()[1:-1]:
        name, rest = line.strip().split(": ", 1)
        first = float(rest.split("(", 1)[1].split("%)", 1)[0])  # percentages, as the legend says
        also = rest.split("also ", 1)[1].split(", ")
        others = [float(x.rsplit(" ", 1)[1].removesuffix("%")) for x in also if x]
        assert all(first >= p for p in others) and others == sorted(others, reverse=True), line
    code, out, _ = aduan("classify", "--model", str(small_bundle), "--json", TEXTS[1])
    for head in ("agency", "topic"):
        record = json.loads(out)[head]
        chances = [p for _, p in record["alternatives"]]
        assert chances == sorted(chances, reverse=True)
        assert record["alternatives"][0] == [record["label"], record["confidence"]]
