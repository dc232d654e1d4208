"""In a real browser: the dashboard on a phone. The service-level table stacks into one card per
stage; the wide weekly table scrolls inside its box, with a hint shown only while it overflows."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import need
from tests.review.conftest import add_user, seed_case
from tests.review.test_browser import CHROMIUM, live_app, log_in, open_chromium

__all__ = ["live_app"]

OVERFLOWS = "el => el.scrollWidth > el.clientWidth + 1"


def test_the_dashboard_fits_a_phone_and_says_when_a_table_scrolls(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "ana", "admin")
    for i in range(1, 5):
        seed_case(factory, i, agency="dlhk" if i % 2 else "pupr")
    with sync_playwright() as playwright:
        browser = open_chromium(playwright, tmp_path / "profile", 390, 844)
        page = browser.new_page()
        log_in(page, base, "ana", "/dashboard?weeks=52")
        expect(page.locator("table.levels")).to_be_visible()
        page.screenshot(path=str(tmp_path / "dashboard-390.png"), full_page=True)

        # one card per stage, each value named: nothing to scroll sideways
        levels = page.locator("table.levels")
        assert not levels.evaluate(OVERFLOWS)
        assert page.locator("table.levels tr.head").is_hidden()
        expect(levels.locator("td[data-label='Batas']").first).to_contain_text("hari kerja")
        assert levels.locator("tr").nth(1).evaluate("r => getComputedStyle(r).display") == "block"
        assert not page.evaluate(f"({OVERFLOWS})(document.scrollingElement)")

        # 52 weeks do not fit: the box scrolls and the hint says so
        trend = page.locator("div.scroll:has(table.trend)")
        assert trend.evaluate(OVERFLOWS)
        expect(page.locator(".scroll-hint")).to_be_visible()
        expect(page.locator(".scroll-hint")).to_contain_text("geser ke samping")

        # on a desktop, four weeks fit: no hint, and the stage table is a table again
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/dashboard?weeks=4")
        assert not page.locator("div.scroll:has(table.trend)").evaluate(OVERFLOWS)
        expect(page.locator(".scroll-hint")).to_be_hidden()
        expect(page.locator("table.levels tr.head")).to_be_visible()
        page.screenshot(path=str(tmp_path / "dashboard-1280.png"), full_page=True)
        browser.close()
