"""On a phone (390x844, Debian's Chromium driven by Playwright): a facilitator passes a case LAPOR!
already has to another agency; nothing is wider than the screen, the request shows as waiting.
Screenshots go to the test's tmp dir."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from cases.states import approve_case
from store.db import make_engine, session_factory
from store.tables import Forward, Reroute
from tests.conftest import need
from tests.lapor.conftest import kupang, mapped, mapped_folder  # noqa: F401 (fixtures)
from tests.review.conftest import PASSWORD, add_user, seed_case
from tests.review.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port

REFUSAL = (
    "POST https://api-splp.layanan.go.id/lapor/3.0.0/complaints/process/700001/reject: HTTP 422: "
    "rejected (The given data was invalid.): reason: The selected reason (institution) is invalid."
)
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"
TEXT = (
    "Air got di Jl. Frans Seda meluap tiap hujan, nyamuk banyak sekali, anak tetangga kena DBD. "
    "Mohon segera ditangani."
)


@pytest.fixture
def live_app(tmp_path, _sqlite_template, mapped):  # noqa: F811
    import uvicorn

    from review.app import create_app

    path = tmp_path / "browser.sqlite3"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    factory = session_factory(engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(factory=factory, profile=mapped),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}", factory
    server.should_exit = True
    thread.join()
    engine.dispose()


def test_a_facilitator_passes_a_sent_case_on_from_a_phone(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "nona", "facilitator")
    case_id = seed_case(factory, 1, text=TEXT)
    with factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="nona", action="accept")
        forward = session.scalars(select(Forward)).one()
        forward.state, forward.complaint_id = "sent", "700001"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 390, "height": 844},
        )
        page = browser.new_page()
        page.goto(f"{base}/cases/{case_id}")
        page.fill("input[name=username]", "nona")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        form = page.locator("form.f-reroute")
        expect(form).to_be_visible()
        form.scroll_into_view_if_needed()
        assert page.evaluate(NO_OVERFLOW)
        box = form.locator("select[name=agency]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 40
        page.screenshot(path=shots / "1-form.png", full_page=True)
        form.locator("button[type=submit]").click()  # nothing chosen: the browser asks first
        assert page.evaluate("document.querySelector('select[name=agency]').validity.valueMissing")
        form.locator("select[name=agency]").select_option("dinkes")
        form.locator("textarea[name=reason]").fill("Genangan dan DBD: wewenang Dinas Kesehatan.")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash-success")).to_contain_text("menunggu dikirim ke LAPOR!")
        expect(page.locator("li.reroute-pending")).to_contain_text("Menunggu dikirim ke LAPOR!")
        expect(page.locator("form.f-reroute")).to_have_count(0)
        assert page.evaluate(NO_OVERFLOW)
        page.locator("#teruskan").scroll_into_view_if_needed()
        page.screenshot(path=shots / "2-waiting.png", full_page=True)
        with factory.begin() as session:
            [row] = session.scalars(select(Reroute)).all()
            assert (row.state, row.agency, row.requested_by) == ("pending", "dinkes", "nona")
            row.state, row.last_error = "failed", REFUSAL
        page.reload()
        expect(page.locator("li.reroute-failed")).to_contain_text("Tidak diterima LAPOR!")
        expect(page.locator(".reroute-error")).to_contain_text("reason (institution) is invalid")
        expect(page.locator("form.f-reroute")).to_be_visible()  # it can be asked again
        assert page.evaluate(NO_OVERFLOW)
        page.locator("#teruskan").scroll_into_view_if_needed()
        page.screenshot(path=shots / "3-refused.png", full_page=True)
        browser.close()
