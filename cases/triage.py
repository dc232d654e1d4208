"""Triage of classified posts: keep the publisher's words as context, archive what is not a
complaint, group near-duplicates into cases, auto-approve the confident ones or queue them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from cases.grouping import Candidate, group_duplicates
from cases.states import approve_case
from classifier.chances import by_chance
from config.profile import Profile, get_profile
from config.settings import Settings, load_settings
from store.areas import get_gazetteer, locate
from store.audit import SYSTEM
from store.cases import attach_post, create_case
from store.db import get_engine, session_factory
from store.locks import hold_step
from store.pipeline import (
    TriageItem,
    archive_posts,
    get_case,
    keep_as_context,
    posts_awaiting_triage,
    posts_by_id,
    recent_case_posts,
)

log = logging.getLogger(__name__)


def auto_forward_allowed(profile: Profile, agency: str | None, confidence: float | None) -> bool:
    """True when the agency is mapped to LAPOR! and the confidence reaches its threshold."""
    if agency is None or confidence is None:
        return False
    entry = profile.agency(agency)
    if entry is None or entry.lapor_disposition_id is None:
        return False
    return confidence >= profile.auto_forward_threshold(agency)


@dataclass
class TriageStats:
    """What triage did (counts only: these go into flow results and logs)."""

    examined: int = 0
    publisher: int = 0
    archived: int = 0
    cases_created: int = 0
    joined_existing: int = 0
    grouped_duplicates: int = 0
    auto_approved: int = 0
    queued: int = 0
    unknown_location: int = 0  # local-office cases whose area is unknown (left for review)
    unknown_source_place: int = 0  # cases whose source named a place areas.yaml does not know
    batches: int = field(default=0)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def triage_pending(
    *,
    factory: sessionmaker[Session] | None = None,
    profile: Profile | None = None,
    batch: int = 2000,
    settings: Settings | None = None,
) -> TriageStats:
    """Triage every classified post, ``batch`` posts per transaction (oldest first), by the rules
    of ``profile`` (default: ``settings``' one, ``taxonomy.yaml``, ``triage:``; no settings: read
    from the environment now):

    - the publisher's own words (``by_publisher``: the Page's posts and replies, the channel's,
      the blog author's) are kept as context (state ``publisher``): never a case, never archived,
      so never a training negative; the review card shows them above the comments answering them;
    - relevance below ``relevance_threshold``: the post is archived as not a complaint;
    - posts whose TF-IDF cosine (cases.grouping) is at least ``duplicate_similarity`` and that were
      posted within ``duplicate_window_hours`` of each other are one case; a post similar to a
      post of an open or approved case joins that case;
    - a new case whose agency confidence is at least that agency's auto-forward threshold, and
      whose agency has a LAPOR! ``lapor_disposition_id``, is approved by ``system`` (its outbox
      row is written in the same transaction; a facilitator can reopen it in the review app);
    - every other case stays ``open``: it waits in the review queue.

    Each batch is one transaction, so a crash leaves every post either triaged or still waiting.
    Batches are claimed one at a time across every process and machine (store.locks.hold_step): a
    second run waits for the batch in progress, then sees its posts triaged and its cases as
    candidates, so any number of concurrent runs give exactly the cases of one run. (Skipping
    locked posts instead would let two runs triage near-duplicates side by side, each opening its
    own case.)
    """
    if factory is None or profile is None:
        settings = settings or load_settings()
        factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
        profile = profile or get_profile(settings.profile)
    stats = TriageStats()
    while True:
        with factory() as session, session.begin():
            hold_step(session=session, name="triage")
            items = posts_awaiting_triage(session=session, limit=batch)
            if not items:
                break
            _triage_batch(session, items, profile, stats)
        stats.batches += 1
    log.info(
        "triage: %d posts, %d the publisher's own, %d archived, %d new cases (%d auto-approved, "
        "%d queued), %d joined existing cases; %d local-office cases without a known area, "
        "%d cases whose source names a place not in areas.yaml (left as unknown, never guessed)",
        stats.examined,
        stats.publisher,
        stats.archived,
        stats.cases_created,
        stats.auto_approved,
        stats.queued,
        stats.joined_existing,
        stats.unknown_location,
        stats.unknown_source_place,
    )
    return stats


def _triage_batch(
    session: Session, items: list[TriageItem], profile: Profile, stats: TriageStats
) -> None:
    rules = profile.triage
    stats.examined += len(items)
    own = [it.post_id for it in items if it.by_publisher]
    stats.publisher += keep_as_context(session=session, post_ids=own)
    items = [it for it in items if not it.by_publisher]
    relevant = [it for it in items if not it.relevance < rules.relevance_threshold]
    stats.archived += archive_posts(
        session=session,
        post_ids=[it.post_id for it in items if it.relevance < rules.relevance_threshold],
    )
    if not relevant:
        return
    window = timedelta(hours=rules.duplicate_window_hours)
    existing = recent_case_posts(
        session=session,
        since=min(it.created_at for it in relevant) - window,
        until=max(it.created_at for it in relevant) + window,
    )
    groups = group_duplicates(
        [it.text for it in relevant],
        [it.created_at for it in relevant],
        threshold=rules.duplicate_similarity,
        window=window,
        candidates=[Candidate(c.text, c.created_at, c.case_id) for c in existing],
    )
    rows = posts_by_id(session=session, post_ids=[it.post_id for it in relevant])
    for group in groups:
        members = [relevant[k] for k in group.members]
        if group.case_id is not None:
            case = get_case(session=session, case_id=group.case_id)
            for item in members:
                attach_post(session=session, case=case, post=rows[item.post_id])
            stats.joined_existing += len(members)
            continue
        _new_case(session, members, rows, profile, stats)


def _likeliest(item: TriageItem, head: str) -> tuple[str | None, float | None]:
    """The head's label most likely right and its chance (one meaning per number: the model's
    ranking may put a less likely label first; the card offers the likeliest)."""
    label, confidence = getattr(item, head), getattr(item, f"{head}_confidence")
    ranked = by_chance(label, confidence, (item.alternatives or {}).get(head) or ())
    return ranked[0] if ranked else (label, confidence)


def _new_case(session: Session, members: list[TriageItem], rows: dict, profile: Profile, stats):
    first = members[0]
    # The tags come from the member the model is surest about; the first post represents it.
    tagged = max(members, key=lambda it: it.agency_confidence or 0.0)
    agency, agency_confidence = _likeliest(tagged, "agency")
    topic_key, topic_confidence = _likeliest(tagged, "topic")
    topic = profile.topic(topic_key) if topic_key else None
    post = rows[first.post_id]
    gazetteer = get_gazetteer(profile.folder) if profile.folder else None
    location = locate(gazetteer, post.text, post.raw)
    case = create_case(
        session=session,
        post=post,
        agency=agency,
        topic=topic_key,
        agency_confidence=agency_confidence,
        topic_confidence=topic_confidence,
        urgency=topic.urgency if topic else 1,
        location=location,
    )
    for item in members[1:]:
        attach_post(session=session, case=case, post=rows[item.post_id])
    stats.cases_created += 1
    stats.grouped_duplicates += len(members) - 1
    routed = profile.agency(case.agency) if case.agency else None
    unknown_place = routed is not None and routed.local_level is not None and not location.key
    if location.unknown:
        stats.unknown_source_place += 1
    if unknown_place:
        stats.unknown_location += 1  # a local office without a place: a facilitator decides
    if not unknown_place and auto_forward_allowed(profile, case.agency, case.agency_confidence):
        approve_case(session=session, case_id=case.id, actor=SYSTEM)
        stats.auto_approved += 1
    else:
        stats.queued += 1
