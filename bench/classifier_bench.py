"""Classifier benchmark on ../shared/data/surabaya: ours vs two baselines, one time-ordered split.

Train on complaints before 2023-01-01, test on 2023-01-01 .. 2023-03-31, min class size 30.
  (a) the common thesis pipeline: Sastrawi stemming + TF-IDF + MultinomialNB
  (b) TF-IDF word 1-2-grams + LinearSVC (confidence = largest decision value, for coverage only)
  ours: classifier.ComplaintModel as `aduan train` builds it (label cleaning, negatives)
Throughput on one core (CPU affinity 1 CPU, BLAS threads 1): cold = first predict after loading
the pickled model in this process with every stemming/normalising memo emptied; warm = the same
texts again, best of 5 passes. Relevance: trained with SmSA train + the profile's seed
non-complaints as negatives; recall on the test-month complaints, false-positive rate on
lapor_tweets Netral/Positif (a source left out of training) and on SmSA's test file.

    python bench/classifier_bench.py            # the comparison (several minutes on 1 core)
    python bench/classifier_bench.py --tune     # the ideas, scored on a validation split of the
                                                # training months only (Nov-Dec 2022)
    python bench/classifier_bench.py --tune --fold sep-oct   # train < 2022-09, validate Sep-Oct
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
DATA = (REPO / ".." / "shared" / "data").resolve()
SEED_NEGATIVES = REPO / "profiles" / "kupang" / "seed" / "non_complaints.csv"
SPLIT, TEST_END, VALID_FROM = "2023-01-01", "2023-04-01", "2022-11-01"
TARGETS = ("agency", "topic")
MIN_CLASS = 30
WARM_REPEATS = 5

from _classifier_ideas import IDEAS  # noqa: E402  (after the path set-up above)


def one_core() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def load_rows() -> list[dict]:
    from classifier.data import read_rows

    return read_rows(DATA / "surabaya" / "complaints.csv")[0]


def negatives(held_out: bool = True) -> list[str]:
    from classifier.data import read_negatives

    texts = read_negatives(DATA / "smsa" / "train_preprocess.tsv")
    if SEED_NEGATIVES.exists():
        texts += read_negatives(SEED_NEGATIVES)
    if not held_out:
        texts += read_negatives(DATA / "lapor_tweets" / "tweets_sentiment.csv")
    return texts


# -- baselines ---------------------------------------------------------------------------------
class ThesisBaseline:
    """(a) lower-case, Sastrawi stem (its factory stemmer), TF-IDF, MultinomialNB."""

    def fit(self, texts, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import MultinomialNB

        self.vec = TfidfVectorizer()
        self.nb = MultinomialNB().fit(self.vec.fit_transform(self._stem(texts)), y)
        self.classes_ = self.nb.classes_
        return self

    def _stem(self, texts):
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        if getattr(self, "_stemmer", None) is None:
            self._stemmer = StemmerFactory().create_stemmer()
        return [self._stemmer.stem(t) for t in texts]

    def confidence(self, texts):
        p = self.nb.predict_proba(self.vec.transform(self._stem(texts)))
        return self.classes_[p.argmax(1)], p.max(1)

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_stemmer"}


class SvcBaseline:
    """(b) TF-IDF word 1-2-grams + LinearSVC."""

    def fit(self, texts, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vec = TfidfVectorizer(ngram_range=(1, 2))
        self.svc = LinearSVC(random_state=0).fit(self.vec.fit_transform(texts), y)
        self.classes_ = self.svc.classes_
        return self

    def confidence(self, texts):
        d = self.svc.decision_function(self.vec.transform(texts))
        return self.classes_[d.argmax(1)], d.max(1)


def head_rows(rows, target, known):
    idx = [i for i, r in enumerate(rows) if r[target] in known]
    return idx, [rows[i][target] for i in idx]


def known_classes(rows, target):
    counts = Counter(r[target] for r in rows if r[target])
    return {c for c, n in counts.items() if n >= MIN_CLASS}


def score_baseline(cls, train, test) -> dict:
    from classifier.evaluate import head_metrics

    out = {"train_s": 0.0, "train_cpu_s": 0.0}
    texts = [r["text"] for r in test]
    for t in TARGETS:
        known = known_classes(train, t)
        idx, y = head_rows(train, t, known)
        start, cpu = time.perf_counter(), time.process_time()
        model = cls().fit([train[i]["text"] for i in idx], y)
        out["train_s"] += time.perf_counter() - start
        out["train_cpu_s"] += time.process_time() - cpu
        pred, conf = model.confidence(texts)
        out[t] = head_metrics([r[t] for r in test], list(pred), list(conf), known)
        out.setdefault("models", {})[t] = model
    return out


# -- ours --------------------------------------------------------------------------------------
def fit_ours(train, negs, params=None, seed=0):
    from classifier.train import DEFAULT_PARAMS, _apply_min_class_size, _fit, _key, clean_labels

    params = {**DEFAULT_PARAMS, **(params or {})}
    clean = params.pop("clean_labels", True)
    tau = params.pop("recency_tau_days", None)
    if clean:
        rows, _ = clean_labels(train, TARGETS, "text")
    else:
        rows = [{**r, **{t: (r[t] or None) for t in TARGETS}} for r in train if r["text"].strip()]
    for r in rows:
        r["text_"] = r["text"]
    labels = _apply_min_class_size(rows, TARGETS, MIN_CLASS)
    keys = {_key(r["text"]) for r in rows}
    negs = [n for n in dict.fromkeys(negs) if n.strip() and _key(n) not in keys]
    if tau is None:
        return _fit(rows, labels, negs, params, seed, None)
    return fit_recency_weighted(rows, labels, negs, params, seed, tau)


def fit_recency_weighted(rows, labels, negs, params, seed, tau):
    """Idea: rows weighted 0.5 + 0.5 exp(-age / tau) (age from the newest row, in days; mean
    weight over complaints 1); negatives weigh 1."""
    import numpy as np

    from classifier.model import ComplaintModel

    stamps = np.array([datetime.fromisoformat(r["created_at"]).timestamp() for r in rows])
    w = 0.5 + 0.5 * np.exp(-(stamps.max() - stamps) / 86400 / tau)
    weights = list(w / w.mean()) + [1.0] * len(negs)
    texts = [r["text_"] for r in rows] + negs
    head_labels = {t: list(col) + [None] * len(negs) for t, col in labels.items()}
    relevant = [True] * len(rows) + [False] * len(negs)
    model = ComplaintModel(**{**params, "random_state": seed})
    return model.fit(texts, head_labels, relevant, sample_weight=weights)


def score_ours(model, test) -> dict:
    from classifier.evaluate import head_metrics

    proba = model.predict_proba([r["text"] for r in test])
    out = {}
    for t, (predicted, confidence) in model.best(proba).items():
        gold = [r[t] for r in test]
        known = set(model.classes_[t])
        out[t] = head_metrics(gold, predicted, list(confidence), known)
        out[t].update(sure_at(gold, predicted, confidence, known, 0.95))
    return out, proba


def sure_at(gold, predicted, confidence, known, threshold) -> dict:
    """What a confidence threshold does (the auto-forward rule): the share of rows with a known
    gold label whose confidence reaches it, and how often those rows are right."""
    import numpy as np

    keep = np.array([g in known for g in gold])
    right = np.array([p == g for p, g in zip(predicted, gold, strict=True)])[keep]
    sure = np.asarray(confidence)[keep] >= threshold
    return {
        "sure_95": float(sure.mean()) if keep.any() else 0.0,
        "sure_95_accuracy": float(right[sure].mean()) if sure.any() else float("nan"),
    }


def throughput(model_bytes: bytes, texts: list[str], predict) -> tuple[float, float, float]:
    """(cold, warm, warm by CPU time) posts/s: cold = first call on a freshly unpickled model,
    memos emptied; the CPU-time figure is less sensitive to other load on the machine."""
    import joblib

    import classifier.stemming as stemming

    stemming._MEMO.clear()
    stemming.sastrawi_stemmer.cache_clear()
    model = joblib.load(io.BytesIO(model_bytes))
    start = time.perf_counter()
    predict(model, texts)
    cold = len(texts) / (time.perf_counter() - start)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(WARM_REPEATS):  # best of N, as timeit does: other load only adds time
        start, cpu = time.perf_counter(), time.process_time()
        predict(model, texts)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return cold, len(texts) / best, len(texts) / best_cpu


def dumps(obj) -> bytes:
    import joblib

    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


def relevance_figures(model, test_proba) -> dict:
    from classifier.data import read_negatives

    lapor = read_negatives(DATA / "lapor_tweets" / "tweets_sentiment.csv")
    smsa = read_negatives(DATA / "smsa" / "test_preprocess.tsv")
    rel = "relevance"
    return {
        "relevance_recall": float((test_proba[rel] >= 0.5).mean()),
        "fpr_lapor_tweets_heldout": float((model.predict_proba(lapor)[rel] >= 0.5).mean()),
        "fpr_smsa_test": float((model.predict_proba(smsa)[rel] >= 0.5).mean()),
    }


def compare() -> dict:
    one_core()
    rows = load_rows()
    train = [r for r in rows if r["created_at"] < SPLIT]
    test = [r for r in rows if SPLIT <= r["created_at"] < TEST_END]
    texts = [r["text"] for r in test]
    negs = negatives()
    results = {}
    for name, cls in (("thesis_nb", ThesisBaseline), ("tfidf_svc", SvcBaseline)):
        res = score_baseline(cls, train, test)
        models = res.pop("models")
        res["cold"], res["warm"], res["warm_cpu"] = throughput(
            dumps(models),
            texts,
            lambda ms, tx: [m.confidence(tx) for m in ms.values()],
        )
        results[name] = res
    start, cpu = time.perf_counter(), time.process_time()
    model = fit_ours(train, negs)
    train_s, train_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    ours, proba = score_ours(model, test)
    ours["train_s"], ours["train_cpu_s"] = train_s, train_cpu_s
    ours["cold"], ours["warm"], ours["warm_cpu"] = throughput(
        dumps(model), texts, lambda m, tx: m.predict_proba(tx)
    )
    ours.update(relevance_figures(model, proba))
    start, cpu = time.perf_counter(), time.process_time()
    fit_ours(rows, negatives(held_out=False))
    ours["train_whole_corpus_s"] = time.perf_counter() - start
    ours["train_whole_corpus_cpu_s"] = time.process_time() - cpu
    results["ours"] = ours
    return {"n_train": len(train), "n_test": len(test), **results}


def print_table(res: dict) -> None:
    names = ("thesis_nb", "tfidf_svc", "ours")
    print(f"train {res['n_train']} rows (< {SPLIT}), test {res['n_test']} rows (2023-01..03)")
    print(f"{'figure':<28}" + "".join(f"{n:>12}" for n in names))
    for t in TARGETS:
        for k in ("accuracy", "macro_f1", "coverage_at_95", "coverage_at_90"):
            print(f"{t + ' ' + k:<28}" + "".join(f"{res[n][t][k]:>12.3f}" for n in names))
    for k, label in (
        ("train_s", "training s"),
        ("train_cpu_s", "training CPU s"),
        ("cold", "posts/s cold"),
        ("warm", "posts/s warm"),
        ("warm_cpu", "posts/s warm (CPU time)"),
    ):
        print(f"{label:<28}" + "".join(f"{res[n][k]:>12.1f}" for n in names))
    for t in TARGETS:
        for k in ("sure_95", "sure_95_accuracy"):
            print(f"{t + ' ' + k:<28}{'':>24}{res['ours'][t][k]:>12.3f}")
    for k in ("relevance_recall", "fpr_lapor_tweets_heldout", "fpr_smsa_test"):
        print(f"{k:<28}{'':>24}{res['ours'][k]:>12.3f}")
    for k in ("train_whole_corpus_s", "train_whole_corpus_cpu_s"):
        print(f"{k:<28}{'':>24}{res['ours'][k]:>12.1f}")


def summary(res: dict) -> dict:
    out = {"n_train": res["n_train"], "n_test": res["n_test"]}
    for n in ("thesis_nb", "tfidf_svc", "ours"):
        for t in TARGETS:
            for k in ("accuracy", "macro_f1", "coverage_at_95"):
                out[f"{n}_{t}_{k}"] = round(res[n][t][k], 4)
        for k in ("train_s", "train_cpu_s", "cold", "warm", "warm_cpu"):
            out[f"{n}_{k}"] = round(res[n][k], 1)
    for t in TARGETS:
        for k in ("sure_95", "sure_95_accuracy"):
            out[f"ours_{t}_{k}"] = round(res["ours"][t][k], 4)
    for k in ("relevance_recall", "fpr_lapor_tweets_heldout", "fpr_smsa_test"):
        out[k] = round(res["ours"][k], 4)
    for k in ("train_whole_corpus_s", "train_whole_corpus_cpu_s"):
        out[f"ours_{k}"] = round(res["ours"][k], 1)
    return out


# -- ideas, on the validation split of the training months only -------------------------------
# a second validation split of the training months, to tell a gain from noise
FOLDS = {"nov-dec": (VALID_FROM, SPLIT), "sep-oct": ("2022-09-01", VALID_FROM)}


def tune(names: list[str] | None, fold: str = "nov-dec") -> dict:
    one_core()
    start, end = FOLDS[fold]
    rows = [r for r in load_rows() if r["created_at"] < SPLIT]
    train = [r for r in rows if r["created_at"] < start]
    valid = [r for r in rows if start <= r["created_at"] < end]
    negs = negatives()
    print(f"tuning: train {len(train)} rows (< {start}), validation {len(valid)} rows ({fold})")
    out = {}
    for name, params in IDEAS.items():
        if names and name not in names:
            continue
        start = time.perf_counter()
        # ideas are changes to the defaults WITHOUT the per-head overrides (the last idea)
        model = fit_ours(train, negs, {"head_params": None, **params})
        seconds = time.perf_counter() - start
        res, _ = score_ours(model, valid)
        out[name] = {"train_s": round(seconds, 1)}
        for t in TARGETS:
            for k in ("accuracy", "macro_f1", "coverage_at_95", "sure_95", "sure_95_accuracy"):
                out[name][f"{t}_{k}"] = round(res[t][k], 4)
        print(f"{name}: " + " ".join(f"{k}={v}" for k, v in out[name].items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="score the ideas on validation")
    parser.add_argument("--idea", action="append", help="only this idea (with --tune)")
    parser.add_argument("--fold", choices=sorted(FOLDS), default="nov-dec", help="with --tune")
    args = parser.parse_args()
    if not (DATA / "surabaya" / "complaints.csv").exists():
        sys.exit(f"shared data not found at {DATA}")
    if args.tune:
        print(json.dumps(tune(args.idea, args.fold)))
        return
    res = compare()
    print_table(res)
    print(json.dumps(summary(res)))


if __name__ == "__main__":
    main()
