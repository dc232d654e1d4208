"""Readable names for the sources posts come from: a post's ``source`` is a sources.yaml key; a
facilitator reads the entry's display name, else its platform (``Facebook``)."""

from __future__ import annotations

import logging
from pathlib import Path

from config.yaml_file import read_yaml

log = logging.getLogger(__name__)

PLATFORMS = {
    "facebook_page": "Facebook",
    "feed": "RSS/Atom",
    "wordpress_comments": "komentar WordPress",
    "x_search": "X (Twitter)",
    "youtube_comments": "YouTube",
    "instagram_account": "Instagram",
    "html": "situs web",
}


class _Unreadable(Exception):
    pass


def source_names(folder: Path | None) -> dict[str, str]:
    """sources.yaml key -> readable name, from the profile ``folder``; {} without the file (the
    key is then shown as it is)."""
    if folder is None:
        return {}
    try:
        data = read_yaml(Path(folder) / "sources.yaml", _Unreadable)
    except FileNotFoundError:
        return {}
    except _Unreadable as exc:  # harvesting says so loudly (aduan sources check); here, keys
        log.warning("source names not read: %s", exc)
        return {}
    entries = data.get("sources") if isinstance(data, dict) else None
    names = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        shown = entry.get("display_name") or PLATFORMS.get(str(entry.get("type")))
        if shown:
            names[entry["name"]] = str(shown)
    return names
