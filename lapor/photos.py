"""Photos of a case's posts, uploaded to LAPOR! before the complaint is created."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from lapor.exceptions import AuthRejected, LaporApiError, NotFound

log = logging.getLogger(__name__)
MAX_PHOTO_BYTES = 5 * 1024 * 1024
SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}


def download(url: str, folder: Path, number: int, *, timeout: float = 10.0) -> Path | None:
    """The image at ``url`` saved in ``folder``, or None (not an image, too big, unreachable)."""
    try:
        with requests.get(url, timeout=(5.0, timeout), stream=True) as response:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if response.status_code != 200 or kind not in SUFFIXES:
                log.warning("photo %d not used: HTTP %s, %s", number, response.status_code, kind)
                return None
            body = b""
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_PHOTO_BYTES:
                    log.warning("photo %d not used: larger than %d bytes", number, MAX_PHOTO_BYTES)
                    return None
    except requests.RequestException as exc:
        log.warning("photo %d not used: %s", number, type(exc).__name__)
        return None
    path = folder / f"foto-{number}{SUFFIXES[kind]}"
    path.write_bytes(body)
    return path


# The sources store the photo links of a post (``posts.photo_urls``; older Facebook rows: Graph
# ``full_picture`` in their raw JSON, see ``lapor.compose.photo_urls``); the sender downloads at
# most ``lapor.max_attachments`` of them (images only, at most ``MAX_PHOTO_BYTES`` each), uploads
# them with ``POST /complaints/complaint/file`` and sends their ids in ``attachments``. A photo
# that cannot be fetched or uploaded never stops the complaint: it is sent without it, and the log
# says why.
def upload_photos(client: Any, urls: Sequence[str]) -> list[str]:
    """LAPOR! ids of the photos at ``urls`` that could be fetched and uploaded (maybe none).
    A wrong key or base URL still stops the run (AuthRejected, NotFound)."""
    with tempfile.TemporaryDirectory(prefix="aduan-photos-") as tmp:
        files = [p for i, url in enumerate(urls, 1) if (p := download(url, Path(tmp), i))]
        if not files:
            return []
        try:
            return client.upload_attachment(files)
        except (AuthRejected, NotFound):
            raise
        except LaporApiError as exc:
            log.warning("photos not attached: upload failed (%s)", type(exc).__name__)
            return []
