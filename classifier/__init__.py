"""Indonesian complaint classifier: relevance + label heads (agency, topic) with calibrated
confidence, model bundles and a registry."""

# Usage:
#
#     from classifier.registry import Registry          # versions + champion in ADUAN_MODELS_DIR
#     bundle = Registry(models_dir).load()              # champion; verifies sha256 first
#     bundle.predict(texts) -> list[Prediction]         # relevance, heads[name].label/confidence
#     from classifier.train import train_bundle         # CLI `aduan train` and retraining use it
#     from classifier.evaluate import evaluate          # the dict `aduan evaluate --json` prints
#
# Modules: normalise (TextNormalizer), stemming (SastrawiStemmer, memoised), charngrams
# (WordCharNgrams, WordNgramTfidf), features, model (ComplaintModel), bundle, registry, train,
# evaluate, data, exceptions. Heavy libraries are imported by these modules, not here.

__all__: list[str] = []
