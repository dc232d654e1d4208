"""One module per platform: its config model and its ``Source``, registered together with
``@register(<Config>)``; every module of this package is imported here, so that is all it takes.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from harvester.http import PoliteSession
from harvester.sources.base import PLATFORMS, Page, Source

__all__ = ["PLATFORMS", "Page", "Source", "build_source"]

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")


def build_source(config: Any, *, http: PoliteSession, author_key: bytes) -> Source:
    """The source for a validated config entry (MissingSecret if its token is not set)."""
    return PLATFORMS[config.type].source(config, http=http, author_key=author_key)
