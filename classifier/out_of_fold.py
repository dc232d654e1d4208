"""What a label head learns from its own out-of-fold probabilities."""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.isotonic import isotonic_regression
from sklearn.model_selection import check_cv

__all__ = [
    "TopLabelCalibrator",
    "macro_f1",
    "out_of_fold_proba",
    "platt_on",
    "search_offsets",
    "top_label_calibrator",
]

# never report certainty: the top block of an isotonic fit on right/wrong outcomes is often 1.0
MAX_CONFIDENCE = 0.999

STEPS = np.linspace(-2.0, 2.0, 41)


# - ``top_label_calibrator``: a map from the probability of the label the head puts first to the
#   chance that this label is right ("top-label calibration"; centred isotonic regression, so the
#   map is strictly increasing and keeps the head's order of confidence). The per-label
#   sigmoids of ``CalibratedClassifierCV`` are renormalised over 20-60 labels, which shrinks the top
#   probability: tags that are right 97% of the time were reported at 0.85. Triage compares the
#   confidence with the auto-forward threshold, so it has to mean what it says.
# - ``search_offsets``: per-label rank offsets searched for macro-F1 (``ComplaintModel.rank``).
#
# The out-of-fold probabilities come for free from a fitted ``CalibratedClassifierCV`` with
# ``ensemble=True``: the rows of cross-validation fold k are scored by the pair whose classifier was
# trained without them (its sigmoid/isotonic calibrator did see them; that is a few parameters per
# label).
def out_of_fold_proba(head: CalibratedClassifierCV, X, y: np.ndarray) -> np.ndarray:
    """(n, classes) probabilities of each training row from the fold model that did not train on
    it; `head` must be fitted on exactly (X, y) with ensemble=True and an integer cv."""
    pairs = head.calibrated_classifiers_
    folds = list(check_cv(head.cv, y, classifier=True).split(X, y))
    if len(pairs) != len(folds):
        raise ValueError("out-of-fold probabilities need a head fitted with ensemble=True")
    proba = np.zeros((X.shape[0], len(head.classes_)))
    for pair, (_train, test) in zip(pairs, folds, strict=True):
        proba[test] = pair.predict_proba(X[test])
    return proba


def macro_f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """scikit-learn's f1_score(average="macro") for integer labels: mean over the labels present
    in y or pred."""
    confusion = np.bincount(y * n_classes + pred, minlength=n_classes * n_classes)
    confusion = confusion.reshape(n_classes, n_classes)
    tp = np.diag(confusion).astype(float)
    gold, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    present = (gold + predicted) > 0
    f1 = 2 * tp[present] / (gold[present] + predicted[present])
    return float(f1.mean())


def search_offsets(
    proba: np.ndarray,
    y: np.ndarray,
    start: np.ndarray,
    *,
    rounds: int = 2,
    shrink: float = 0.5,
) -> np.ndarray:
    """Offsets that maximise macro-F1 of argmax(log proba + offsets) on (proba, y), searched one
    label at a time from `start` (steps of 0.1 within +-2, `rounds` passes over the labels),
    then pulled back towards `start` by `shrink` (0.5: half way) against over-fitting.
    `y` holds class indices into proba's columns."""
    n, k = proba.shape
    scores = np.log(proba + 1e-12)
    offsets = np.asarray(start, dtype=float).copy()
    rows = np.arange(n)
    best_f1 = macro_f1(y, np.argmax(scores + offsets, axis=1), k)
    for _ in range(rounds):
        for c in range(k):
            s = scores + offsets
            others = s.copy()
            others[:, c] = -np.inf
            rival = np.argmax(others, axis=1)
            margin = s[:, c] - offsets[c] - others[rows, rival]  # label c wins if margin + o > 0
            candidates = offsets[c] + STEPS
            for o in candidates:
                f1 = macro_f1(y, np.where(margin + o > 0, c, rival), k)
                if f1 > best_f1 + 1e-9:
                    best_f1, offsets[c] = f1, o
    return start + (1 - shrink) * (offsets - start)


class TopLabelCalibrator:
    """Piecewise-linear increasing map through (x, y) knots; flat beyond the first and last."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def predict(self, confidence) -> np.ndarray:
        return np.interp(np.asarray(confidence, dtype=float), self.x, self.y)


def top_label_calibrator(proba: np.ndarray, y: np.ndarray, top: np.ndarray) -> TopLabelCalibrator:
    """Map from proba[i, top[i]] (the probability of the label ranked first) to whether that
    label is right (top[i] == y[i]), fitted on out-of-fold rows, values within
    [0, MAX_CONFIDENCE].

    Centred isotonic regression (Oron & Flournoy 2017): isotonic regression pools the rows into
    blocks of equal fitted value; the knots are each block's mean confidence and its share of
    right labels, joined by straight lines. Plain isotonic regression is a step function whose
    flat steps tie hundreds of rows the head had told apart."""
    confidence = proba[np.arange(len(top)), top]
    x, inverse, counts = np.unique(confidence, return_inverse=True, return_counts=True)
    right = np.bincount(inverse, weights=(top == y).astype(float))
    fitted = isotonic_regression(right / counts, sample_weight=counts, y_min=0.0, y_max=1.0)
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    n = np.add.reduceat(counts, starts)
    centres = np.add.reduceat(x * counts, starts) / n
    # A block's share of right labels, smoothed (Jeffreys: (right + 1/2) / (n + 1)): a block of
    # a few rows, none right, is not "0 of 100 right", nor all right "100 of 100"; then made
    # increasing again, as smoothing moves small blocks more than large ones.
    share = (np.add.reduceat(right, starts) + 0.5) / (n + 1)
    values = isotonic_regression(share, sample_weight=n, y_min=0.0, y_max=MAX_CONFIDENCE)
    return TopLabelCalibrator(centres, values)


class PlattMap:
    """p -> sigmoid(a * logit(p) + b), for the relevance head's recalibration."""

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def predict(self, p) -> np.ndarray:
        p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
        return 1.0 / (1.0 + np.exp(-(self.a * np.log(p / (1 - p)) + self.b)))


def platt_on(proba: np.ndarray, y: np.ndarray) -> PlattMap:
    """A PlattMap fitted (logistic regression on the logit, slope kept positive) to out-of-fold
    probabilities `proba` of rows with outcomes `y`."""
    from sklearn.linear_model import LogisticRegression

    p = np.clip(np.asarray(proba, dtype=float), 1e-6, 1 - 1e-6)
    z = np.log(p / (1 - p)).reshape(-1, 1)
    fit = LogisticRegression(C=1.0).fit(z, np.asarray(y, dtype=bool))
    a = max(float(fit.coef_[0, 0]), 1e-3)
    return PlattMap(a, float(fit.intercept_[0]))
