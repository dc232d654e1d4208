"""The facilitator's day on the real demo, in Chromium, at desktop (1280x800) and phone
(390x844) size: log in; triage with the keyboard (accept, undo, correct in one motion, bukan
aduan, skip); open a grouped case; watch the accepted case move to sent in the forwarded view
(the demo's serve mode forwards to the LAPOR! simulator); the dashboard in days; log out.

At phone size no page may be wider than the screen and every visible control is at least 40 px
tall. Screenshots of each step go to the test's tmp dir; with ADUAN_UPDATE_SCREENSHOT=1 the
desktop queue (real demo cases) replaces docs/review-queue.png.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from store.tables import Case, Forward, PostRow
from tests.conftest import need
from tests.review.test_browser import CHROMIUM, CHROMIUM_ARGS, DOCS_SCREENSHOT, free_port

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"
WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""
SMALL_CONTROLS = """() => Array.from(document.querySelectorAll(
    'button, select, input:not([type=hidden]):not([type=checkbox]), header.top nav a'))
  .filter(e => e.offsetParent !== null)
  .map(e => [e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30),
             e.getBoundingClientRect().height])
  .filter(([, h]) => h < 40)"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`aduan demo` serving its review app (and its forward/status schedules) on a free port."""
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    home = tmp_path_factory.mktemp("demo-browser")
    port = free_port()
    env = {**os.environ, "ADUAN_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    for name in ("ADUAN_DATABASE_URL", "ADUAN_PROFILE", "ADUAN_MODELS_DIR", "PREFECT_API_URL"):
        env.pop(name, None)
    log = home / "demo.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "demo", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        password = _wait_for_password(proc, log)
        yield f"http://127.0.0.1:{port}", password, home / "demo" / "aduan.sqlite3"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _wait_for_password(proc, log: Path, timeout: float = 900) -> str:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        found = re.search(r"password: (\S+)", log.read_text())
        url = re.search(r"Review app: (\S+)", log.read_text())
        if found and url:
            try:
                if httpx.get(url[1] + "login", timeout=5).status_code == 200:
                    return found[1]
            except httpx.HTTPError:
                pass
        time.sleep(1)
    raise AssertionError("the demo did not start: " + log.read_text()[-3000:])


def _grouped_case(db: Path) -> int:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        row = conn.execute(
            select(PostRow.case_id)
            .where(PostRow.case_id.is_not(None))
            .group_by(PostRow.case_id)
            .having(func.count() > 1)
            .limit(1)
        ).first()
    engine.dispose()
    assert row, "the demo groups near-duplicates into cases"
    return row[0]


def _case_states(db: Path, ids: list[int]) -> dict[int, tuple]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        cases = {c.id: (c.state, c.agency) for c in conn.execute(select(Case))}
        forwards = dict(conn.execute(select(Forward.case_id, Forward.state)).all())
    engine.dispose()
    return {i: (*cases[i], forwards.get(i)) for i in ids}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_facilitators_day_on_the_demo(demo, size, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, password, db = demo
    width, height = SIZES[size]
    phone = size == "phone"
    shots = Path(os.environ.get("ADUAN_SCREENSHOT_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)

    def check(page, name: str) -> None:
        page.screenshot(path=shots / f"{size}-{name}.png", full_page=True)
        page.screenshot(path=shots / f"{size}-{name}-screen.png")  # what the first screen shows
        if phone:
            assert page.evaluate(NO_OVERFLOW), (name, page.evaluate(WIDE))
            assert page.evaluate(SMALL_CONTROLS) == [], name

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        page = browser.new_page()
        page.goto(base + "/")
        page.fill("input[name=username]", "fasilitator")
        page.fill("input[name=password]", password)
        check(page, "0-login")
        page.click("button[type=submit]")
        expect(page.locator("header.top .who")).to_contain_text("fasilitator")
        current = page.locator("article.case.current")
        expect(current).to_have_count(1)
        check(page, "1-queue")
        filters = page.locator("details.filter-box form.filters")
        if phone:  # the cards come first: no key hint, the filters folded behind a toggle
            expect(page.locator("p.keys")).to_be_hidden()
            expect(filters).to_be_hidden()
            assert page.locator("article.case").first.bounding_box()["y"] < height / 2
            page.locator("details.filter-box summary").click()
            expect(filters).to_be_visible()
            page.locator("details.filter-box summary").click()
        else:
            expect(page.locator("p.keys")).to_be_visible()
            expect(filters).to_be_visible()
        if not phone and os.environ.get("ADUAN_UPDATE_SCREENSHOT") == "1":
            page.screenshot(path=DOCS_SCREENSHOT)

        first = int(current.get_attribute("data-case"))
        page.keyboard.press("a")  # accept ...
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{first} diterima")
        expect(page.locator("form.undo button")).to_be_visible()
        check(page, "2-accepted")
        page.keyboard.press("u")  # ... and take it back ("Batalkan")
        expect(page.locator(".flash")).to_contain_text(f"Dibatalkan: kasus #{first}")
        expect(page.locator(f"#case-{first}")).to_have_count(1)

        page.locator(f"#case-{first}").click(position={"x": 5, "y": 5})
        expect(page.locator("article.case.current")).to_have_attribute("id", f"case-{first}")
        was = page.locator(f"#case-{first} form.f-correct select[name=agency]").input_value()
        target, typed = ("dlhk", "dlhk") if was == "satpolpp" else ("satpolpp", "satpol")
        page.keyboard.press("e")  # correct in one motion: e, type, Enter
        expect(page.locator(".picker-input")).to_be_focused()
        page.keyboard.type(typed)
        expect(page.locator(".picker-list li.on")).to_contain_text(typed, ignore_case=True)
        check(page, "3-picker")
        page.keyboard.press("Enter")
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{first} dikoreksi")

        rejected = int(page.locator("article.case.current").get_attribute("data-case"))
        page.keyboard.press("x")  # bukan aduan
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{rejected} ditandai bukan aduan")
        # the offer is now the rejection's (the correction's is no longer the last thing done)
        expect(page.locator("form.undo input[name=case]")).to_have_attribute("value", str(rejected))
        page.keyboard.press("u")  # ... taken back: the case is in the queue again
        expect(page.locator(".flash")).to_contain_text(f"Dibatalkan: kasus #{rejected}")
        expect(page.locator(f"#case-{rejected}")).to_have_count(1)
        page.locator(f"#case-{rejected}").click(position={"x": 5, "y": 5})
        page.keyboard.press("x")  # and marked again
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{rejected} ditandai bukan aduan")
        skipped = int(page.locator("article.case.current").get_attribute("data-case"))
        page.keyboard.press("s")  # lewati
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{skipped} dilewati")
        expect(page.locator(f"#case-{skipped}")).to_have_count(0)
        check(page, "4-triaged")

        grouped = _grouped_case(db)
        page.goto(f"{base}/cases/{grouped}")
        expect(page.locator("section h2").first).to_contain_text("Posting dalam kasus ini")
        assert page.locator("ul.posts > li").count() >= 2
        check(page, "5-grouped-case")

        page.goto(base + "/forwards")  # the demo's forwarder sends it once the undo window ends
        row = page.locator("table.forwards tr", has=page.locator(f'a[href="/cases/{first}"]'))
        # pending for the undo window (on a slow machine it may be sent already), then sent
        expect(row.locator("td.fw-state")).to_contain_text(re.compile("menunggu kirim|terkirim"))
        deadline = time.monotonic() + 90
        while "terkirim" not in row.locator("td.fw-state").inner_text():
            assert time.monotonic() < deadline, row.inner_text()
            time.sleep(2)
            page.reload()
        expect(row.locator("td").nth(3)).not_to_have_text("-")  # a LAPOR! complaint number
        while "Terverifikasi" not in row.locator("td").nth(4).inner_text():  # its LAPOR! status
            assert time.monotonic() < deadline + 60, row.inner_text()
            time.sleep(2)
            page.reload()
        check(page, "6-forwarded")
        cells = row.locator("td")
        for i in range(cells.count()):  # every column on screen: stacked into a card on a phone
            box = cells.nth(i).bounding_box()
            assert box is None or box["x"] + box["width"] <= width + 0.5, (i, box)
        if phone:
            expect(page.locator("table.forwards tr.head")).to_be_hidden()
            assert row.bounding_box()["height"] < height / 2
        page.goto(f"{base}/cases/{first}")  # corrected: the facilitator's choice, not a 0%
        expect(page.locator("dl.tags dd").first.locator(".decided")).to_have_text(
            "dipilih fasilitator"
        )
        expect(page.locator("dl.tags dd").first.locator(".conf")).to_have_count(0)
        history = page.locator("table.history-table")
        assert history.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), "Riwayat is cut"
        check(page, "6b-decided-case")

        page.goto(base + "/dashboard")
        expect(page.locator("#median-forward")).to_contain_text(" hari")
        expect(page.locator("#red-zone-definition")).to_contain_text("hari kerja")
        expect(page.locator("ul.legend li").first).to_be_visible()
        check(page, "7-dashboard")

        for path in ("/audit", "/cases/999999"):  # error pages are Indonesian and fit too
            page.goto(base + path)
            expect(page.locator("section.error h1")).not_to_contain_text("Not Found")
        check(page, "8-error")

        page.goto(base + "/")
        page.locator("form.logout button").click()
        expect(page).to_have_url(re.compile(r"/login"))
        check(page, "9-logged-out")
        browser.close()

    states = _case_states(db, [first, rejected, skipped])
    assert states[first] == ("approved", target, "sent")
    assert states[rejected][0] == "rejected" and states[rejected][2] is None
    assert states[skipped][0] == "open"
