"""Compose a LAPOR! complaint from a case and its posts (pure: no I/O, no clock)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from config.profile import Profile
from lapor.exceptions import MappingMissing
from lapor.redact import redact

TITLE_MAX = 150
CONTENT_MAX = 4000
MORE_POSTS_SHOWN = 2
NOTE = (
    "Catatan: laporan ini dikumpulkan oleh Aduan dari unggahan publik di media sosial; "
    "Aduan bukan pelapor. Ref: aduan-{case_id}"
)
_NAMED_PLACE = re.compile(
    r"\b(?:Jl\.|Jln\.?|Jalan|Kelurahan|Kel\.|Kecamatan|Kec\.|Pasar|Puskesmas|Gang|Gg\.|"
    r"Perumahan|Perum|Terminal|RSUD|SDN?|SMPN?|SMAN?)\s*[A-Z][\w'.-]*(?:\s+[A-Z][\w'-]*){0,2}"
)
_AFTER_PREPOSITION = re.compile(r"\b(?:di|ke|dekat|sekitar|depan)\s+([A-Z][a-z][\w'-]*)")
_NOT_PLACES = {"Kota", "Dinas", "Bapak", "Bapa", "Ibu", "Pak", "Bu", "Mohon", "Tolong", "Sini"}


class CaseLike(Protocol):
    id: int
    agency: str | None
    topic: str | None
    urgency: int


class PostLike(Protocol):
    text: str
    url: str | None
    created_at: datetime


def find_place(text: str) -> str | None:
    """The first named place in ``text`` (a street, kelurahan, market, ...) or None."""
    match = _NAMED_PLACE.search(text)
    if match:
        return match.group(0).rstrip(".,")
    for match in _AFTER_PREPOSITION.finditer(text):
        if match.group(1) not in _NOT_PLACES:
            return match.group(1)
    return None


def area_ids(case: CaseLike, profile: Profile, gazetteer=None) -> tuple[Any, Any]:
    """(location_id, disposition_id) from the case's area (``cases.location``) in the profile's
    gazetteer: the area's LAPOR! location (a kelurahan without one: its kecamatan's), and for a
    local-office agency the routed office's disposition id (a kelurahan office without one: its
    kecamatan's); None where there is none."""
    key = getattr(case, "location", None)
    if gazetteer is None or not key or key not in gazetteer.areas:
        return None, None
    area = gazetteer.areas[key]
    location_id = area.lapor_location_id
    if location_id is None and area.parent in gazetteer.areas:
        location_id = gazetteer.areas[area.parent].lapor_location_id
    agency = profile.agency(case.agency) if case.agency else None
    disposition = None
    if agency is not None and agency.local_level:
        office = gazetteer.routed_office(key, agency.local_level)
        disposition = office.lapor_disposition_id if office else None
        if office is not None and disposition is None and office.parent in gazetteer.areas:
            disposition = gazetteer.areas[office.parent].lapor_disposition_id  # its kecamatan
    return location_id, disposition


def lapor_ids(case: CaseLike, profile: Profile, gazetteer=None) -> dict[str, Any]:
    """The LAPOR! ids this case needs, or MappingMissing naming every one that is absent.
    With a gazetteer the case's area gives location_id (else lapor.default_location_id) and,
    for a local-office case, the office's disposition_id (else the agency's)."""
    missing: list[str] = []
    agency = profile.agency(case.agency) if case.agency else None
    topic = profile.topic(case.topic) if case.topic else None
    location_id, office_disposition = area_ids(case, profile, gazetteer)
    if agency is None:
        missing.append(f"case has agency {case.agency!r}, which is not in the profile")
    elif agency.lapor_disposition_id is None and office_disposition is None:
        missing.append(f"agency {agency.key} has no lapor_disposition_id")
    if topic is None:
        missing.append(f"case has topic {case.topic!r}, which is not in the profile")
    elif topic.lapor_category_id is None:
        missing.append(f"topic {topic.key} has no lapor_category_id")
    if profile.lapor.channel_id is None:
        missing.append("lapor.channel_id is not set")
    if profile.lapor.default_location_id is None and location_id is None:
        missing.append("lapor.default_location_id is not set")
    if profile.lapor.classification_id is None:
        missing.append("lapor.classification_id is not set")
    if profile.lapor.user_id is None and profile.lapor.new_user is None:
        missing.append("lapor.user_id is not set (nor lapor.new_user)")
    if missing:
        raise MappingMissing(missing)
    return {
        "channel": profile.lapor.channel_id,
        "classification_id": profile.lapor.classification_id,
        "category_id": topic.lapor_category_id,
        "disposition_id": office_disposition or agency.lapor_disposition_id,
        "location_id": location_id or profile.lapor.default_location_id,
    }


