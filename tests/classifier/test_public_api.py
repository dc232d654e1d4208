"""Every name in a module's __all__ exists (httpx-style check of the public surface)."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "classifier.exceptions",
    "classifier.normalise",
    "classifier.stemming",
    "classifier.charngrams",
    "classifier.features",
    "classifier.model",
    "classifier.bundle",
    "classifier.registry",
    "classifier.train",
    "classifier.evaluate",
    "classifier.data",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_every_error_is_a_user_error() -> None:
    from classifier import exceptions

    for attr in exceptions.__all__:
        cls = getattr(exceptions, attr)
        assert issubclass(cls, exceptions.ClassifierError) and cls.user_error is True
        assert attr in exceptions.__doc__
