"""A harvest with another author key than the store's is refused before it stores anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from config.exceptions import ConfigError
from harvester.run import harvest_one
from store.db import get_engine, session_factory
from store.tables import PostRow


def test_a_worker_with_another_key_harvests_nothing(world, monkeypatch):
    for name, value in world["env"].items():
        if name.startswith("ADUAN_"):
            monkeypatch.setenv(name, value)
    engine = get_engine(world["db_url"])
    factory = session_factory(engine)
    first = harvest_one("pemkot-kupang-fb", factory=factory, max_pages=1)
    assert first["new"] > 0
    monkeypatch.setenv("ADUAN_AUTHOR_SECRET", "another-machines-secret")
    with pytest.raises(ConfigError, match="not the key this store was harvested with"):
        harvest_one("pemkot-kupang-fb", factory=factory)
    with factory() as session:
        assert session.scalar(select(func.count(PostRow.id))) == first["new"]
