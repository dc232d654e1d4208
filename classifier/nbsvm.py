"""NB-SVM: a linear SVM over features scaled by each class's naive-Bayes log-count ratio."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC
from sklearn.utils import check_array
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["LogCountRatioSVC"]


# Wang & Manning (2012), "Baselines and Bigrams": scaling each feature by how much more often it is
# present in one class than in the rest lets the SVM start from the naive-Bayes evidence, which
# helps small classes (our agency and topic heads have many). One-vs-rest: for class c, ``r_c =
# log((a + f_c) / |a + f_c|_1) - log((a + g_c) / |a + g_c|_1)`` where f_c and g_c count the rows of
# c and of the other classes in which a feature is present (weighted by sample_weight). A damped
# ``sign(r) |r|^power`` scales X before a binary LinearSVC; since ``(x * r) . w = x . (r * w)`` the
# ratio is folded into the weights, so scoring costs exactly what one LinearSVC costs.
class LogCountRatioSVC(ClassifierMixin, BaseEstimator):
    """One-vs-rest LinearSVC on log-count-ratio scaled features (NB-SVM); linear at predict time.

    power: exponent damping the ratios (1 = the paper's scaling, 0 = plain LinearSVC).
    alpha: add-alpha smoothing of the presence counts.
    class_weight: None, "balanced" (each one-vs-rest problem balanced) or {class: weight of its
    positive rows}, as liblinear weights one-vs-rest problems.
    """

    def __init__(
        self,
        *,
        C: float = 0.5,
        power: float = 0.5,
        alpha: float = 1.0,
        class_weight: dict | str | None = None,
        tol: float = 1e-3,
        max_iter: int = 1000,
        random_state: int | None = None,
    ) -> None:
        self.C = C
        self.power = power
        self.alpha = alpha
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None) -> LogCountRatioSVC:
        """Fit one binary LinearSVC per class (one for the second class when there are two)."""
        # float64 once here, so that no LinearSVC below converts its copy again
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"need samples of 2 or more classes to fit; got 1 class: {y[0]!r}")
        sw = _sample_weight(sample_weight, X.shape[0])
        ratios = self._log_count_ratios(X, y, sw)
        positives = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        coef, intercept, n_iter = [], [], 0
        for c in positives:
            k = int(np.searchsorted(self.classes_, c))
            r = ratios[:, k]
            scaled = _scale_columns(X, r)
            svc = LinearSVC(
                C=self.C,
                class_weight=self._binary_weight(c),
                tol=self.tol,
                max_iter=self.max_iter,
                random_state=self.random_state,
            ).fit(scaled, y == c, sample_weight=sw)
            coef.append(svc.coef_[0] * r)
            intercept.append(svc.intercept_[0])
            n_iter = max(n_iter, int(svc.n_iter_))
        self.coef_ = np.asarray(coef)
        self.intercept_ = np.asarray(intercept)
        self.n_iter_ = n_iter
        return self

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to each class's hyperplane; one column (the second class) for two."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """The class with the highest score (for two classes: the second where the score > 0)."""
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]

    def _log_count_ratios(self, X, y, sw: np.ndarray) -> np.ndarray:
        """(n_features, n_classes) damped log-count ratios of class vs rest."""
        if sp.issparse(X):
            present = X.copy()
            present.data = (present.data != 0).astype(np.float64)
        else:
            present = (X != 0).astype(np.float64)
        onehot = (y[:, None] == self.classes_[None, :]) * sw[:, None]
        in_class = np.asarray(present.T @ onehot) + self.alpha
        total = np.asarray(present.T @ sw).reshape(-1, 1) + 2 * self.alpha
        rest = total - in_class
        r = np.log(in_class / in_class.sum(axis=0)) - np.log(rest / rest.sum(axis=0))
        return np.sign(r) * np.abs(r) ** self.power

    def _binary_weight(self, c) -> dict | str | None:
        if self.class_weight is None or self.class_weight == "balanced":
            return self.class_weight
        weights = self.class_weight
        rest = weights.get(self.classes_[0], 1.0) if len(self.classes_) == 2 else 1.0
        return {True: float(weights.get(c, 1.0)), False: float(rest)}

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """``sample_weight`` as a float64 vector of ``n_samples`` (ones when None)."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if isinstance(sample_weight, int | float):
        return np.full(n_samples, float(sample_weight))
    sw = check_array(sample_weight, ensure_2d=False, dtype=np.float64, order="C")
    if sw.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected {(n_samples,)}!")
    return sw


def _scale_columns(X, r: np.ndarray):
    """X with column j multiplied by r[j]; for CSR the structure is shared, only data is new."""
    if not sp.issparse(X):
        return X * r
    return sp.csr_matrix((X.data * r[X.indices], X.indices, X.indptr), shape=X.shape)
