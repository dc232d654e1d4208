"""Relevance benchmark on ../shared/data/bandung/tweets_2015_12.csv: is this post a complaint?

Split: every `near_dup_group` (retweets and near-copies) goes to the side of its first tweet's day;
the latest days (2015-12-30, 31) are the test; the rest train. Measured on one tweet per group.
  (a) the data team's recipe: `aduan train --data surabaya/complaints.csv --targets agency,topic
      --relevance-data <the tweets' training part>` (with the defaults: the profile's seed
      non_complaints.csv as negatives and seed/relevance*.csv as more relevance data)
  (b) the shipped Kupang default model (demo.run.default_model: profiles/kupang/seed/ only),
      and the same seed files with the relevance settings before the fourth round (bench/README.md)
      for throughput: throughput_ratio_vs_before = its cost per post / ours (target >= 0.8)
Each against a TF-IDF word 1-2 + char_wb 2-5 LinearSVC trained on the same rows in the same run,
and (a) also against the same baseline trained on the tweets' training part alone.
Precision, recall, F1 at the model's threshold, ROC AUC; relevance cost per post on one core.
Thresholds: in (a) each model's best-F1 threshold on a validation split of the training days
(train < 28 Dec, validate 28-29 Dec), ours also at the profile's; in (b) ours at the profile's
triage.relevance_threshold, the baseline at decision value 0.

    python bench/relevance_bench.py                  # the comparison on the test days
    python bench/relevance_bench.py --tune           # the ideas (bench/_relevance_ideas.py) on a
                                                     # validation split of the training days only
    python bench/relevance_bench.py --tune --fold 26-27
    python bench/relevance_bench.py --choose-threshold   # the profile's relevance threshold for
                                                     # recall >= 0.90 on the training days
    python bench/relevance_bench.py --ceiling        # what the training days allow: 5-fold
                                                     # group cross-validation of recipe (a)
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
DATA = (REPO / ".." / "shared" / "data").resolve()
TWEETS = DATA / "bandung" / "tweets_2015_12.csv"
PROFILE = REPO / "profiles" / "kupang"
TEST_FROM = "2015-12-30"
# validation splits carved from the training days (train on the days before, validate on these)
FOLDS = {"28-29": ("2015-12-28", TEST_FROM), "26-27": ("2015-12-26", "2015-12-28")}
REPEATS = 5

from _common import emit  # noqa: E402  (after the path set-up above)
from classifier_bench import one_core  # noqa: E402


# -- data ---------------------------------------------------------------------------------------
def load_tweets() -> list[dict]:
    """The tweets, each with `day` = the first day of its near-duplicate group."""
    from classifier.data import read_rows

    rows, _ = read_rows(TWEETS)
    first: dict[str, str] = {}
    for r in rows:
        g = r["near_dup_group"]
        first[g] = min(first.get(g, r["date"]), r["date"])
    for r in rows:
        r["day"] = first[r["near_dup_group"]][:10]
        r["is_complaint"] = r["label"] == "aduan"
    return rows


def split(rows: list[dict], start: str, end: str) -> tuple[list[dict], list[dict]]:
    """(rows of groups first seen before `start`, rows of groups first seen in [start, end))."""
    return [r for r in rows if r["day"] < start], [r for r in rows if start <= r["day"] < end]


def one_per_group(rows: list[dict]) -> list[dict]:
    """The earliest tweet of each near-duplicate group (what is measured)."""
    groups: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["date"]):
        groups.setdefault(r["near_dup_group"], r)
    return list(groups.values())


def write_relevance_csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label", "created_at", "label_3class"])
        for r in rows:
            writer.writerow([r["text"], r["label"], r["date"], r["label_3class"]])
    return path


def profile_threshold() -> float:
    from config.profile import load_profile

    return load_profile(PROFILE).triage.relevance_threshold


# -- baseline -----------------------------------------------------------------------------------
class SvcRelevance:
    """TF-IDF word 1-2-grams + char_wb 2-5-grams (lower-cased raw text) + LinearSVC."""

    def fit(self, texts: list[str], y: list[bool]) -> SvcRelevance:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union
        from sklearn.svm import LinearSVC

        self.vec = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        self.svc = LinearSVC(random_state=0).fit(self.vec.fit_transform(texts), y)
        return self

    def scores(self, texts: list[str]):
        return self.svc.decision_function(self.vec.transform(texts))


def figures(gold: list[bool], scores, threshold: float) -> dict:
    from classifier.evaluate import relevance_metrics

    return relevance_metrics(gold, scores, threshold)


def cost_us(score, texts: list[str]) -> float:
    """CPU microseconds per post of `score(texts)` on one core, best of REPEATS (after one
    pass; CPU time, so that other work on a shared machine does not count)."""
    score(texts)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        score(texts)
        best = min(best, time.process_time() - start)
    return best / len(texts) * 1e6


# -- (a) the data team's recipe -----------------------------------------------------------------
def recipe_a_scorers(train: list[dict], work: Path, params: dict | None = None) -> dict:
    """{name: texts -> scores} for ours and the baselines, each trained on `train` (+ the rows
    the recipe adds) in `work`; "train_cpu_s" is ours' training CPU time."""
    from classifier.bundle import load_bundle
    from classifier.data import read_negatives, read_rows
    from classifier.relevance_data import read_relevance_files
    from classifier.train import train_bundle
    from demo.run import seed_files

    work.mkdir(parents=True, exist_ok=True)
    surabaya = DATA / "surabaya" / "complaints.csv"
    _, negatives, seed_relevance = seed_files(PROFILE)  # what `aduan train` adds by default
    tweets_csv = write_relevance_csv(train, work / "tweets_train.csv")
    start = time.process_time()
    path = train_bundle(
        data_files=[surabaya],
        targets=["agency", "topic"],
        negatives=negatives,
        relevance_data=[tweets_csv, *seed_relevance],
        out_dir=work / "recipe_a",
        validation_fraction=0,
        params=params,
    )
    train_cpu = time.process_time() - start
    bundle = load_bundle(path)
    # the baseline on the same rows: complaints + seed negatives and comments + the tweets
    complaint_texts = [r["text"] for r in read_rows(surabaya)[0] if r["text"].strip()]
    neg_texts = [t for p in negatives for t in read_negatives(p)]
    seed_rows, _ = read_relevance_files(seed_relevance)
    same_x = complaint_texts + neg_texts + [r.text for r in seed_rows] + [r["text"] for r in train]
    same_y = [True] * len(complaint_texts) + [False] * len(neg_texts)
    same_y += [r.is_complaint for r in seed_rows] + [r["is_complaint"] for r in train]
    svc_same = SvcRelevance().fit(same_x, same_y)
    svc_tweets = SvcRelevance().fit([r["text"] for r in train], [r["is_complaint"] for r in train])
    return {
        "ours": lambda t: bundle.predict_proba(t)["relevance"],
        "svc_same_rows": svc_same.scores,
        "svc_tweets_only": svc_tweets.scores,
        "train_cpu_s": train_cpu,
    }


