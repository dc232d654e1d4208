"""One module per platform behind one ``Source`` protocol; ``REGISTRY`` maps config type to class.

Add a platform: write ``harvester/sources/<platform>.py`` with a class taking
``(config, *, http, author_key)`` and list it here.
"""

from __future__ import annotations

import importlib
from typing import Any

from harvester.http import PoliteSession
from harvester.sources.base import Page, Source

__all__ = ["REGISTRY", "Page", "Source", "build_source"]

# type -> "module:Class" (imported on first use so `aduan --help` stays fast)
REGISTRY: dict[str, str] = {
    "facebook_page": "harvester.sources.facebook:FacebookPageSource",
    "feed": "harvester.sources.feed:FeedSource",
    "wordpress_comments": "harvester.sources.wordpress:WordPressCommentsSource",
    "x_search": "harvester.sources.x:XSearchSource",
    "youtube_comments": "harvester.sources.youtube:YouTubeCommentsSource",
    "instagram_account": "harvester.sources.instagram:InstagramAccountSource",
    "html": "harvester.sources.html:HtmlSource",
}


def source_class(type_name: str) -> type:
    module_name, _, class_name = REGISTRY[type_name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_source(config: Any, *, http: PoliteSession, author_key: bytes) -> Source:
    """The source for a validated config entry (MissingSecret if its token is not set)."""
    return source_class(config.type)(config, http=http, author_key=author_key)
