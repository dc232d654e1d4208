"""ComplaintModel: one estimator holding the feature pipeline, the relevance and label heads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from classifier.exceptions import TooFewClasses
from classifier.features import make_features
from classifier.nbsvm import LogCountRatioSVC
from classifier.normalise import MARKERS
from classifier.out_of_fold import (
    TopLabelCalibrator,
    out_of_fold_proba,
    platt_on,
    search_offsets,
    top_label_calibrator,
)

__all__ = ["RELEVANCE", "ComplaintModel"]

RELEVANCE = "relevance"
MIN_DOMAIN_ROWS = 30  # in-domain complaints and non-complaints each, before complaint_share acts
_MARKER_WORDS = frozenset(MARKERS.values())


# A head is a linear classifier (LinearSVC, or NB-SVM: ``classifier.nbsvm``) whose scores are turned
# into probabilities by ``CalibratedClassifierCV`` (sigmoid or isotonic, fitted on cross-validation
# folds), so ``confidence`` can be thresholded. A head may rank its labels by
# ``log p(label) - prior_power * log prior(label)`` (``rank``): a partial prior correction that
# recovers small classes (macro-F1) while the confidence reported for a label stays its calibrated
# probability. With ``fit_offsets`` the per-label offsets are instead searched for macro-F1 on the
# head's out-of-fold probabilities. The confidence of a head's first label is then mapped to the
# chance that it is right (``top_label_calibration``, fitted on the same out-of-fold rows): see
# ``classifier.out_of_fold``.
# Optionally a child head (agency) is blended with what its parent head (topic) implies:
# ``log p(agency) = (1 - w) log p_direct(agency) + w log sum_t p(topic=t) p(agency | topic=t)``.
class ComplaintModel(BaseEstimator):
    """Relevance + label heads over shared TF-IDF features.

    fit(texts, labels, relevant): ``labels[target][i]`` is the gold label of row i or None (row
    not used by that head); ``relevant[i]`` is True for complaints, False for negatives, None for
    rows left out of the relevance head. Rows with no real word (empty, emoji-only) get relevance 0.
    """

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = (2, 4),
        char_max_features: int | None = None,
        min_df: int = 2,
        C: float = 0.5,
        relevance_C: float = 0.5,
        head_model: str = "svc",
        nb_power: float = 0.5,
        prior_power: float = 0.0,
        fit_offsets: bool = False,
        calibration: str = "sigmoid",
        cv: int = 3,
        ensemble: bool = True,
        top_label_calibration: bool = True,
        class_weight: str | None = None,
        tol: float = 1e-3,
        hierarchy: tuple[str, str] | None = ("topic", "agency"),
        hierarchy_weight: float = 0.0,
        head_params: dict | None = None,
        relevance_features: str | None = None,
        cue_weight: float = 0.5,
        relevance_recalibrate: bool = False,
        complaint_share: float | None = None,
        random_state: int = 0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.char_max_features = char_max_features
        self.min_df = min_df
        self.C = C
        self.relevance_C = relevance_C
        self.head_model = head_model
        self.nb_power = nb_power
        self.prior_power = prior_power
        self.fit_offsets = fit_offsets
        self.calibration = calibration
        self.cv = cv
        self.ensemble = ensemble
        self.top_label_calibration = top_label_calibration
        self.class_weight = class_weight
        self.tol = tol
        self.hierarchy = hierarchy
        self.hierarchy_weight = hierarchy_weight
        self.head_params = head_params
        self.relevance_features = relevance_features
        self.cue_weight = cue_weight
        self.relevance_recalibrate = relevance_recalibrate
        self.complaint_share = complaint_share
        self.random_state = random_state

    def _head_settings(self, C: float, head: str) -> dict:
        """This head's settings: the model-wide ones, overridden by `head_params[head]` (keys C,
        calibration, class_weight, ensemble, fit_offsets, model ("svc" | "nbsvm"), power,
        prior_power, tol)."""
        p = {
            "C": C,
            "calibration": self.calibration,
            "class_weight": self.class_weight,
            "model": self.head_model,
            "power": self.nb_power,
            "prior_power": self.prior_power,
            "fit_offsets": self.fit_offsets,
            "tol": self.tol,
            "ensemble": self.ensemble,
        }
        p.update((self.head_params or {}).get(head, {}))
        return p

    def _head(self, C: float, head: str = "") -> CalibratedClassifierCV:
        """A linear classifier + calibration with this head's settings."""
        p = self._head_settings(C, head)
        common = {"C": p["C"], "class_weight": p["class_weight"], "tol": p["tol"]}
        if p["model"] == "nbsvm":
            base = LogCountRatioSVC(**common, power=p["power"], random_state=self.random_state)
        elif p["model"] == "svc":
            base = LinearSVC(**common, random_state=self.random_state)
        else:
            raise ValueError(f"head {head!r}: unknown model {p['model']!r} (svc or nbsvm)")
        return CalibratedClassifierCV(
            base, method=p["calibration"], cv=self.cv, ensemble=p["ensemble"]
        )

    def fit(
        self,
        texts: Sequence[str],
        labels: Mapping[str, Sequence[str | None]],
        relevant: Sequence[bool | None] | None = None,
        progress=None,
        sample_weight: Sequence[float] | None = None,
        in_domain: Sequence[bool] | None = None,
    ) -> ComplaintModel:
        """Fit features on all texts, then each head on its rows; progress(step) is optional;
        sample_weight (one per text, optional) weighs rows in every head's fit; in_domain (one per
        text, optional) marks the rows like those the model will score (relevance data: posts
        labelled complaint or not), on which the relevance head's probability is recalibrated
        (``classifier.out_of_fold.platt_on``) when ``relevance_recalibrate``."""
        # BLAS threads only slow down the many tiny calibration fits (oversubscription).
        with threadpool_limits(limits=1):
            self._fit(texts, labels, relevant, progress, sample_weight, in_domain)
            self._recalibrate_relevance(texts, relevant, in_domain)
            return self

    def _relevance_weights(self, relevant, in_domain, weights) -> np.ndarray | None:
        """Per-text weights for the relevance head: with ``complaint_share`` and in-domain rows
        (at least MIN_DOMAIN_ROWS complaints and as many non-complaints), the labelled
        complaints that are not in domain (another source's complaint letters) weigh
        ``complaint_share`` x (number of in-domain rows) in all, so thousands of long complaints
        do not drown a few hundred labelled posts. With fewer, weights are left as they are:
        a handful of "Bukan aduan" labels must not outweigh every labelled complaint."""
        if not self.complaint_share or in_domain is None:
            return weights
        domain = np.array([bool(d) for d in in_domain])
        is_complaint = np.array([r is True for r in relevant])
        other = is_complaint & ~domain
        is_negative = np.array([r is False for r in relevant])
        few = min((domain & is_complaint).sum(), (domain & is_negative).sum()) < MIN_DOMAIN_ROWS
        if few or not other.any():  # too few posts of each kind to let them lead
            return weights
        out = np.ones(len(relevant)) if weights is None else weights.copy()
        out[other] *= self.complaint_share * domain.sum() / other.sum()
        return out

    def _recalibrate_relevance(self, texts, relevant, in_domain) -> None:
        """Platt scaling of the relevance head on its out-of-fold scores of the in-domain rows:
        complaint rows from another source (long letters to a complaint desk) push the scores of
        short posts down; this maps them back so the threshold means the same on posts."""
        self.relevance_calibrator_ = None
        if not self.relevance_recalibrate or self.relevance_ is None or in_domain is None:
            return
        rows = np.array([i for i, r in enumerate(relevant) if r is not None], dtype=int)
        mask = np.array([bool(in_domain[i]) for i in rows])
        y = np.array([bool(relevant[i]) for i in rows])
        settings = self._head_settings(self.relevance_C, RELEVANCE)
        if mask.sum() < 20 or len(set(y[mask].tolist())) < 2 or not settings["ensemble"]:
            return
        X = self.features_.transform([texts[i] for i in rows]).tocsr()
        X_rel = self._relevance_X(X, [texts[i] for i in rows])
        pos = list(self.relevance_.classes_).index(True)
        oof = out_of_fold_proba(self.relevance_, X_rel, y)[:, pos]
        self.relevance_calibrator_ = platt_on(oof[mask], y[mask])

    def _fit(self, texts, labels, relevant, progress, sample_weight, in_domain) -> ComplaintModel:
        texts = list(texts)
        step = progress or (lambda _s: None)
        self.features_ = make_features(
            word_ngrams=self.word_ngrams,
            char_ngrams=self.char_ngrams,
            char_max_features=self.char_max_features,
            min_df=self.min_df,
        )
        X = self.features_.fit_transform(texts).tocsr()
        step("features")
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)

        def _weights(rows: np.ndarray) -> dict:
            return {} if weights is None else {"sample_weight": weights[rows]}

        self.heads_: dict[str, CalibratedClassifierCV] = {}
        self.rank_offsets_: dict[str, np.ndarray] = {}
        self.top_calibrators_: dict[str, TopLabelCalibrator] = {}
        self.targets_ = list(labels)
        for target, column in labels.items():
            rows = np.array([i for i, lab in enumerate(column) if lab is not None], dtype=int)
            y = np.array([column[i] for i in rows], dtype=object).astype(str)
            self._check_classes(target, y)
            self.heads_[target] = self._head(self.C, target).fit(X[rows], y, **_weights(rows))
            self._fit_ranking(target, X[rows], y)
            step(target)
        self.relevance_ = None
        self.relevance_extra_ = []
        if relevant is not None:
            rows = np.array([i for i, r in enumerate(relevant) if r is not None], dtype=int)
            y = np.array([bool(relevant[i]) for i in rows])
            self._check_classes(RELEVANCE, y)
            X_rel = self._relevance_X(X, [texts[i] for i in rows], rows, fit=True)
            head = self._head(self.relevance_C, RELEVANCE)
            w = self._relevance_weights(relevant, in_domain, weights)
            self.relevance_ = head.fit(
                X_rel, y, **({} if w is None else {"sample_weight": w[rows]})
            )
            step(RELEVANCE)
        self.parent_map_ = self._fit_hierarchy(labels)
        for head in [*self.heads_.values(), self.relevance_]:
            _to_float32(head)
        return self

    def _relevance_X(self, X, raw: list[str], rows=None, fit: bool = False, normalised=None):
        """The relevance head's features: the shared ones (rows `rows` of X; with "chars" in
        `relevance_features`, only their character n-grams), plus the blocks it names ("words",
        "cues"; classifier.relevance_features) computed from the raw texts of those rows."""
        from scipy.sparse import hstack

        from classifier.relevance_features import RelevanceCues, relevance_words

        X = X if rows is None else X[rows]
        if fit:
            kinds = set((self.relevance_features or "").split("+")) - {""}
            unknown = kinds - {"words", "cues", "chars"}
            if unknown:
                known = "chars, words, cues"
                raise ValueError(f"unknown relevance_features {sorted(unknown)}: {known}")
            makers = {"words": lambda: relevance_words(self.min_df)}
            makers["cues"] = lambda: RelevanceCues(self.cue_weight)
            self.relevance_extra_ = [(k, makers[k]()) for k in ("words", "cues") if k in kinds]
            # "chars": the shared features' character n-grams only, not their stemmed,
            # stopword-free words (which drop how a post addresses an office)
            self.relevance_shared_from_ = self._char_offset() if "chars" in kinds else 0
        start = getattr(self, "relevance_shared_from_", 0)
        if start:
            X = X[:, start:]
        if not getattr(self, "relevance_extra_", None):
            return X
        if normalised is None:
            normalised = self.features_.named_steps["normalise"].transform(raw)
        blocks = [X]
        for kind, block in self.relevance_extra_:
            docs = normalised if kind == "words" else list(zip(raw, normalised, strict=True))
            blocks.append(block.fit_transform(docs) if fit else block.transform(docs))
        return hstack(blocks, format="csr", dtype=np.float32)

    def _char_offset(self) -> int:
        """The first column of the shared character n-grams in the shared features."""
        union = self.features_.named_steps["union"]
        names = [name for name, _ in union.transformer_list]
        if "chars" not in names:
            raise ValueError("relevance_features 'chars' needs char_ngrams")
        words = dict(union.transformer_list)["words"].named_steps["tfidf"]
        return len(words.vocabulary_)

    def _fit_ranking(self, head: str, X, y: np.ndarray) -> None:
        """The head's rank offsets (in classes_ order) and top-label calibrator.

        Offsets: -prior_power * log(label frequency in the head's training rows); with
        fit_offsets, searched for macro-F1 from there. Both searches and the calibrator use the
        head's out-of-fold probabilities, which need ensemble=True; without it, and for a
        hierarchy child blended with its parent (whose out-of-fold blend is not computed), the
        confidence stays the head's class probability."""
        settings = self._head_settings(self.C, head)
        classes = self.heads_[head].classes_
        freq = np.array([np.mean(y == c) for c in classes])
        offsets = -settings["prior_power"] * np.log(freq)
        gold = np.searchsorted(classes, y)
        blended = (
            bool(self.hierarchy)
            and self.hierarchy_weight > 0
            and head == self.hierarchy[1]
            and self.hierarchy[0] in self.targets_
        )
        calibrate = self.top_label_calibration and not blended
        uses_oof = settings["fit_offsets"] or calibrate
        uses_oof = uses_oof and settings["ensemble"]
        oof = out_of_fold_proba(self.heads_[head], X, y) if uses_oof else None
        if settings["fit_offsets"]:
            if oof is None:
                raise ValueError(f"head {head!r}: fit_offsets needs ensemble=True")
            offsets = search_offsets(oof, gold, offsets)
        self.rank_offsets_[head] = offsets
        if calibrate and oof is not None:
            top = np.argmax(_rank_scores(oof, offsets), axis=1)
            self.top_calibrators_[head] = top_label_calibrator(oof, gold, top)

    def _check_classes(self, head: str, y: np.ndarray) -> None:
        values, counts = np.unique(y, return_counts=True)
        if len(values) < 2:
            what = "complaints and non-complaint texts" if head == RELEVANCE else "two classes"
            raise TooFewClasses(f"head {head!r} needs {what} to learn from")
        if counts.min() < self.cv:
            small = values[counts.argmin()]
            raise TooFewClasses(
                f"head {head!r}: class {small!r} has {counts.min()} distinct rows; calibration "
                f"needs at least {self.cv} per class"
            )

    def _fit_hierarchy(self, labels: Mapping[str, Sequence[str | None]]) -> np.ndarray | None:
        """P(child | parent) from rows labelled with both, add-one smoothed; None if unused."""
        if not self.hierarchy or self.hierarchy_weight <= 0:
            return None
        parent, child = self.hierarchy
        if parent not in self.heads_ or child not in self.heads_:
            return None
        p_idx = {c: i for i, c in enumerate(self.heads_[parent].classes_)}
        c_idx = {c: i for i, c in enumerate(self.heads_[child].classes_)}
        counts = np.ones((len(p_idx), len(c_idx)))
        for p, c in zip(labels[parent], labels[child], strict=True):
            if p in p_idx and c in c_idx:
                counts[p_idx[p], c_idx[c]] += 1
        return counts / counts.sum(axis=1, keepdims=True)

    @property
    def classes_(self) -> dict[str, list[str]]:
        check_is_fitted(self, "heads_")
        return {t: [str(c) for c in h.classes_] for t, h in self.heads_.items()}

    def rank(self, proba: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """{label head: (n, classes) class indices, best first} for `predict_proba`'s output.

        Labels are ranked by log p + the head's rank offsets (none unless prior_power > 0 or
        fit_offsets), so the top label is not always the most probable one; `best` gives the
        top label with its confidence.
        """
        check_is_fitted(self, "heads_")
        offsets = getattr(self, "rank_offsets_", {})  # absent in bundles saved before it existed
        return {
            t: np.argsort(-_rank_scores(proba[t], offsets.get(t, 0.0)), axis=1, kind="stable")
            for t in self.heads_
        }

    def best(
        self, proba: Mapping[str, np.ndarray], order: Mapping[str, np.ndarray] | None = None
    ) -> dict[str, tuple[list[str], np.ndarray]]:
        """{label head: (top label of each row per `rank`, confidence)}: the confidence is the
        chance that this label is right (top-label calibration, when the head has it; otherwise
        the label's calibrated class probability). `order`: `rank(proba)`, if already computed."""
        calibrators = getattr(self, "top_calibrators_", {})  # absent in older bundles
        out = {}
        for t, ranked in (order or self.rank(proba)).items():
            top = ranked[:, 0]
            names = self.classes_[t]
            confidence = np.asarray(proba[t])[np.arange(len(top)), top]
            if t in calibrators and len(top):
                confidence = calibrators[t].predict(confidence)
            out[t] = ([names[j] for j in top], confidence)
        return out

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """{head: probabilities}: 'relevance' is 1-D P(complaint); label heads (n, classes)."""
        check_is_fitted(self, "heads_")
        texts = ["" if t is None else str(t) for t in texts]
        norm_step = self.features_.named_steps["normalise"]
        normalised = norm_step.transform(texts)
        X = self.features_.named_steps["union"].transform(normalised).tocsr()
        out = {t: h.predict_proba(X) for t, h in self.heads_.items()}
        if self.parent_map_ is not None:
            parent, child = self.hierarchy
            implied = out[parent] @ self.parent_map_
            w = self.hierarchy_weight
            logp = (1 - w) * np.log(out[child] + 1e-12) + w * np.log(implied + 1e-12)
            logp -= logp.max(axis=1, keepdims=True)
            p = np.exp(logp)
            out[child] = p / p.sum(axis=1, keepdims=True)
        if self.relevance_ is not None:
            pos = list(self.relevance_.classes_).index(True)
            X_rel = self._relevance_X(X, texts, normalised=normalised)
            rel = self.relevance_.predict_proba(X_rel)[:, pos]
            calibrator = getattr(self, "relevance_calibrator_", None)  # absent in older bundles
            if calibrator is not None:
                rel = calibrator.predict(rel)
            has_word = np.array([_has_real_word(t) for t in normalised])
            out[RELEVANCE] = np.where(has_word, rel, 0.0)
        return out


def _rank_scores(proba: np.ndarray, offsets: np.ndarray | float) -> np.ndarray:
    """What `rank` sorts by: log p + the head's rank offsets."""
    return np.log(np.asarray(proba, dtype=float) + 1e-12) + offsets


def _to_float32(head: CalibratedClassifierCV | None) -> None:
    """Store SVC weights as float32: the bundle is half the size and scoring is faster; the
    features are float32 already, so scores keep their precision where it matters."""
    if head is None:
        return
    for pair in head.calibrated_classifiers_:
        svc = pair.estimator
        svc.coef_ = np.ascontiguousarray(svc.coef_, dtype=np.float32)
        svc.intercept_ = svc.intercept_.astype(np.float32)


def _has_real_word(normalised: str) -> bool:
    return any(len(w) > 1 and w not in _MARKER_WORDS for w in normalised.split())