def recipe_a(train: list[dict], test: list[dict], work: Path) -> dict:
    """Each model at its best-F1 threshold on validation (trained on the days before the 28-29
    fold, scored on it), then retrained on all of `train` and read on `test`; ours also at the
    profile's threshold (chosen for the Kupang default, not for this recipe)."""
    start, end = FOLDS["28-29"]
    fit_rows, valid = split(train, start, end)
    valid = one_per_group(valid)
    early = recipe_a_scorers(fit_rows, work / "validation")
    valid_texts, valid_gold = [r["text"] for r in valid], [r["is_complaint"] for r in valid]
    chosen = {
        name: best_f1(valid_gold, early[name](valid_texts))[1]
        for name in ("ours", "svc_same_rows", "svc_tweets_only")
    }
    final = recipe_a_scorers(train, work / "final")
    texts, gold = [r["text"] for r in test], [r["is_complaint"] for r in test]
    out = {}
    for name, threshold in chosen.items():
        scores = final[name](texts)
        out[name] = figures(gold, scores, threshold)
        out[name]["cost_us_per_post"] = cost_us(final[name], texts)
        if name == "ours":
            out[name]["train_cpu_s"] = final["train_cpu_s"]
            out["ours_at_profile_threshold"] = figures(gold, scores, profile_threshold())
    return out


