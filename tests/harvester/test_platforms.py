"""A platform is one module: its config model and source, registered with ``@register``."""

from __future__ import annotations

import pkgutil
from typing import Literal

import pytest
from pydantic import Field

import harvester.sources
from harvester.config import parse_source
from harvester.sources import PLATFORMS, build_source
from harvester.sources.base import SourceConfig, register


@pytest.fixture
def platforms():
    before = dict(PLATFORMS)
    yield PLATFORMS
    PLATFORMS.clear()
    PLATFORMS.update(before)


def test_every_module_of_the_package_is_a_registered_platform():
    modules = {m.name for m in pkgutil.iter_modules(harvester.sources.__path__)} - {"base"}
    assert {p.source.__module__.rsplit(".", 1)[1] for p in PLATFORMS.values()} == modules
    assert all(
        p.config.model_fields["type"].annotation.__args__ == (t,) for t, p in PLATFORMS.items()
    )


def test_a_registered_platform_is_accepted_by_sources_yaml(platforms):
    class ForumConfig(SourceConfig):
        type: Literal["test_forum"]
        board: str = Field(min_length=1)

    @register(ForumConfig)
    class ForumSource:
        def __init__(self, config, *, http, author_key):
            self.name = config.name

    config, problem = parse_source({"name": "f", "type": "test_forum", "board": "kota"}, 0)
    assert problem is None and isinstance(config, ForumConfig)
    assert isinstance(build_source(config, http=None, author_key=b"k"), ForumSource)
    _, problem = parse_source({"name": "f", "type": "test_forum"}, 0)
    assert (problem.field, problem.message) == ("board", "Field required")
    _, problem = parse_source({"name": "f", "type": "myspace"}, 0)
    assert problem.message.startswith("unknown type 'myspace'; known: facebook_page, feed, html")
    assert "test_forum" in problem.message


def test_a_type_cannot_belong_to_two_modules(platforms):
    class Other(SourceConfig):
        type: Literal["feed"]

    with pytest.raises(ValueError, match="already harvester.sources.feed's"):
        register(Other)(type("OtherSource", (), {}))
