"""In a real browser (Debian's Chromium driven by Playwright): a session cookie saved before
logout is refused afterwards (issue 19 item 3), and a tab in ``next`` does not leave the site."""

from __future__ import annotations

from pathlib import Path

from review.auth import SESSION_COOKIE
from tests.conftest import need
from tests.review.conftest import PASSWORD, add_user, seed_case
from tests.review.test_browser import CHROMIUM, CHROMIUM_ARGS, live_app

__all__ = ["live_app"]


def _browser(playwright, tmp_path: Path, name: str):
    return playwright.chromium.launch_persistent_context(
        str(tmp_path / name),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1200, "height": 900},
    )


def test_a_cookie_saved_before_logout_is_refused_after_it(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "nona", "facilitator")
    case_id = seed_case(factory, 1, text="Lampu jalan di Oesapa mati sejak minggu lalu.")

    with sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path, "profile-1")
        page = browser.new_page()
        page.goto(f"{base}/login?next=/cases/{case_id}")
        page.fill("input[name=username]", "nona")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/cases/{case_id}")
        saved = [c for c in browser.cookies() if c["name"] == SESSION_COOKIE]
        assert saved, "no session cookie after login"

        page.click("form.logout button[type=submit]")
        expect(page).to_have_url(f"{base}/login")
        browser.close()

        # Someone who copied the cookie before the logout replays it in another browser.
        thief = _browser(playwright, tmp_path, "profile-2")
        thief.add_cookies(saved)
        page = thief.new_page()
        page.goto(f"{base}/cases/{case_id}")
        expect(page).to_have_url(f"{base}/login?next=%2Fcases%2F{case_id}")
        expect(page.locator("input[name=username]")).to_be_visible()
        assert "Oesapa" not in page.content()

        # A tab in next= (browsers drop it from URLs) must not lead to another site.
        page.fill("input[name=username]", "nona")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/cases/{case_id}?next=/%09/evil.example/")
        href = page.locator("a", has_text="kembali").get_attribute("href")
        assert href == "/"
        thief.close()