# -- (b) the shipped Kupang default -------------------------------------------------------------
def seed_complaint_rows() -> list[dict]:
    """The seed complaints the shipped default trains on (demo.run.default_model leaves out
    the latest ones, which the first `aduan run retrain` holds out), as train_bundle rows."""
    from demo.run import seed_files
    from training.dataset import split_file, train_rows_of

    complaints, _, _ = seed_files(PROFILE)
    targets = ["agency", "topic"]
    return train_rows_of([r for p in complaints for r in split_file(p, targets)[0]], targets)


def seed_training_rows() -> tuple[list[str], list[bool]]:
    """The rows the shipped default's relevance head learns from, as (texts, is_complaint)."""
    from classifier.data import read_negatives
    from classifier.relevance_data import read_relevance_files
    from demo.run import seed_files

    _, negatives, relevance = seed_files(PROFILE)
    texts = [r["text"] for r in seed_complaint_rows()]
    y = [True] * len(texts)
    for p in negatives:
        found = read_negatives(p)
        texts += found
        y += [False] * len(found)
    rows, _ = read_relevance_files(relevance)
    return texts + [r.text for r in rows], y + [r.is_complaint for r in rows]


# The relevance settings before the fourth round of bench/README.md (shared stemmed features,
# a 3-fold ensemble, every complaint row weighing 1) and the profile's threshold then: the
# "today's" side of the throughput target, trained on the same seed files in the same run.
BEFORE_THRESHOLD = 0.17


def before_params() -> dict:
    from classifier.train import DEFAULT_PARAMS

    heads = {k: v for k, v in DEFAULT_PARAMS["head_params"].items() if k != "relevance"}
    return {"relevance_features": None, "complaint_share": None, "head_params": heads}


def recipe_b_before(test: list[dict], work: Path) -> dict:
    from classifier.bundle import load_bundle
    from classifier.train import SEED_MIN_CLASS_SIZE, train_bundle
    from demo.run import seed_files

    _, negatives, relevance = seed_files(PROFILE)
    path = train_bundle(
        rows=seed_complaint_rows(),
        targets=["agency", "topic"],
        negatives=negatives,
        relevance_data=relevance,
        min_class_size=SEED_MIN_CLASS_SIZE,
        out_dir=work / "before",
        params=before_params(),
    )
    bundle = load_bundle(path)
    texts, gold = [r["text"] for r in test], [r["is_complaint"] for r in test]
    out = figures(gold, bundle.predict_proba(texts)["relevance"], BEFORE_THRESHOLD)
    out["cost_us_per_post"] = cost_us(lambda t: bundle.predict_proba(t)["relevance"], texts)
    return out


def recipe_b(test: list[dict], work: Path) -> dict:
    from classifier.registry import Registry
    from demo.run import default_model

    start = time.process_time()
    version, _ = default_model(PROFILE, work / "models")
    train_cpu = time.process_time() - start
    bundle = Registry(work / "models").load(version)
    texts, gold = [r["text"] for r in test], [r["is_complaint"] for r in test]
    ours = figures(gold, bundle.predict_proba(texts)["relevance"], profile_threshold())
    ours["train_cpu_s"] = train_cpu
    ours["cost_us_per_post"] = cost_us(lambda t: bundle.predict_proba(t)["relevance"], texts)
    ours["at_0.5"] = figures(gold, bundle.predict_proba(texts)["relevance"], 0.5)
    svc = SvcRelevance().fit(*seed_training_rows())
    base = figures(gold, svc.scores(texts), 0.0)
    base["cost_us_per_post"] = cost_us(svc.scores, texts)
    before = recipe_b_before(test, work)
    ours["throughput_ratio_vs_before"] = before["cost_us_per_post"] / ours["cost_us_per_post"]
    return {"ours": ours, "svc_same_rows": base, "ours_before_round_4": before}


