"""Which citizens get which reply: the profile's replies.yaml against sources.yaml and the store."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.profile import Profile
from config.settings import Settings, load_settings
from lapor.replies.errors import ReplyConfigError
from store.replies import ReplyCandidate, add_replies, reply_candidates, reply_targets

log = logging.getLogger(__name__)

PLATFORMS = {
    "facebook_page": "facebook",
    "instagram_account": "instagram",
    "youtube_comments": "youtube",
}
NO_ID = (
    "balasan tidak bisa dikirim: platform tidak memberi id komentar (token tanpa tugas MODERATE)"
)

SAME_THREAD = "tidak dibalas: kasus ini sudah dibalas di thread yang sama"


@dataclass(frozen=True)
class ReplySourceSetup:
    """A source with replies on: its sources.yaml entry, its replies.yaml options, the secret."""

    name: str
    platform: str
    config: Any
    token_env: str | None
    policy: str
    rate: float


def reply_sources(profile: Profile) -> dict[str, ReplySourceSetup]:
    """The sources replies.yaml enables, checked against sources.yaml (ReplyConfigError)."""
    from harvester.config import load_sources

    enabled = profile.replies.enabled_sources()
    if not enabled:
        return {}
    configs, _ = load_sources(Path(profile.folder or "."))
    by_name = {c.name: c for c in configs}
    out: dict[str, ReplySourceSetup] = {}
    for name, options in enabled.items():
        config = by_name.get(name)
        if config is None:
            raise ReplyConfigError(f"replies.yaml: sources.{name}: no valid source of that name")
        platform = PLATFORMS.get(config.type)
        if platform is None:
            raise ReplyConfigError(
                f"replies.yaml: sources.{name}: a {config.type} source cannot be replied to "
                f"(only {', '.join(PLATFORMS)})"
            )
        token_env = options.token_env or config.token_env
        if platform == "youtube" and not options.token_env:
            raise ReplyConfigError(
                f"replies.yaml: sources.{name}: YouTube replies need an OAuth token with the "
                "youtube.force-ssl scope in token_env (an API key cannot post)"
            )
        policy = profile.replies.policy_of(name)
        out[name] = ReplySourceSetup(
            name, platform, config, token_env, policy, options.requests_per_second
        )
    return out


def target_of(candidate: ReplyCandidate) -> str:
    """The comment to reply under: the post, or the top-level comment a reply belongs to."""
    if candidate.parent_is_comment and candidate.parent_external_id:
        return candidate.parent_external_id
    return candidate.external_id


# A reply is planned for every post of a case whose forward reached LAPOR! with a tracking id, in
# a source with replies enabled, unless the publisher wrote it. It goes under the post itself, or,
# for a reply to a comment, under that comment's thread (Instagram and YouTube only take replies to
# top-level comments; Facebook nests two levels). ``approval`` or ``pending`` as the policy says.
def plan_replies(
    *,
    factory: sessionmaker[Session],
    profile: Profile,
    sources: dict[str, ReplySourceSetup],
    now: datetime | None = None,
    settings: Settings | None = None,
) -> Counter[str]:
    """Make the reply rows now due (idempotent); returns how many were made, by state
    (``failed``: a reply that cannot be sent, ``NO_ID``). ``settings`` gives the default link
    (None: read from the environment now)."""
    made: Counter[str] = Counter()
    if not sources:
        return made
    settings = settings or load_settings()
    now = now or datetime.now(UTC)
    config = profile.replies
    since = now - timedelta(days=config.max_age_days)
    while True:
        with factory.begin() as session:
            found = reply_candidates(
                session=session,
                sources=list(sources),
                status_names=list(config.templates.status),
                sent_since=since,
            )
            rows = _one_per_thread(
                [_row(c, profile, sources[c.source], settings) for c in found],
                reply_targets(session=session, case_ids=[c.case_id for c in found]),
            )
            added = add_replies(session=session, rows=rows)
        made += added
        if len(found) < 1000 or not added:
            break
    if made:
        log.info("planned %d replies (%s)", made.total(), dict(made))
    return made


def _one_per_thread(
    rows: list[dict[str, Any]], existing: set[tuple[int, str, str]]
) -> list[dict[str, Any]]:
    """Two posts of one case in the same thread get one reply there; the other row is kept as
    ``cancelled`` (recorded, so it is not planned again)."""
    seen = set(existing)
    for row in rows:
        key = (row["case_id"], row["target_id"], row["kind"])
        if key in seen and row["state"] != "failed":
            row["state"], row["last_error"] = "cancelled", SAME_THREAD
        seen.add(key)
    return rows


def _row(
    candidate: ReplyCandidate, profile: Profile, setup: ReplySourceSetup, settings: Settings
) -> dict[str, Any]:
    agency = profile.agency(candidate.agency or "")
    text = profile.replies.render(
        candidate.kind,
        nomor=candidate.complaint_id,
        instansi=agency.name if agency else "instansi terkait",
        status=candidate.status_name,
        settings=settings,
    )
    target = target_of(candidate)
    state, error = ("approval" if setup.policy == "approve" else "pending"), None
    if target.startswith("derived:"):
        state, error = "failed", NO_ID
    return {
        "case_id": candidate.case_id,
        "post_id": candidate.post_id,
        "forward_id": candidate.forward_id,
        "source": candidate.source,
        "platform": setup.platform,
        "target_id": target,
        "kind": candidate.kind,
        "text": text,
        "state": state,
        "last_error": error,
    }
