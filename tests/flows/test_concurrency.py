"""Every step run several times at once (threads, each with its own connection) leaves the store
exactly as one run does, on SQLite and PostgreSQL: triage, classify, forward, status sync."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from cases.triage import triage_pending
from config.profile import Agency, Profile, Topic, Triage
from store.pipeline import save_classifications
from store.repository import upsert_posts
from store.tables import AuditEntry, Case, Classification, Forward, PostRow, Review
from tests.factories import T0, make_post

RUNS = 4

PLACES = ["Oebobo", "Oesapa", "Kelapa Lima", "Maulafa", "Alak", "Naikoten", "Fatululi", "Liliba"]
PROBLEMS = [
    ("sampah di depan pasar {p} sudah seminggu tidak diangkut, bau sekali", "dlhk"),
    ("jalan di kelurahan {p} berlubang besar, dua motor jatuh minggu ini", "pupr"),
    ("lampu jalan di {p} mati total sejak tiga hari, gelap dan rawan", "dlhk"),
    ("air PDAM di {p} tidak mengalir sejak kemarin pagi, warga kesulitan", "pupr"),
]
REWORDINGS = ["{t}", "{t}! mohon segera ditindaklanjuti", "tolong pak, {t} ya"]


def run_at_once(work: Callable[[], object], runs: int = RUNS) -> list[object]:
    """Start ``runs`` threads on ``work`` at the same instant; their results (errors re-raised)."""
    barrier = threading.Barrier(runs)
    results: list[object] = [None] * runs
    errors: list[BaseException] = []

    def one(k: int) -> None:
        barrier.wait()
        try:
            results[k] = work()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]
    return results


def _profile() -> Profile:
    return Profile(
        region="Test",
        triage=Triage(relevance_threshold=0.5, duplicate_similarity=0.6),
        agencies=[
            Agency(key="dlhk", name="DLHK", lapor_disposition_id=11, auto_forward_threshold=0.9),
            Agency(key="pupr", name="PUPR", lapor_disposition_id=12, auto_forward_threshold=0.9),
        ],
        topics=[Topic(key="sampah", name="Sampah", default_agency="dlhk", urgency=2)],
    )


def _store_classified(factory, *, noise: bool = True) -> int:
    """Complaints (each posted 1-3 times, rewordings hours apart, so duplicates fall in
    different batches) and (``noise``) a few non-complaints, all classified; returns how many."""
    posts, labels = [], {}
    i = 0
    for p, place in enumerate(PLACES):
        for q, (template, agency) in enumerate(PROBLEMS):
            text = template.format(p=place)
            for r in range(1 + (p + q) % 3):
                hours = p * 80 + q * 2 + r * 9  # places further apart than the window
                posts.append(
                    make_post(
                        i,
                        text=REWORDINGS[r].format(t=text),
                        created_at=T0 + timedelta(hours=hours),
                    )
                )
                labels[f"ext-{i}"] = (0.9, agency, 0.95 - 0.1 * ((p + r) % 2))
                i += 1
    for k in range(20 if noise else 0):
        posts.append(make_post(i, text=f"selamat pagi kupang nomor {k}"))
        labels[f"ext-{i}"] = (0.1, "dlhk", 0.5)
        i += 1
    with factory() as session, session.begin():
        upsert_posts(session=session, posts=posts)
        ids = dict(session.execute(select(PostRow.external_id, PostRow.id)).all())
        rows = [
            {
                "post_id": ids[ext],
                "relevance": rel,
                "agency": agency,
                "agency_confidence": conf,
                "topic": None,
                "topic_confidence": None,
                "alternatives": {},
            }
            for ext, (rel, agency, conf) in labels.items()
        ]
        save_classifications(session=session, model_version="m1", rows=rows)
    return len(posts)


def _triage_outcome(factory) -> dict:
    """The cases (by their posts' external ids), post states and outbox, free of row ids."""
    with factory() as session:
        members: dict[int, set[str]] = {}
        for case_id, ext in session.execute(
            select(PostRow.case_id, PostRow.external_id).where(PostRow.case_id.is_not(None))
        ):
            members.setdefault(case_id, set()).add(ext)
        external = dict(session.execute(select(PostRow.id, PostRow.external_id)).all())
        cases = set()
        for case in session.scalars(select(Case)):
            cases.add(
                (
                    frozenset(members.get(case.id, ())),
                    case.state,
                    case.agency,
                    external[case.representative_post_id],
                    case.decided_by,
                )
            )
        return {
            "cases": cases,
            "case_rows": session.scalar(select(func.count(Case.id))),
            "empty_cases": session.scalar(
                select(func.count(Case.id)).where(
                    ~select(PostRow.id).where(PostRow.case_id == Case.id).exists()
                )
            ),
            "post_states": dict(
                session.execute(select(PostRow.state, func.count()).group_by(PostRow.state)).all()
            ),
            "forwards": session.scalar(select(func.count(Forward.id))),
            "reviews": session.scalar(select(func.count(Review.id))),
        }


def _undo_triage(factory) -> None:
    with factory() as session, session.begin():
        for table in (Forward, Review, AuditEntry):
            session.execute(delete(table))
        session.execute(update(PostRow).values(state="classified", case_id=None))
        session.execute(delete(Case))


@pytest.mark.parametrize(
    "batch,noise", [(15, True), (2000, False)], ids=["many-batches", "one-batch-all-complaints"]
)
def test_concurrent_triage_runs_make_the_cases_of_one_run(session_factory, batch, noise):
    total = _store_classified(session_factory, noise=noise)
    one = triage_pending(factory=session_factory, profile=_profile(), batch=batch)
    alone = _triage_outcome(session_factory)
    assert one.examined == total and one.batches == -(-total // batch)
    assert alone["empty_cases"] == 0 and alone["case_rows"] == len(alone["cases"])

    _undo_triage(session_factory)
    stats = run_at_once(
        lambda: triage_pending(factory=session_factory, profile=_profile(), batch=batch)
    )
    together = _triage_outcome(session_factory)
    assert together == alone
    assert sum(s.examined for s in stats) == total
    assert sum(s.cases_created for s in stats) == one.cases_created
    assert sum(s.auto_approved for s in stats) == one.auto_approved == alone["forwards"]


def test_concurrent_classify_runs_classify_each_post_once(session_factory, models_dir):
    from cases import scoring

    with session_factory() as session, session.begin():
        upsert_posts(session=session, posts=[make_post(i) for i in range(600)])
    bundle = scoring.load_model(str(models_dir), scoring.champion_version(models_dir))
    predicted: list[int] = []
    real_predict = bundle.predict

    def counting_predict(texts):  # the real model, counting the texts it is given
        predicted.append(len(texts))
        return real_predict(texts)

    bundle.predict = counting_predict
    try:
        results = run_at_once(
            lambda: scoring.classify_pending(
                factory=session_factory, models_dir=models_dir, batch=50
            )
        )
    finally:
        del bundle.predict
    assert sum(r["classified"] for r in results) == 600
    with session_factory() as session:
        per_post = session.execute(
            select(Classification.post_id, func.count()).group_by(Classification.post_id)
        ).all()
        assert session.scalar(select(func.count()).where(PostRow.state != "classified")) == 0
    assert len(per_post) == 600 and {n for _, n in per_post} == {1}
    if session_factory.kw["bind"].dialect.name == "postgresql":
        assert sum(predicted) == 600  # the runs shared the batches (FOR UPDATE SKIP LOCKED)