def threshold_for_recall(gold, scores, recall: float = 0.90) -> float:
    """The highest threshold at which recall is at least `recall` (rounded down to 0.01)."""
    import numpy as np

    g = np.asarray(gold, dtype=bool)
    pos = np.sort(np.asarray(scores, dtype=float)[g])[::-1]
    k = int(np.ceil(recall * len(pos)))  # the k best-scored complaints must pass
    return float(np.floor(pos[k - 1] * 100) / 100) if len(pos) else 0.5


def choose_threshold(recall: float = 0.90) -> dict:
    """The shipped default's relevance threshold, chosen on the tweets of the training days
    (one per group, before TEST_FROM): recall >= `recall`; precision there is reported."""
    from classifier.registry import Registry
    from demo.run import default_model

    one_core()
    rows = one_per_group([r for r in load_tweets() if r["day"] < TEST_FROM])
    gold = [r["is_complaint"] for r in rows]
    with tempfile.TemporaryDirectory(prefix="relevance-threshold-") as tmp:
        version, _ = default_model(PROFILE, Path(tmp))
        scores = Registry(Path(tmp)).load(version).predict_proba([r["text"] for r in rows])
    threshold = threshold_for_recall(gold, scores["relevance"], recall)
    out = figures(gold, scores["relevance"], threshold)
    return {"n": len(rows), "chosen_threshold": threshold, **out}


def compare() -> dict:
    one_core()
    rows = load_tweets()
    train, test = split(rows, TEST_FROM, "9999")
    test = one_per_group(test)
    with tempfile.TemporaryDirectory(prefix="relevance-bench-") as tmp:
        a = recipe_a(train, test, Path(tmp))
        b = recipe_b(test, Path(tmp))
    return {"n_train": len(train), "n_test": len(test), "threshold": profile_threshold(), "a": a,
            "b": b}  # fmt: skip


def print_table(res: dict) -> None:
    print(
        f"train {res['n_train']} tweets (groups first seen < {TEST_FROM}), test {res['n_test']} "
        f"(one per group, {TEST_FROM}..31); ours at threshold {res['threshold']}"
    )
    cols = ("precision", "recall", "f1", "auc", "threshold", "cost_us_per_post")
    print(f"{'model':<34}" + "".join(f"{c:>18}" for c in cols))
    for recipe in ("a", "b"):
        for name, f in res[recipe].items():
            cells = "".join(f"{f[c]:>18.3f}" if f.get(c) is not None else f"{'':>18}" for c in cols)
            print(f"{'(' + recipe + ') ' + name:<34}{cells}")


def summary(res: dict) -> dict:
    out = {"n_train": res["n_train"], "n_test": res["n_test"], "threshold": res["threshold"]}
    for recipe in ("a", "b"):
        for name, f in res[recipe].items():
            keys = ("precision", "recall", "f1", "auc", "threshold", "cost_us_per_post")
            for k in (*keys, "train_cpu_s", "throughput_ratio_vs_before"):
                if f.get(k) is not None:
                    out[f"{recipe}_{name}_{k}"] = round(float(f[k]), 4)
        base = res[recipe]["svc_same_rows"]
        out[f"{recipe}_f1_ratio_vs_svc_same_rows"] = round(
            res[recipe]["ours"]["f1"] / base["f1"] if base["f1"] else float("nan"), 3
        )
    return out