def reporter_fields(profile: Profile) -> dict[str, Any]:
    """Who reports, as the public v3 clients say it: the integration's fixed ``user_id``, or
    ``is_new_user_slider`` with the office's e-mail, name and phone (never a citizen's)."""
    options = profile.lapor
    if options.user_id is not None:
        return {"is_new_user_slider": False, "user_id": options.user_id}
    user = options.new_user
    return {
        "is_new_user_slider": True,
        "emailUser": user.email,
        "nameUser": user.name,
        "phoneUser": user.phone,
    }


def attachments_field(ids: Sequence[str | int]) -> str:
    """``attachments`` as the public v3 clients send it: a string, ``"[4199656,4199657]"``."""
    return "[" + ",".join(str(i) for i in ids) + "]"


def photo_urls(posts: Sequence[Any], limit: int) -> list[str]:
    """Photo links the sources stored with the posts (``posts.photo_urls``; for a post stored
    before that column, Graph ``full_picture`` in its raw JSON), at most ``limit``."""
    urls: list[str] = []
    for post in posts:
        for url in getattr(post, "photo_urls", None) or _full_picture(post):
            fresh = isinstance(url, str) and url not in urls
            if fresh and url.startswith(("https://", "http://")):
                urls.append(url)
    return urls[:limit]


def _full_picture(post: Any) -> list[Any]:
    raw = getattr(post, "raw", None)
    if not raw or "full_picture" not in raw:
        return []
    try:
        return [json.loads(raw).get("full_picture")]
    except (ValueError, AttributeError):
        return []


def safe_link(url: str | None) -> str | None:
    """An http(s) link, redacted like the text (``wa.me/62812…`` loses its number); None for any
    other scheme (``javascript:``, ``data:``, ``mailto:``) or a link with spaces or controls."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("https://", "http://")) or len(url) > 2000:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    return redact(url)


def compose_title(topic_name: str, posts: Sequence[PostLike], region: str) -> str:
    """ "<topic> di <place>, <region>" (or "<topic> di <region>" when no place is named),
    redacted: a place is read from the citizen's words."""
    place = next((p for p in (find_place(redact(post.text)) for post in posts) if p), None)
    title = f"{topic_name} di {place}, {region}" if place else f"{topic_name} di {region}"
    return title[:TITLE_MAX]


# Title from topic and place; content = the citizen's words (redacted), the public link of the
# source post and a one-line note that Aduan collected it from public social media. Ids come from
# the profile; a missing id raises ``MappingMissing`` so nothing half-mapped is ever sent.
def compose_content(case_id: int, posts: Sequence[PostLike]) -> str:
    """The first post's redacted words, links of the source posts and the Aduan note."""
    first, more = posts[0], posts[1 : 1 + MORE_POSTS_SHOWN]
    parts = [redact(first.text).strip()]
    for post in more:
        parts.append("Unggahan serupa: " + redact(post.text).strip())
    links = [safe_link(p.url) for p in posts]
    links = [link for link in links if link]
    if links:
        parts.append("Sumber: " + " ".join(links[: 1 + MORE_POSTS_SHOWN]))
    if len(posts) > 1 + MORE_POSTS_SHOWN:
        parts.append(f"(dan {len(posts) - 1 - MORE_POSTS_SHOWN} unggahan serupa lainnya)")
    note = NOTE.format(case_id=case_id)
    body = "\n\n".join(parts)
    room = CONTENT_MAX - len(note) - 2
    if len(body) > room:
        body = body[: room - 1].rstrip() + "…"
    return f"{body}\n\n{note}"


def compose_complaint(
    case: CaseLike, posts: Sequence[PostLike], profile: Profile, gazetteer=None
) -> dict:
    """The JSON body of ``POST /complaints/complaint`` (first post = the representative one);
    `gazetteer` (``store.areas.Gazetteer``) places it (``lapor_ids``)."""
    if not posts:
        raise ValueError(f"case {case.id} has no posts to forward")
    ids = lapor_ids(case, profile, gazetteer)
    topic = profile.topic(case.topic)  # lapor_ids checked it exists
    incident = posts[0].created_at.astimezone(ZoneInfo(profile.timezone))
    options = profile.lapor
    return {
        "title": compose_title(topic.name, posts, profile.region),
        "content": compose_content(case.id, posts),
        **ids,
        **reporter_fields(profile),
        "is_disposisi_slider": True,
        "info_disposition": options.info_disposition,
        "is_approval": options.is_approval,
        "copy_externals": options.copy_externals,
        "community_id": options.community_id,
        "priority_program_id": options.priority_program_id,
        "date_of_incident": incident.date().isoformat(),
        "is_anonymous": options.is_anonymous,
        "is_secret": options.is_secret,
        "is_priority": False,
        "tags_raw": "aduan",
        "attachments": attachments_field(()),
    }
