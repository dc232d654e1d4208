"""The ideas `python bench/relevance_bench.py --tune` scores for the relevance head.

An idea is a dict: which rows train the relevance head and how (bench-only keys below), and
`params`, ComplaintModel parameters on top of classifier.train.DEFAULT_PARAMS. Only the relevance
head is fitted (no label heads: they do not change it). Results: bench/README.md.

  surabaya     Surabaya complaints as positives: True (all), False, or a number (a time-ordered
               sample of that many, the latest)
  seed         the profile's seed negatives (non_complaints.csv)
  seed_relevance  also seed/relevance*.csv (relevance data)
  complaint_share the complaints' total weight, as a share of the tweets' count
  smsa         that many SmSA train rows as negatives (0: none)
  lapor        lapor_tweets Netral/Positif as negatives
  respon       "keep" (label_3class respon = not a complaint, as labelled), "drop" (left out)
  tweet_weight sample weight of the tweets (others weigh 1)
  baseline     True: the TF-IDF word+char LinearSVC on the same rows instead of ours
  one_per_group  True: the earliest tweet of each near-duplicate group only
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SEED = REPO / "profiles" / "kupang" / "seed"


@cache
def _surabaya() -> tuple[str, ...]:
    from classifier.data import read_rows

    rows = sorted(read_rows(DATA / "surabaya" / "complaints.csv")[0], key=lambda r: r["created_at"])
    return tuple(r["text"] for r in rows if r["text"].strip())


@cache
def _seed() -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    from classifier.data import read_negatives
    from classifier.relevance_data import read_relevance_files

    negatives = tuple(read_negatives(SEED / "non_complaints.csv"))
    rows, _ = read_relevance_files(sorted(SEED.glob("relevance*.csv")))
    return negatives, tuple((r.text, r.is_complaint) for r in rows)


@cache
def _smsa() -> tuple[str, ...]:
    from classifier.data import read_negatives

    return tuple(read_negatives(DATA / "smsa" / "train_preprocess.tsv"))


@cache
def _lapor() -> tuple[str, ...]:
    from classifier.data import read_negatives

    return tuple(read_negatives(DATA / "lapor_tweets" / "tweets_sentiment.csv"))


def training_rows(idea: dict, tweets: list[dict]):
    """(texts, is_complaint, sample weights, in-domain mask) for an idea; in domain: the rows of
    relevance data (tweets, seed/relevance*.csv), as train_bundle marks them."""
    texts: list[str] = []
    y: list[bool] = []
    w: list[float] = []
    domain: list[bool] = []

    def add(items, label: bool, weight: float = 1.0, in_domain: bool = False) -> None:
        items = list(items)
        texts.extend(items)
        y.extend([label] * len(items))
        w.extend([weight] * len(items))
        domain.extend([in_domain] * len(items))

    surabaya = idea.get("surabaya", True)
    if surabaya:
        rows = _surabaya()
        rows = rows if surabaya is True else rows[-int(surabaya) :]
        share = idea.get("complaint_share")  # total weight of the complaints / tweets
        add(rows, True, share * len(tweets) / len(rows) if share else 1.0)
    if idea.get("seed", True):
        negatives, relevance = _seed()
        add(negatives, False)
        for text, flag in relevance if idea.get("seed_relevance") else ():
            add([text], flag, idea.get("seed_weight", 1.0), True)
    if idea.get("smsa"):
        add(_smsa()[: idea["smsa"]], False)
    if idea.get("lapor"):
        add(_lapor(), False)
    tw = idea.get("tweet_weight", 1.0)
    if idea.get("one_per_group"):
        from relevance_bench import one_per_group

        tweets = one_per_group(tweets)
    for r in tweets:
        if idea.get("respon", "keep") == "drop" and r["label_3class"] == "respon":
            continue
        add([r["text"]], r["is_complaint"], tw, True)
    return texts, y, w, domain


def fit_idea(idea: dict, tweets: list[dict]):
    """Fit the relevance head of an idea on the training tweets; returns texts -> scores."""
    texts, y, w, domain = training_rows(idea, tweets)
    if idea.get("baseline"):
        from relevance_bench import SvcRelevance

        return SvcRelevance().fit(texts, y).scores
    from classifier.model import RELEVANCE, ComplaintModel
    from classifier.train import DEFAULT_PARAMS

    params = {**DEFAULT_PARAMS, **idea.get("params", {})}
    model = ComplaintModel(**params).fit(texts, {}, y, sample_weight=w, in_domain=domain)
    return lambda t: model.predict_proba(t)[RELEVANCE]


IDEAS: dict[str, dict] = {
    "baseline: SVC on the tweets only": {"baseline": True, "surabaya": False, "seed": False},
    "baseline: SVC on the recipe's rows": {"baseline": True},
    "ours: tweets only": {"surabaya": False, "seed": False},
    "ours: recipe (a) as shipped (Surabaya + seed + tweets)": {},
}

REL = "relevance"


def _rel(**settings) -> dict:
    """params for a relevance-head change (per-head settings: classifier.model._head_settings)."""
    from classifier.train import DEFAULT_PARAMS

    return {"head_params": {**DEFAULT_PARAMS["head_params"], REL: settings}}


IDEAS.update(
    {
        "relevance class_weight balanced": {"params": _rel(class_weight="balanced")},
        "tweets weigh 5": {"tweet_weight": 5.0},
        "tweets weigh 10": {"tweet_weight": 10.0},
        "Surabaya: latest 2,000 only": {"surabaya": 2000},
        "no Surabaya (seed + tweets)": {"surabaya": False},
        "respon rows left out": {"respon": "drop"},
        "+ SmSA 3,000 negatives": {"smsa": 3000},
        "+ lapor_tweets Netral/Positif negatives": {"lapor": True},
        "relevance C=0.1": {"params": {"relevance_C": 0.1}},
        "relevance C=2": {"params": {"relevance_C": 2.0}},
        "relevance isotonic": {"params": _rel(calibration="isotonic")},
        "relevance NB-SVM": {"params": _rel(model="nbsvm")},
        "+ words with stopwords (relevance only)": {"params": {"relevance_features": "words"}},
        "+ cues (relevance only)": {"params": {"relevance_features": "cues"}},
        "+ words + cues": {"params": {"relevance_features": "words+cues"}},
    }
)

RECAL = {"relevance_recalibrate": True}
IDEAS.update(
    {
        "recalibrated on the relevance data": {"params": RECAL},
        "Surabaya weighs as much as the tweets in all": {"complaint_share": 1.0},
        "Surabaya weighs 1/4 of the tweets": {"complaint_share": 0.25},
        "Surabaya 1/4 + recalibrated": {"complaint_share": 0.25, "params": RECAL},
        "Surabaya 1/4 + lapor + recalibrated": {
            "complaint_share": 0.25,
            "lapor": True,
            "params": RECAL,
        },
        "Surabaya 1/4 + lapor + words+cues + recalibrated": {
            "complaint_share": 0.25,
            "lapor": True,
            "params": {**RECAL, "relevance_features": "words+cues"},
        },
        "Surabaya 1/4 + lapor + C=2 + recalibrated": {
            "complaint_share": 0.25,
            "lapor": True,
            "params": {**RECAL, "relevance_C": 2.0},
        },
        "ours: recipe (a) + seed relevance comments": {"seed_relevance": True},
    }
)

LAPOR_Q = {"complaint_share": 0.25, "lapor": True}
IDEAS.update(
    {
        "Surabaya 1/4 + lapor": LAPOR_Q,
        "Surabaya 1/4 + lapor + balanced": {**LAPOR_Q, "params": _rel(class_weight="balanced")},
        "Surabaya 1/4 + lapor + seed comments": {**LAPOR_Q, "seed_relevance": True},
        "Surabaya 1/4 + lapor + seed comments + balanced": {
            **LAPOR_Q,
            "seed_relevance": True,
            "params": _rel(class_weight="balanced"),
        },
        "Surabaya 1/4 + lapor + seed comments + balanced + words+cues": {
            **LAPOR_Q,
            "seed_relevance": True,
            "params": {**_rel(class_weight="balanced"), "relevance_features": "words+cues"},
        },
        "Surabaya 1/4 + lapor + seed comments + balanced, C=1": {
            **LAPOR_Q,
            "seed_relevance": True,
            "params": {**_rel(class_weight="balanced"), "relevance_C": 1.0},
        },
    }
)

# Fourth round: the relevance head without the shared stemmed, stopword-free words
OWN = {"seed_relevance": True}
CW = "chars+words"
IDEAS.update(
    {
        "seed comments (= shipped before the fourth round)": OWN,
        "chars only": {**OWN, "params": {"relevance_features": "chars"}},
        "chars + words": {**OWN, "params": {"relevance_features": CW}},
        "chars + words, complaint_share 0.25": {
            **OWN,
            "params": {"relevance_features": CW, "complaint_share": 0.25},
        },
        "chars + words + cues, complaint_share 0.25": {
            **OWN,
            "params": {"relevance_features": CW + "+cues", "complaint_share": 0.25},
        },
        "chars + words, complaint_share 0.25, C=1": {
            **OWN,
            "params": {"relevance_features": CW, "complaint_share": 0.25, "relevance_C": 1.0},
        },
        "chars + words, complaint_share 0.1": {
            **OWN,
            "params": {"relevance_features": CW, "complaint_share": 0.1},
        },
    }
)

NOENS = {"ensemble": False}
IDEAS.update(
    {
        "chars + words, one SVC (ensemble=False)": {
            **OWN,
            "params": {"relevance_features": CW, "head_params": {**_rel(**NOENS)["head_params"]}},
        },
        "chars + words, one SVC, complaint_share 0.25": {
            **OWN,
            "params": {"relevance_features": CW, "complaint_share": 0.25, **_rel(**NOENS)},
        },
        "chars + words, one SVC, complaint_share 0.25, C=1": {
            **OWN,
            "params": {
                "relevance_features": CW,
                "complaint_share": 0.25,
                "relevance_C": 1.0,
                **_rel(**NOENS),
            },
        },
        "shared features, one SVC": {**OWN, "params": _rel(**NOENS)},
    }
)
IDEAS["chars + words + cues, one SVC, complaint_share 0.25"] = {
    **OWN,
    "params": {"relevance_features": CW + "+cues", "complaint_share": 0.25, **_rel(**NOENS)},
}

DEFAULTS_NOW = {**OWN}  # relevance settings are DEFAULT_PARAMS since the fourth round
IDEAS.update(
    {
        "defaults (fourth round)": DEFAULTS_NOW,
        "defaults, one tweet per near-duplicate group": {**DEFAULTS_NOW, "one_per_group": True},
    }
)
