"""Routing benchmark on ../shared/data/surabaya: local offices by location, the Kupang default on
real complaints, and how fast it climbs with corrections. Ours and TF-IDF+LinearSVC, one run.

Split by time: train on complaints before 2023-01-01, test on 2023-01-01 .. 2023-03-31 (min class
size 30, as bench/classifier_bench.py). Reported:
  agency   accuracy_all (correct / every labelled test row: a label a model cannot produce is
           wrong) and macro-F1. Ours learns local offices as one class per level
           (profiles/kupang/agency_map_surabaya.yaml's local_offices rule) and routes them to the
           office of the row's kecamatan/kelurahan columns; the baseline learns office labels as
           they are (the 30-row minimum leaves most offices out).
  topic    accuracy (on the rows whose topic the model knows) and macro-F1.
  kupang   the Kupang default (trained from profiles/kupang/seed/complaints.csv, as `aduan demo`
           trains it) on the test months' complaints whose office maps onto a Kupang agency key;
           then the same model retrained with N = 0/100/300/1000 real corrections taken from the
           six months before the split, by time order (the latest N) and by the proposed order
           (the items the current model is least sure of, chosen in rounds of 100/200/700).
Settings (the seed weighting) are chosen with --tune on validation months inside the training
months (train < 2022-11-01, validate 2022-11..12), never on the test months.

    python bench/routing_bench.py           # the comparison (several minutes)
    python bench/routing_bench.py --tune    # seed weighting on the validation months
    python bench/routing_bench.py --ceiling # what the validation months allow: 5-fold
                                            # cross-validation inside them (optimistic)
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
DATA = (REPO / ".." / "shared" / "data").resolve()
KUPANG = REPO / "profiles" / "kupang"
AGENCY_MAP = KUPANG / "agency_map_surabaya.yaml"
SPLIT, TEST_END = "2023-01-01", "2023-04-01"
VALID_FROM = "2022-11-01"
POOL_MONTHS = 6  # corrections come from the months just before the split
CURVE = (0, 100, 300, 1000)
MIN_CLASS = 30
SEED_MIN_CLASS = 20  # classifier.train.SEED_MIN_CLASS_SIZE
# Chosen with --tune on the validation months (bench/README.md): seed rows weigh
# SEED_HALF / (SEED_HALF + n_real); None = every row weighs 1, which did best there.
SEED_HALF = None
HALVES = (None, 0, 30, 100, 300)  # --tune

from _common import emit  # noqa: E402
from classifier_bench import SvcBaseline, known_classes, one_core  # noqa: E402


def load_rows() -> list[dict]:
    from classifier.data import read_rows

    rows, _ = read_rows(DATA / "surabaya" / "complaints.csv")
    return sorted(rows, key=lambda r: r["created_at"])


def _months_before(date: str, months: int) -> str:
    year, month = int(date[:4]), int(date[5:7]) - months
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}-01"


# -- agency and topic on Surabaya's own labels -------------------------------------------------
def fit_ours(train: list[dict], rule, params: dict | None = None):
    from classifier.train import (
        DEFAULT_PARAMS,
        _apply_min_class_size,
        _fit,
        _fold_local_offices,
        clean_labels,
    )

    rows, _ = clean_labels(train, ("agency", "topic"), "text")
    for r in rows:
        r["text_"] = r["text"]
    _fold_local_offices(rows, rule, "agency")
    labels = _apply_min_class_size(rows, ("agency", "topic"), MIN_CLASS)
    return _fit(rows, labels, [], {**DEFAULT_PARAMS, **(params or {})}, 0, None)


def score_ours(model, test: list[dict], rule) -> dict:
    from classifier.evaluate import head_metrics
    from classifier.routing import location_of_row, route_labels, route_metrics

    proba = model.predict_proba([r["text"] for r in test])
    best = model.best(proba)
    predicted, confidence = best["agency"]
    gold = [r["agency"] for r in test]
    locations = [location_of_row(r) for r in test]
    agency = route_metrics(
        rule, gold, predicted, list(confidence), locations, model.classes_["agency"]
    )
    agency["routed"] = [rule.canonical(r.label) for r in route_labels(rule, predicted, locations)]
    classes = [rule.fold(g) for g in gold]
    agency["class_accuracy"] = head_metrics(
        classes, predicted, list(confidence), set(model.classes_["agency"])
    )["accuracy"]
    t_pred, t_conf = best["topic"]
    topic = head_metrics(
        [r["topic"] for r in test], t_pred, list(t_conf), set(model.classes_["topic"])
    )
    return {"agency": agency, "topic": topic}


def same_classes_macro_f1(rule, train, test, routed) -> float:
    """Ours' agency macro-F1 over the baseline's classes (offices with >= 30 training rows),
    on the rows whose gold office is one of them: the same label space for both."""
    from sklearn.metrics import f1_score

    known = {rule.canonical(c) for c in known_classes(train, "agency")}
    gold = [rule.canonical(r["agency"]) for r in test]
    rows = [i for i, g in enumerate(gold) if g in known]
    return float(
        f1_score(
            [gold[i] for i in rows],
            [routed[i] for i in rows],
            labels=sorted(known),
            average="macro",
            zero_division=0,
        )
    )


def score_baseline(train: list[dict], test: list[dict]) -> dict:
    from classifier.evaluate import head_metrics

    out = {}
    texts = [r["text"] for r in test]
    for target in ("agency", "topic"):
        known = known_classes(train, target)
        rows = [r for r in train if r[target] in known]
        model = SvcBaseline().fit([r["text"] for r in rows], [r[target] for r in rows])
        pred, conf = model.confidence(texts)
        out[target] = head_metrics([r[target] for r in test], list(pred), list(conf), known)
    return out


# -- the Kupang default and its learning curve -------------------------------------------------
SEED_FILE = KUPANG / "seed" / "complaints.csv"


def seed_rows() -> list[dict]:
    from classifier.data import read_rows

    return [{"text": r["text"], "agency": r["agency"]} for r in read_rows(SEED_FILE)[0]]


def mapped(rows: list[dict], amap) -> list[dict]:
    """Rows whose office maps onto a Kupang agency key, labelled with that key."""
    out = []
    for r in rows:
        key = amap.key(r["agency"])
        if key:
            out.append({"text": r["text"], "agency": key, "created_at": r["created_at"]})
    return out


def fit_kupang(corrections: list[dict], seed_half: float | None):
    """Agency head from the seeds + corrections; seed rows weigh seed_half / (seed_half + n)
    (None: every row weighs 1). The topic head is left out: agency does not depend on it."""
    from classifier.model import ComplaintModel
    from classifier.train import DEFAULT_PARAMS, _apply_min_class_size, clean_labels

    n = len(corrections)
    w_seed = 1.0 if seed_half is None or n == 0 else seed_half / (seed_half + n)
    seeds = seed_rows() if w_seed > 0 else []  # seed_half 0: real labels only
    rows, _ = clean_labels([*corrections, *seeds], ("agency",), "text")
    real = {" ".join(r["text"].lower().split()) for r in corrections}
    weights = [1.0 if " ".join(r["text"].lower().split()) in real else w_seed for r in rows]
    minimum = SEED_MIN_CLASS if n == 0 else min(SEED_MIN_CLASS, 5)
    labels = _apply_min_class_size(rows, ("agency",), minimum)
    params = {**DEFAULT_PARAMS, "random_state": 0}
    model = ComplaintModel(**params)
    return model.fit([r["text"] for r in rows], labels, None, sample_weight=weights)


def kupang_accuracy(model, test: list[dict]) -> float:
    proba = model.predict_proba([r["text"] for r in test])
    predicted, _ = model.best(proba)["agency"]
    return sum(p == r["agency"] for p, r in zip(predicted, test, strict=True)) / len(test)


def least_sure(model, pool: list[dict], taken: set[int], n: int) -> list[int]:
    """Indices of the n pool rows (not yet taken) with the lowest agency confidence."""
    free = [i for i in range(len(pool)) if i not in taken]
    if not free or n <= 0:
        return []
    proba = model.predict_proba([pool[i]["text"] for i in free])
    _, confidence = model.best(proba)["agency"]
    order = sorted(range(len(free)), key=lambda j: (confidence[j], j))
    return [free[j] for j in order[:n]]


def learning_curve(pool: list[dict], test: list[dict], seed_half) -> dict:
    """Accuracy on `test` after N corrections, by time order and by the proposed order."""
    out = {"time": {}, "least_sure": {}}
    for n in CURVE:
        picked = pool[len(pool) - n :] if n else []
        out["time"][n] = kupang_accuracy(fit_kupang(picked, seed_half), test)
    taken: list[int] = []
    model = fit_kupang([], seed_half)
    out["least_sure"][0] = kupang_accuracy(model, test)
    for n in CURVE[1:]:
        taken += least_sure(model, pool, set(taken), n - len(taken))
        model = fit_kupang([pool[i] for i in taken], seed_half)
        out["least_sure"][n] = kupang_accuracy(model, test)
    return out


# -- the runs ----------------------------------------------------------------------------------
def compare() -> dict:
    from classifier.agency_map import load_agency_map

    one_core()
    amap = load_agency_map(AGENCY_MAP)
    rule = amap.local_offices
    rows = load_rows()
    train = [r for r in rows if r["created_at"] < SPLIT]
    test = [r for r in rows if SPLIT <= r["created_at"] < TEST_END]
    start = time.perf_counter()
    ours = score_ours(fit_ours(train, rule), test, rule)
    ours["train_s"] = time.perf_counter() - start
    base = score_baseline(train, test)
    ours["agency"]["macro_f1_baseline_classes"] = same_classes_macro_f1(
        rule, train, test, ours["agency"].pop("routed")
    )
    k_test = mapped(test, amap)
    pool_from = _months_before(SPLIT, POOL_MONTHS)
    pool = mapped([r for r in train if r["created_at"] >= pool_from], amap)
    curve = learning_curve(pool, k_test, SEED_HALF)
    curve_equal = {"time": {n: learning_curve_point(pool, k_test, n) for n in (300,)}}
    return {
        "n_train": len(train),
        "n_test": len(test),
        "n_test_mapped": len(k_test),
        "n_pool": len(pool),
        "ours": ours,
        "baseline": base,
        "curve": curve,
        "curve_seeds_weight_1": curve_equal,
    }


def learning_curve_point(pool, test, n) -> float:
    return kupang_accuracy(fit_kupang(pool[len(pool) - n :], None), test)


def tune() -> dict:
    """Seed weighting on the validation months: pool = the six months before 2022-11-01."""
    from classifier.agency_map import load_agency_map

    one_core()
    amap = load_agency_map(AGENCY_MAP)
    rows = load_rows()
    valid = mapped([r for r in rows if VALID_FROM <= r["created_at"] < SPLIT], amap)
    pool_from = _months_before(VALID_FROM, POOL_MONTHS)
    pool = mapped([r for r in rows if pool_from <= r["created_at"] < VALID_FROM], amap)
    out = {}
    for half in HALVES:
        res = {
            n: kupang_accuracy(fit_kupang(pool[len(pool) - n :] if n else [], half), valid)
            for n in CURVE
        }
        out[str(half)] = res
        print(f"seed_half={half}: {res}", flush=True)
    return out


def _text_folds(rows: list[dict], folds: int) -> list[int]:
    """A fold per row; rows with the same normalised text share one, so no text is on both sides."""
    import random

    key = [" ".join(r["text"].lower().split()) for r in rows]
    distinct = sorted(set(key))
    random.Random(0).shuffle(distinct)
    fold_of = {t: i % folds for i, t in enumerate(distinct)}
    return [fold_of[k] for k in key]


def _agency_hits(train: list[dict], test: list[dict], rule) -> tuple[int, int]:
    """Right agency labels on `test` of ours (routed) and of the baseline, trained on `train`."""
    from classifier.routing import location_of_row, route_labels

    model = fit_ours(train, rule)
    predicted, _ = model.best(model.predict_proba([r["text"] for r in test]))["agency"]
    routed = route_labels(rule, predicted, [location_of_row(r) for r in test])
    ours = sum(
        rule.canonical(x.label) == rule.canonical(r["agency"])
        for x, r in zip(routed, test, strict=True)
    )
    known = known_classes(train, "agency")
    kept = [r for r in train if r["agency"] in known]
    svc = SvcBaseline().fit([r["text"] for r in kept], [r["agency"] for r in kept])
    pred, _ = svc.confidence([r["text"] for r in test])
    return ours, sum(p == r["agency"] for p, r in zip(pred, test, strict=True))


def ceiling(folds: int = 5) -> dict:
    """What the validation months (2022-11..12) allow: every model trained on all rows before them
    plus four fifths of their own rows (by text), scored on the fifth left out, pooled. Months are
    mixed, so the new programmes of the period are learnt: every figure is optimistic."""
    from classifier.agency_map import load_agency_map

    one_core()
    amap = load_agency_map(AGENCY_MAP)
    rule = amap.local_offices
    rows = load_rows()
    before = [r for r in rows if r["created_at"] < VALID_FROM]
    valid = [r for r in rows if VALID_FROM <= r["created_at"] < SPLIT]
    honest = _agency_hits(before, valid, rule)  # trained on the months before only
    print(f"trained before the months: ours {honest[0]}, baseline {honest[1]}", flush=True)
    fold, k_valid = _text_folds(valid, folds), mapped(valid, amap)
    k_fold, k_before = _text_folds(k_valid, folds), mapped(before, amap)
    hits = {"ours": 0, "baseline": 0, "kupang_all_rows": 0.0, "kupang_300_same_months": 0.0}
    for f in range(folds):
        train = before + [r for r, g in zip(valid, fold, strict=True) if g != f]
        test = [r for r, g in zip(valid, fold, strict=True) if g == f]
        ours, base = _agency_hits(train, test, rule)
        hits["ours"] += ours
        hits["baseline"] += base
        k_in = [r for r, g in zip(k_valid, k_fold, strict=True) if g != f]
        k_test = [r for r, g in zip(k_valid, k_fold, strict=True) if g == f]
        for name, corrections in (
            ("kupang_all_rows", k_before + k_in),
            ("kupang_300_same_months", k_in[-300:]),
        ):
            model = fit_kupang(corrections, SEED_HALF)
            hits[name] += kupang_accuracy(model, k_test) * len(k_test)
        print(f"fold {f}: {hits}", flush=True)
    return {
        "folds": folds,
        "n_valid": len(valid),
        "n_valid_mapped": len(k_valid),
        "honest_ours_agency_accuracy_all": honest[0] / len(valid),
        "honest_baseline_agency_accuracy_all": honest[1] / len(valid),
        "ceiling_ours_agency_accuracy_all": hits["ours"] / len(valid),
        "ceiling_baseline_agency_accuracy_all": hits["baseline"] / len(valid),
        "ceiling_kupang_all_mapped_rows": hits["kupang_all_rows"] / len(k_valid),
        "ceiling_kupang_300_same_months": hits["kupang_300_same_months"] / len(k_valid),
        "n_kupang_all_mapped_rows": len(k_before) + len(k_valid) * (folds - 1) // folds,
    }


def print_table(res: dict) -> None:
    o, b = res["ours"], res["baseline"]
    print(f"train {res['n_train']} rows (< {SPLIT}), test {res['n_test']} rows (2023-01..03)")
    print(f"{'figure':<34}{'baseline':>10}{'ours':>10}")
    for label, x, y in (
        ("agency accuracy_all", b["agency"]["accuracy_all"], o["agency"]["accuracy_all"]),
        ("agency accuracy (known labels)", b["agency"]["accuracy"], o["agency"]["accuracy"]),
        ("agency macro-F1 (its own classes)", b["agency"]["macro_f1"], o["agency"]["macro_f1"]),
        (
            "agency macro-F1 (baseline classes)",
            b["agency"]["macro_f1"],
            o["agency"]["macro_f1_baseline_classes"],
        ),
        ("topic accuracy", b["topic"]["accuracy"], o["topic"]["accuracy"]),
        ("topic macro-F1", b["topic"]["macro_f1"], o["topic"]["macro_f1"]),
        ("topic accuracy_all", b["topic"]["accuracy_all"], o["topic"]["accuracy_all"]),
    ):
        print(f"{label:<34}{x:>10.3f}{y:>10.3f}")
    print(
        f"ours: routed to a local office {o['agency']['n_routed_office']}, unknown location "
        f"{o['agency']['n_unknown_location']}, class accuracy {o['agency']['class_accuracy']:.3f}"
    )
    print(f"Kupang default on {res['n_test_mapped']} mapped test complaints; pool {res['n_pool']}")
    for order, points in res["curve"].items():
        print(f"  {order:<12}" + "  ".join(f"{n}: {a:.3f}" for n, a in points.items()))


def summary(res: dict) -> dict:
    o, b, c = res["ours"], res["baseline"], res["curve"]
    out = {
        "n_train": res["n_train"],
        "n_test": res["n_test"],
        "n_test_mapped": res["n_test_mapped"],
        "ours_agency_accuracy_all": o["agency"]["accuracy_all"],
        "baseline_agency_accuracy_all": b["agency"]["accuracy_all"],
        "ours_agency_macro_f1": o["agency"]["macro_f1"],
        "ours_agency_macro_f1_baseline_classes": o["agency"]["macro_f1_baseline_classes"],
        "baseline_agency_macro_f1": b["agency"]["macro_f1"],
        "ours_topic_accuracy": o["topic"]["accuracy"],
        "baseline_topic_accuracy": b["topic"]["accuracy"],
        "ours_topic_macro_f1": o["topic"]["macro_f1"],
        "ours_topic_accuracy_all": o["topic"]["accuracy_all"],
        "baseline_topic_accuracy_all": b["topic"]["accuracy_all"],
        "baseline_topic_macro_f1": b["topic"]["macro_f1"],
        "topic_accuracy_gain": o["topic"]["accuracy"] - b["topic"]["accuracy"],
        "kupang_default_mapped_accuracy": c["time"][0],
        "n_unknown_location": o["agency"]["n_unknown_location"],
        "seeds_weight_1_after_300": res["curve_seeds_weight_1"]["time"][300],
    }
    for order, points in c.items():
        for n, acc in points.items():
            out[f"kupang_after_{n}_{order}"] = acc
    out["targets_met"] = {
        "agency_accuracy_all>=0.90": o["agency"]["accuracy_all"] >= 0.90,
        "kupang_default>=0.75": c["time"][0] >= 0.75,
        "after_300>=0.85": max(c["time"][300], c["least_sure"][300]) >= 0.85,
        "topic>=baseline+0.03": o["topic"]["accuracy"] >= b["topic"]["accuracy"] + 0.03,
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="seed weighting on validation months")
    parser.add_argument("--seeds", type=Path, help="another seed complaints.csv (with --tune)")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="5-fold cross-validation inside the validation months",
    )
    args = parser.parse_args()
    if args.seeds:
        global SEED_FILE
        SEED_FILE = args.seeds
    if not (DATA / "surabaya" / "complaints.csv").exists():
        sys.exit(f"shared data not found at {DATA}")
    if args.tune:
        print(json.dumps(tune()))
        return
    if args.ceiling:
        emit(ceiling())
        return
    res = compare()
    print_table(res)
    emit(summary(res))


if __name__ == "__main__":
    main()
