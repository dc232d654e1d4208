"""In a real browser: the accounts, audit and dashboard tables stack into one card per row on a
phone (nothing cut off on the right, no sideways page scroll); on a desktop the new account's
agency checkboxes sit on one line with their names, wrapping as a list."""

from __future__ import annotations

import os
from pathlib import Path

from store.audit import record_audit
from tests.conftest import need
from tests.review.conftest import add_user, seed_case
from tests.review.test_browser import CHROMIUM, live_app, log_in, open_chromium

__all__ = ["live_app"]

OVERFLOWS = "el => el.scrollWidth > el.clientWidth + 1"
# Each table (but the weekly one, which scrolls in a box that says so): wider than its box, its
# right edge past the screen's, or a cell or button past the table's.
CUT_OFF = """() => [...document.querySelectorAll('main table')].filter(t => !t.closest('.scroll'))
.filter(t => {
  const box = t.getBoundingClientRect();
  return t.scrollWidth > t.clientWidth + 1 || box.right > document.documentElement.clientWidth + 1
      || [...t.querySelectorAll('td, th, button')].some(
           c => c.offsetParent && c.getBoundingClientRect().right > box.right + 1);
}).map(t => t.className)"""


def seed(factory) -> None:
    add_user(factory, "ana", "admin")
    add_user(factory, "fasilitator-dua", "facilitator", ["dlhk", "pupr", "dinkes"])
    for i in range(1, 5):
        seed_case(factory, i, agency="dlhk" if i % 2 else "pupr")
    with factory.begin() as session:
        record_audit(
            session=session,
            actor="system",
            action="case.promote",
            object_type="case",
            object_id=1,
            before={"post_id": 161, "state": "archived"},
            after={"state": "open", "agency": "perumda_air", "topic": "keamanan"},
        )
        record_audit(
            session=session,
            actor="system",
            action="reply.sent",
            object_type="reply",
            object_id=62,
            after={"reply_id": "1234567890123456_9876543210987654"},
        )


def test_tables_stack_on_a_phone_and_checkboxes_sit_beside_their_names(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("ADUAN_SCREENSHOT_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    base, factory = live_app
    seed(factory)
    with sync_playwright() as playwright:
        browser = open_chromium(playwright, tmp_path / "profile", 390, 844)
        page = browser.new_page()
        log_in(page, base, "ana", "/users")
        expect(page.locator("h1")).to_have_text("Akun")

        for path, table in (("/users", "accounts"), ("/audit", "audit"), ("/dashboard", "areas")):
            page.goto(f"{base}{path}")
            expect(page.locator(f"table.{table}")).to_be_visible()
            page.screenshot(path=str(shots / f"phone{path.replace('/', '-')}.png"), full_page=True)
            assert page.evaluate(CUT_OFF) == [], path
            assert not page.evaluate(f"({OVERFLOWS})(document.scrollingElement)"), path
            assert page.locator(f"table.{table} tr.head").is_hidden(), path
            row = page.locator(f"table.{table} tr:not(.head)").first
            assert row.evaluate("r => getComputedStyle(r).display") == "block", path
        page.goto(f"{base}/users")
        button = page.locator("table.accounts button", has_text="Nonaktifkan").first
        expect(button).to_be_visible()
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth + 1")  # not "Nona"
        expect(page.locator("select[name=role]")).to_have_value("facilitator")
        page.goto(f"{base}/audit")
        expect(page.locator("table.audit td[data-label=Perubahan]").first).to_be_visible()

        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/users")
        page.screenshot(path=str(shots / "desktop-users.png"), full_page=True)
        labels = page.locator("fieldset.checks label.check")
        assert labels.count() > 5
        for i in (0, 1, labels.count() - 1):
            label = labels.nth(i)
            box = label.locator("input").bounding_box()
            text = label.evaluate(
                "l => { const r = document.createRange(); r.selectNodeContents(l);"
                " const rects = [...r.getClientRects()]; const last = rects[rects.length - 1];"
                " return {top: last.top, bottom: last.bottom, left: last.left}; }"
            )
            middle = box["y"] + box["height"] / 2
            assert text["top"] <= middle <= text["bottom"], "checkbox and name on one line"
            assert box["x"] < text["left"] + 1, "the box comes first"
        first, second = labels.nth(0).bounding_box(), labels.nth(1).bounding_box()
        assert abs(first["y"] - second["y"]) < 2, "the names wrap as a list, several a line"
        for path in ("/audit", "/dashboard"):
            page.goto(f"{base}{path}")
            expect(page.locator("main table").first).to_be_visible()
            page.screenshot(
                path=str(shots / f"desktop{path.replace('/', '-')}.png"), full_page=True
            )
        expect(page.locator("table.areas tr.head")).to_be_visible()
        browser.close()
