"""`aduan run pipeline` on Prefect's embedded API (no server) against the fake Graph API and the
LAPOR! simulator: posts stored, classified, triaged, confident ones forwarded, the rest queued."""

from __future__ import annotations

import json
import subprocess

from sqlalchemy import func, select

from store.db import make_engine, session_factory
from store.pipeline import pipeline_counts
from store.tables import Case, Classification, Forward, PostRow
from tests.flows.conftest import DEMO_PAGE, aduan_exe


def _by_the_page(data: dict) -> list[dict]:
    """The demo Page's own posts and replies (``from.id`` is the Page's), nested ones included."""

    def walk(items):
        for item in items or []:
            yield item
            yield from walk(item.get("comments"))

    page = data["page"]["id"]
    return [i for i in walk(data["posts"]) if (i.get("from") or {}).get("id") == page]


def test_aduan_run_pipeline_embedded(world):
    done = subprocess.run(
        [aduan_exe(), "run", "pipeline", "--json"],
        env=world["env"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    graph, simulator = world["graph"], world["simulator"]

    page_posts = _by_the_page(json.loads(DEMO_PAGE.read_text()))
    engine = make_engine(world["db_url"])
    with session_factory(engine)() as session:
        counts = pipeline_counts(session=session)
        stored = session.scalar(select(func.count(PostRow.id)))
        external_ids = set(session.scalars(select(PostRow.external_id)))
        classified = session.scalar(select(func.count(func.distinct(Classification.post_id))))
        approved = session.scalar(select(func.count()).where(Case.state == "approved"))
        sent = session.scalars(select(Forward).where(Forward.state == "sent")).all()
    engine.dispose()

    # every post the fake served is stored once, classified and triaged
    assert stored == graph.item_count == result["harvest"]["new"]
    assert len(external_ids) == stored
    assert classified == stored == result["classify"]["classified"]
    assert set(counts["posts"]) <= {"archived", "in_case", "publisher"}
    assert counts["posts"]["archived"] > 0 and counts["posts"]["in_case"] > 0
    # the Page's own posts are kept as context, never a case nor archived
    assert counts["posts"]["publisher"] == result["triage"]["publisher"] == len(page_posts)
    # confident cases with a LAPOR! mapping were forwarded (once each), the rest wait for review
    assert approved == result["triage"]["auto_approved"] > 0
    assert len(sent) == approved == result["forward"]["sent"]
    assert len(simulator.state.complaints) == approved
    assert {f.complaint_id for f in sent} == {str(i) for i in simulator.state.complaints}
    assert counts["cases"]["open"] == result["triage"]["queued"] > 0

    # private by default: Prefect's home under ADUAN_HOME, nothing in ~/.prefect, no post text out
    assert (world["home"] / "prefect").is_dir()
    assert not (world["home"].parent / "user-home" / ".prefect").exists()
    page = json.loads(DEMO_PAGE.read_text())
    texts = [c["message"] for p in page["posts"] for c in p.get("comments", [])]
    output = done.stdout + done.stderr
    assert not [t for t in texts if len(t) > 30 and t in output]
