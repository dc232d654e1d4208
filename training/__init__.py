"""Training data and the retraining loop: label import, training-set assembly, conflict rule,
champion vs challenger promotion. Imports no Prefect; nothing in classifier/ imports it."""
