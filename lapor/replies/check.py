"""``aduan sources check`` for replies: may each enabled source's reply token post replies?"""

from __future__ import annotations

from pathlib import Path

from config.profile import load_profile
from config.replies import REPLIES_FILE
from lapor.replies.errors import ReplyError, ReplyNotPermitted
from lapor.replies.plan import reply_sources
from lapor.replies.sender import build_clients

HOW = {
    "facebook": "a Page token with pages_manage_engagement and pages_read_user_content",
    "instagram": "instagram_manage_comments (Facebook Login) or instagram_business_manage_comments "
    "(Business Login)",
    "youtube": "an OAuth token with the youtube.force-ssl scope",
}


def reply_checks(profile_dir: Path) -> dict[str, tuple[bool, str]]:
    """{source: (ok, message)} for every source replies.yaml enables (empty when replies are off
    or the profile has no replies.yaml)."""
    if not (Path(profile_dir) / REPLIES_FILE).exists():
        return {}
    profile = load_profile(profile_dir)
    try:
        sources = reply_sources(profile)
    except ReplyError as exc:
        return {name: (False, str(exc)) for name in profile.replies.enabled_sources()}
    out: dict[str, tuple[bool, str]] = {}
    for name, setup in sources.items():
        try:
            client = build_clients({name: setup}, timeout=10.0)[name]
        except ReplyError as exc:
            out[name] = (False, f"{exc}; replies need {HOW[setup.platform]}")
            continue
        try:
            out[name] = (True, client.check())
        except ReplyNotPermitted as exc:
            message = f"balasan tidak bisa dikirim: izin {exc.permission} tidak ada"
            out[name] = (False, f"{message} ({exc}); replies need {HOW[setup.platform]}")
        except ReplyError as exc:
            out[name] = (False, f"{exc}; replies need {HOW[setup.platform]}")
        finally:
            client.close()
    return out