# -- ideas, on a validation split of the training days ------------------------------------------
def tune(names: list[str] | None, fold: str) -> dict:
    from _relevance_ideas import IDEAS, fit_idea

    one_core()
    start, end = FOLDS[fold]
    rows = [r for r in load_tweets() if r["day"] < TEST_FROM]
    train, valid = split(rows, start, end)
    valid = one_per_group(valid)
    gold = [r["is_complaint"] for r in valid]
    print(f"tuning: train {len(train)} tweets (< {start}), validation {len(valid)} ({fold})")
    out = {}
    for name, idea in IDEAS.items():
        if names and name not in names:
            continue
        t0 = time.process_time()
        score = fit_idea(idea, train)
        seconds = time.process_time() - t0
        s = score([r["text"] for r in valid])
        f = figures(gold, s, idea.get("threshold", 0.0 if idea.get("baseline") else 0.5))
        best = best_f1(gold, s)
        out[name] = {k: round(v, 4) for k, v in f.items() if isinstance(v, float)}
        out[name].update(best_f1=round(best[0], 4), at=round(best[1], 3), cpu_s=round(seconds, 1))
        print(f"{name}: " + " ".join(f"{k}={v}" for k, v in out[name].items()), flush=True)
    return out


def ceiling(folds: int = 5) -> dict:
    """Recipe (a) and its baselines under group-aware cross-validation of the training days:
    every model trained on 4/5 of the groups (with the recipe's other rows) and scored on the
    rest, pooled over one tweet per group. Days are mixed, so this is kinder than a later-days
    test: an upper reference for the targets, never used to choose anything."""
    import numpy as np
    from sklearn.metrics import precision_recall_curve, roc_auc_score
    from sklearn.model_selection import GroupKFold

    one_core()
    rows = [r for r in load_tweets() if r["day"] < TEST_FROM]
    groups = [r["near_dup_group"] for r in rows]
    names = ("ours", "svc_same_rows", "svc_tweets_only")
    scores = {n: np.zeros(len(rows)) for n in names}
    with tempfile.TemporaryDirectory(prefix="relevance-ceiling-") as tmp:
        for k, (fit, held) in enumerate(GroupKFold(folds).split(rows, groups=groups)):
            scorers = recipe_a_scorers([rows[i] for i in fit], Path(tmp) / str(k))
            texts = [rows[i]["text"] for i in held]
            for n in names:
                scores[n][held] = scorers[n](texts)
            print(f"fold {k + 1}/{folds} done", file=sys.stderr, flush=True)
    first = sorted({g: i for i, g in reversed(list(enumerate(groups)))}.values())
    gold = np.array([rows[i]["is_complaint"] for i in first])
    out: dict = {"n": len(first), "folds": folds}
    for n in names:
        s = scores[n][first]
        p, r, _ = precision_recall_curve(gold, s)
        f = 2 * p * r / np.maximum(p + r, 1e-12)
        i = int(np.argmax(f[:-1]))
        out[n] = {
            "auc": float(roc_auc_score(gold, s)),
            "best_f1": float(f[i]),
            "precision_at_best_f1": float(p[i]),
            "recall_at_best_f1": float(r[i]),
            "best_precision_at_recall_0.90": float(p[r >= 0.90].max()),
        }
    return out


def best_f1(gold, scores) -> tuple[float, float]:
    """The best F1 over thresholds, and where (for reading an idea, not for choosing on it)."""
    import numpy as np
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(gold, scores)
    f = 2 * p * r / np.maximum(p + r, 1e-12)
    i = int(np.argmax(f[:-1]))
    return float(f[i]), float(t[i])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="score the ideas on validation")
    parser.add_argument("--idea", action="append", help="only this idea (with --tune)")
    parser.add_argument("--fold", choices=sorted(FOLDS), default="28-29", help="with --tune")
    parser.add_argument(
        "--choose-threshold",
        action="store_true",
        help="the shipped default's threshold for recall >= 0.90 on the training days",
    )
    parser.add_argument(
        "--ceiling", action="store_true", help="5-fold group cross-validation of the training days"
    )
    args = parser.parse_args()
    if not TWEETS.exists():
        sys.exit(f"shared data not found at {DATA}")
    if args.choose_threshold:
        emit(choose_threshold())
        return
    if args.ceiling:
        emit(ceiling())
        return
    if args.tune:
        print(json.dumps(tune(args.idea, args.fold)))
        return
    res = compare()
    print_table(res)
    emit(summary(res))


if __name__ == "__main__":
    main()
