"""Model bundle = a folder with model.joblib + manifest.json; predictions as frozen dataclasses."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.exceptions import BundleError, BundleMissingFile, BundleTampered, TargetMismatch
from classifier.model import RELEVANCE, ComplaintModel

__all__ = [
    "MANIFEST",
    "MODEL_FILE",
    "Bundle",
    "HeadPrediction",
    "Prediction",
    "load_bundle",
    "save_bundle",
    "sha256_file",
]

logger = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
MANIFEST = "manifest.json"
TOP_K = 3


@dataclass(frozen=True)
class HeadPrediction:
    """One head's answer: best label, its confidence, and the top 3 labels (best first).

    confidence = the chance that `label` is right (ComplaintModel.best); the alternatives carry the
    same unit (each label's probability through the head's top-label calibrator), the first being
    (label, confidence). "Best" is the model's ranking (ComplaintModel.rank): with rank offsets a
    label may rank above a more likely one; ``classifier.chances.by_chance`` orders them for show.
    """

    label: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Prediction:
    """relevance = calibrated P(the text is a complaint about a public service)."""

    relevance: float
    heads: dict[str, HeadPrediction]

    def as_dict(self) -> dict:
        return {
            "relevance": round(self.relevance, 4),
            **{
                name: {
                    "label": h.label,
                    "confidence": round(h.confidence, 4),
                    "alternatives": [[lab, round(p, 4)] for lab, p in h.alternatives],
                }
                for name, h in self.heads.items()
            },
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Bundle:
    """A loaded model with its manifest."""

    def __init__(self, model: ComplaintModel, manifest: dict, path: Path | None = None) -> None:
        self.model = model
        self.manifest = manifest
        self.path = path

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def targets(self) -> list[str]:
        return list(self.manifest["targets"])

    def require_targets(self, targets: Sequence[str]) -> None:
        missing = [t for t in targets if t not in self.targets]
        if missing:
            raise TargetMismatch(
                f"model {self.version} was trained on targets {', '.join(self.targets)}; "
                f"it has no head for {', '.join(missing)}"
            )

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return self.model.predict_proba(list(texts))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        proba = self.model.predict_proba(texts)
        classes = self.model.classes_
        relevance = proba.get(RELEVANCE, np.full(len(texts), np.nan))
        ranked = self.model.rank(proba)
        best = self.model.best(proba, ranked)
        order = {t: idx[:, :TOP_K] for t, idx in ranked.items()}
        out = []
        chances = self._alternative_chances(proba, order, best)
        for i in range(len(texts)):
            heads = {}
            for t, names in classes.items():
                label, confidence = names[order[t][i, 0]], float(best[t][1][i])
                top = [(label, confidence)]
                top += [
                    (names[j], float(p))
                    for j, p in zip(order[t][i, 1:], chances[t][i], strict=True)
                ]
                heads[t] = HeadPrediction(label=label, confidence=confidence, alternatives=top)
            out.append(Prediction(relevance=float(relevance[i]), heads=heads))
        return out

    def _alternative_chances(self, proba, order, best) -> dict[str, np.ndarray]:
        """The alternatives' chances in the chosen label's unit. With a top-label calibrator
        the first label's chance of being right is calibrated (``ComplaintModel.best``); the
        rest, 1 - that chance, is shared among the other labels in proportion to the head's
        probabilities, and no alternative is shown above the chosen label. (The calibrator
        itself is fitted on first-ranked probabilities only: the small probabilities of
        alternatives lie below its first knot, where it is flat.)"""
        calibrators = getattr(self.model, "top_calibrators_", {})
        out = {}
        for t, idx in order.items():
            p = np.asarray(proba[t], dtype=float)
            rest = np.take_along_axis(p, idx[:, 1:], axis=1)
            if t not in calibrators or not rest.size:
                out[t] = rest
                continue
            chosen = np.asarray(best[t][1], dtype=float)[:, None]
            raw_top = np.take_along_axis(p, idx[:, :1], axis=1)
            others = np.maximum(p.sum(axis=1, keepdims=True) - raw_top, 1e-12)
            out[t] = np.minimum((1.0 - chosen) * rest / others, chosen)
        return out


def save_bundle(model: ComplaintModel, manifest: dict, out_dir: Path) -> Path:
    """Write model.joblib, then manifest.json with the model's sha256; returns out_dir."""
    import joblib

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    tmp = out_dir / (MODEL_FILE + ".tmp")
    joblib.dump(model, tmp, compress=1)
    os.replace(tmp, model_path)
    manifest = {**manifest, "model_sha256": sha256_file(model_path)}
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out_dir


def read_manifest(bundle_dir: Path) -> dict:
    path = Path(bundle_dir) / MANIFEST
    if not Path(bundle_dir).is_dir():
        raise BundleMissingFile(f"model folder not found: {bundle_dir}")
    if not path.is_file():
        raise BundleMissingFile(f"{path} is missing; not a model bundle folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON: {exc}") from None
    for key in ("version", "targets", "model_sha256"):
        if key not in manifest:
            raise BundleError(f"{path} has no {key!r}; not a model bundle manifest")
    return manifest


# Loading checks the sha256 of model.joblib against the manifest BEFORE unpickling it, because a
# joblib file can execute code when loaded.
def load_bundle(
    bundle_dir: Path,
    *,
    targets: Sequence[str] | None = None,
    trusted_sha256: str | None = None,
) -> Bundle:
    """Verify model.joblib's sha256, then unpickle it. The hash must equal ``trusted_sha256``
    (the registry's own index, which the bundle folder cannot rewrite) when given, and the
    manifest's in any case."""
    import joblib

    bundle_dir = Path(bundle_dir)
    manifest = read_manifest(bundle_dir)
    model_path = bundle_dir / MODEL_FILE
    if not model_path.is_file():
        raise BundleMissingFile(f"{model_path} is missing")
    actual = sha256_file(model_path)
    if trusted_sha256 is not None and actual != trusted_sha256:
        raise BundleTampered(
            f"{model_path} has sha256 {actual[:12]}…, the registry's trusted index says "
            f"{trusted_sha256[:12]}…; refusing to load a modified model"
        )
    if actual != manifest["model_sha256"]:
        raise BundleTampered(
            f"{model_path} has sha256 {actual[:12]}…, manifest says "
            f"{str(manifest['model_sha256'])[:12]}…; refusing to load a modified model"
        )
    model = joblib.load(model_path)
    if not isinstance(model, ComplaintModel):
        raise BundleError(f"{model_path} does not hold a ComplaintModel")
    bundle = Bundle(model, manifest, bundle_dir)
    if targets:
        bundle.require_targets(targets)
    logger.debug("loaded model %s from %s", bundle.version, bundle_dir)
    return bundle
