"""The app's routes, one small module per area."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from review.auth import FLASH_COOKIE
from review.proxy import is_https


def redirect(request: Request, url: str, message: str | None = None, kind: str = "info"):
    """303 to ``url``, carrying ``message`` to the next page in a signed, short-lived cookie."""
    response = RedirectResponse(url, status_code=303)
    if message:
        response.set_cookie(
            FLASH_COOKIE,
            request.app.state.sessions.dump_flash(message, kind),
            max_age=300,
            httponly=True,
            samesite="lax",
            secure=is_https(request),
            path="/",
        )
    return response
