"""In a real browser on a phone: the Forwarded page gives LAPOR!'s refusal in Indonesian, with
LAPOR!'s own words, inside its card (the client's whole text is the tooltip)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from cases.states import approve_case
from store.tables import Forward
from tests.conftest import need
from tests.review.conftest import add_user, seed_case
from tests.review.test_browser import CHROMIUM, live_app, log_in, open_chromium
from tests.review.test_browser_tables import CUT_OFF, OVERFLOWS

__all__ = ["live_app"]
REFUSAL = (  # lapor.client.raise_for_answer's text for a 422 with field errors
    "POST https://api-splp.layanan.go.id/lapor/3.0.0/complaints: HTTP 422: rejected (The given "
    "data was invalid.): content: The content must be at least 50 characters."
)


def test_a_refused_forward_reads_in_indonesian_on_a_phone(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "ana", "admin")
    case_id = seed_case(factory, 1)
    with factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="ana")
        forward = session.scalars(select(Forward)).one()
        forward.state, forward.attempts, forward.last_error = "failed", 1, REFUSAL
    shots = Path(os.environ.get("ADUAN_SCREENSHOT_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = open_chromium(playwright, tmp_path / "profile", 390, 844)
        page = browser.new_page()
        log_in(page, base, "ana", "/forwards")
        error = page.locator("table.forwards small.err")
        expect(error).to_contain_text("ditolak LAPOR! (HTTP 422): The given data was invalid.")
        expect(error).to_contain_text("content: The content must be at least 50")
        expect(error).not_to_contain_text("https://")
        assert error.get_attribute("title") == REFUSAL
        page.screenshot(path=str(shots / "phone-forwards-error.png"), full_page=True)
        assert page.evaluate(CUT_OFF) == []
        assert not page.evaluate(f"({OVERFLOWS})(document.scrollingElement)")
        browser.close()
