"""Shared set-up of the reply tests and bench/reply_bench.py: a profile with replies enabled for
sources on the local fakes, the fake's comments harvested for real, cases sent to LAPOR!."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from harvester.config import parse_source
from harvester.http import PoliteSession
from harvester.run import harvest_source
from harvester.sources import build_source
from store.tables import Case, Forward, PostRow

REPO = Path(__file__).resolve().parents[2]
KUPANG = REPO / "profiles" / "kupang"


def reply_profile(out: Path, sources: list[dict], replies: dict[str, Any]) -> Path:
    """A copy of the Kupang profile with these sources.yaml entries and replies.yaml (the
    Kupang templates unless ``replies`` has its own)."""
    shutil.copytree(KUPANG, out, dirs_exist_ok=True)
    kupang = yaml.safe_load((KUPANG / "replies.yaml").read_text(encoding="utf-8"))
    replies = {"templates": kupang["templates"], **replies}
    (out / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    (out / "replies.yaml").write_text(yaml.safe_dump(replies), encoding="utf-8")
    return out


def harvest_into(factory, entry: dict, *, key: bytes = b"test-key") -> int:
    """Harvest one source entry from its fake into the store; how many posts are new."""
    config, problem = parse_source(entry, 0)
    assert problem is None, problem
    with PoliteSession(min_interval=0) as http:
        source = build_source(config, http=http, author_key=key)
        result = harvest_source(source, factory=factory)
    assert result.ok, result.error
    return result.new


def sent_cases(
    factory,
    *,
    source: str,
    n: int | None = None,
    complaint_base: int = 7_000_000,
    status_name: str | None = None,
    top_level_only: bool = True,
) -> list[tuple[int, str, str]]:
    """One approved case per citizen comment of ``source`` whose forward reached LAPOR!:
    [(case id, the comment's external id, the tracking number)]."""
    out = []
    now = datetime.now(UTC)
    with factory.begin() as session:
        posts = session.scalars(
            select(PostRow)
            .where(
                PostRow.source == source,
                PostRow.parent_external_id.is_not(None),
                PostRow.by_publisher.is_(False),
                PostRow.case_id.is_(None),
            )
            .order_by(PostRow.id)
        ).all()
        parents = {p.external_id for p in posts}
        if top_level_only:  # comments whose parent is the post, not another comment
            posts = [p for p in posts if p.parent_external_id not in parents]
        for i, post in enumerate(posts[:n] if n else posts):
            case = Case(
                state="approved",
                agency="dlhk",
                topic=None,
                representative_post_id=post.id,
                first_post_at=post.created_at,
                decided_by="tester",
            )
            session.add(case)
            session.flush()
            post.case_id, post.state = case.id, "in_case"
            number = str(complaint_base + i)
            session.add(
                Forward(
                    case_id=case.id,
                    target="lapor",
                    state="sent",
                    complaint_id=number,
                    sent_at=now,
                    status_name=status_name,
                )
            )
            out.append((case.id, post.external_id, number))
    return out
