"""The ideas `python bench/classifier_bench.py --tune` scores: changes to the model's defaults.

Each idea is a dict of ComplaintModel parameters, applied to classifier.train.DEFAULT_PARAMS
WITHOUT its per-head overrides (head_params), plus two bench-only keys: clean_labels (False: no
label cleaning) and recency_tau_days (rows weighted by age). Results: bench/README.md.
"""

from classifier.train import DEFAULT_PARAMS

CHOSEN_TOPIC = {"calibration": "isotonic"}
IDEAS = {
    "words only (1-2), sigmoid": {"char_ngrams": None, "clean_labels": False},
    "+ char n-grams 2-4": {"clean_labels": False},
    "+ label cleaning": {},
    "isotonic calibration": {"calibration": "isotonic"},
    "class_weight balanced": {"class_weight": "balanced"},
    "C=0.25": {"C": 0.25},
    "C=1.0": {"C": 1.0},
    "topic->agency hierarchy w=0.3": {"hierarchy_weight": 0.3},
    "topic->agency hierarchy w=0.5": {"hierarchy_weight": 0.5},
    "char n-grams 2-5": {"char_ngrams": (2, 5)},
    "word 1-3-grams": {"word_ngrams": (1, 3)},
    "one SVC per head (ensemble=False)": {"ensemble": False},
    "topic: isotonic": {"head_params": {"topic": {"calibration": "isotonic"}}},
    "topic: isotonic, C=1": {"head_params": {"topic": {"calibration": "isotonic", "C": 1.0}}},
    "agency balanced; topic isotonic (= chosen defaults)": {
        "head_params": {"agency": {"class_weight": "balanced"}, "topic": CHOSEN_TOPIC},
    },
    "agency balanced; topic isotonic + balanced": {
        "head_params": {
            "agency": {"class_weight": "balanced"},
            "topic": {**CHOSEN_TOPIC, "class_weight": "balanced"},
        },
    },
    "agency balanced C=0.25; topic isotonic": {
        "head_params": {"agency": {"class_weight": "balanced", "C": 0.25}, "topic": CHOSEN_TOPIC},
    },
    "chars 2-5; agency balanced; topic isotonic": {
        "char_ngrams": (2, 5),
        "head_params": {"agency": {"class_weight": "balanced"}, "topic": CHOSEN_TOPIC},
    },
    "chars 2-5; agency balanced; topic isotonic; ensemble=False": {
        "char_ngrams": (2, 5),
        "ensemble": False,
        "head_params": {"agency": {"class_weight": "balanced"}, "topic": CHOSEN_TOPIC},
    },
}


# 2026-11 round: relative to the settings chosen above (agency balanced; topic isotonic)
BEFORE = {"agency": {"class_weight": "balanced"}, "topic": CHOSEN_TOPIC}
NB_AGENCY = {"class_weight": "balanced", "model": "nbsvm", "C": 0.3, "tol": 0.01}
NB_TOPIC = {**CHOSEN_TOPIC, "model": "nbsvm", "C": 0.1, "tol": 0.01}
IDEAS.update(
    {
        f"recency weights tau={tau}d; agency balanced; topic isotonic": {
            "recency_tau_days": tau,
            "head_params": BEFORE,
        }
        for tau in (90, 180, 365)
    }
)
IDEAS.update(
    {
        "agency balanced, prior_power 0.25; topic isotonic": {
            "head_params": {**BEFORE, "agency": {"class_weight": "balanced", "prior_power": 0.25}},
        },
        "agency balanced; topic isotonic, prior_power 0.25": {
            "head_params": {**BEFORE, "topic": {**CHOSEN_TOPIC, "prior_power": 0.25}},
        },
        "agency NB-SVM C=0.3 balanced; topic isotonic": {
            "head_params": {**BEFORE, "agency": NB_AGENCY},
        },
        "agency balanced; topic NB-SVM C=0.1 isotonic": {
            "head_params": {**BEFORE, "topic": NB_TOPIC},
        },
        "agency balanced; topic NB-SVM C=0.1 isotonic, prior_power 0.25 (= new defaults)": {
            "head_params": {**BEFORE, "topic": {**NB_TOPIC, "prior_power": 0.25}},
        },
        "agency balanced; topic NB-SVM C=0.3 isotonic, prior_power 0.25": {
            "head_params": {**BEFORE, "topic": {**NB_TOPIC, "C": 0.3, "prior_power": 0.25}},
        },
        "agency NB-SVM C=0.3 balanced; topic NB-SVM C=0.1 isotonic, prior_power 0.25": {
            "head_params": {"agency": NB_AGENCY, "topic": {**NB_TOPIC, "prior_power": 0.25}},
        },
        "new defaults, ensemble=False (one model per head: faster scoring)": {
            "ensemble": False,
            "head_params": {**BEFORE, "topic": {**NB_TOPIC, "prior_power": 0.25}},
        },
    }
)

# Temperature scaling (scikit-learn >= 1.8): one softmax temperature over all classes' decision
# values, instead of one sigmoid per class renormalised (which shrinks the top probability when
# there are many classes: the heads were under-confident).
NEW_TOPIC = {**NB_TOPIC, "prior_power": 0.25}
IDEAS.update(
    {
        "agency temperature, balanced; topic as new defaults": {
            "head_params": {
                "agency": {"class_weight": "balanced", "calibration": "temperature"},
                "topic": NEW_TOPIC,
            },
        },
        "agency balanced; topic NB-SVM temperature, prior_power 0.25": {
            "head_params": {**BEFORE, "topic": {**NEW_TOPIC, "calibration": "temperature"}},
        },
        "agency NB-SVM temperature; topic as new defaults": {
            "head_params": {
                "agency": {**NB_AGENCY, "calibration": "temperature"},
                "topic": NEW_TOPIC,
            },
        },
    }
)

# Per-label offsets searched for macro-F1 on each head's out-of-fold probabilities
# (classifier/out_of_fold.py), and NB-SVM for agency, on top of the defaults of 2026-11-28 (agency
# LinearSVC, topic NB-SVM). From 2026-11-29 the defaults are "...; agency NB-SVM".
OLD_AGENCY = {"class_weight": "balanced"}
IDEAS.update(
    {
        "2026-11-28 defaults": {"head_params": {"agency": OLD_AGENCY, "topic": NEW_TOPIC}},
        "2026-11-28 defaults; agency fitted offsets": {
            "head_params": {"agency": {**OLD_AGENCY, "fit_offsets": True}, "topic": NEW_TOPIC},
        },
        "2026-11-28 defaults; topic fitted offsets": {
            "head_params": {"agency": OLD_AGENCY, "topic": {**NEW_TOPIC, "fit_offsets": True}},
        },
        "2026-11-28 defaults; agency NB-SVM": {
            "head_params": {"agency": NB_AGENCY, "topic": NEW_TOPIC},
        },
        "2026-11-28 defaults; agency NB-SVM + fitted offsets": {
            "head_params": {"agency": {**NB_AGENCY, "fit_offsets": True}, "topic": NEW_TOPIC},
        },
    }
)

# Whatever classifier/train.py's DEFAULT_PARAMS say now, with and without top-label calibration
# (classifier/out_of_fold.py; on by default from 2026-11-28).
IDEAS["current defaults"] = {"head_params": DEFAULT_PARAMS["head_params"]}
IDEAS["current defaults without top-label calibration"] = {
    **IDEAS["current defaults"],
    "top_label_calibration": False,
}
