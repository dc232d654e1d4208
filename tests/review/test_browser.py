"""A facilitator works the queue in a real browser (Debian's Chromium driven by Playwright).

Log in, triage three cases with the keyboard (accept, correct, reject), then check the database,
the outbox and the audit log. Screenshots go to the test's tmp dir; with
ADUAN_UPDATE_SCREENSHOT=1 the queue's screenshot also replaces docs/review-queue.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from config.profile import get_profile
from store.db import make_engine, session_factory
from store.repository import upsert_posts
from store.tables import AuditEntry, Case, Forward, TrainingLabel
from tests.conftest import need
from tests.factories import make_post
from tests.review.conftest import PASSWORD, add_user, seed_case

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "review-queue.png"


def open_chromium(playwright, profile: Path, width: int = 1280, height: int = 800):
    """Debian's Chromium, headless, with its own profile folder, at ``width`` x ``height``."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": width, "height": height},
    )


def log_in(page, base: str, name: str, next_path: str = "/", password: str = PASSWORD) -> None:
    """Sign ``name`` in through the login form, landing on ``next_path``."""
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_app(tmp_path, _sqlite_template, monkeypatch):
    """The app served by uvicorn in a thread on a free port, on a SQLite file."""
    import uvicorn

    from review.app import create_app

    path = tmp_path / "browser.sqlite3"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    factory = session_factory(engine)
    app = create_app(factory=factory, profile=get_profile())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
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


def seed_triage(factory) -> list[int]:
    with factory.begin() as session:
        upsert_posts(
            session=session,
            posts=[
                make_post(
                    900,
                    source="fb-pemkot-kupang",
                    text="Pemkot Kupang: jadwal pengangkutan sampah minggu ini (Senin–Sabtu).",
                )
            ],
        )
    texts = [
        ("Sudah 2 minggu sampah di depan pasar Oeba tidak diangkut, bau sekali.", "dlhk", "sampah"),
        (
            "Lampu jalan di Jl. Timor Raya depan SD mati total, rawan kecelakaan malam.",
            "pln",
            "penerangan_jalan_umum",
        ),
        ("Selamat ulang tahun Kota Kupang! Semoga makin maju <b>jaya</b>.", "pupr", "jalan_rusak"),
    ]
    ids = []
    for i, (text, agency, topic) in enumerate(texts, start=1):
        ids.append(
            seed_case(
                factory,
                i,
                text=text,
                agency=agency,
                topic=topic,
                confidence=0.4 + 0.15 * i,
                source="fb-pemkot-kupang",
                parent_external_id="ext-900" if i == 1 else None,
                duplicates=2 if i == 1 else 0,
            )
        )
    return ids


def test_facilitator_triages_three_cases_with_the_keyboard(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "nona", "facilitator")
    accept_id, correct_id, reject_id = seed_triage(factory)
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 900},
        )
        page = browser.new_page()
        page.goto(base + "/")
        expect(page).to_have_url(f"{base}/login?next=%2F")
        page.fill("input[name=username]", "nona")
        page.fill("input[name=password]", PASSWORD)
        page.screenshot(path=shots / "0-login.png")
        page.click("button[type=submit]")
        expect(page.locator("#total")).to_have_text("3")
        cards = page.locator("ol.queue article.case")
        expect(cards.nth(0)).to_have_attribute("id", f"case-{accept_id}")
        expect(page.locator("article.case.current")).to_have_attribute("id", f"case-{accept_id}")
        page.screenshot(path=shots / "1-queue.png", full_page=True)
        if os.environ.get("ADUAN_UPDATE_SCREENSHOT") == "1":
            page.screenshot(path=DOCS_SCREENSHOT)

        page.keyboard.press("j")  # move down and back up
        expect(page.locator("article.case.current")).to_have_attribute("id", f"case-{correct_id}")
        page.keyboard.press("k")
        expect(page.locator("article.case.current")).to_have_attribute("id", f"case-{accept_id}")

        page.keyboard.press("a")  # accept the first case
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{accept_id} diterima")
        expect(page.locator("#total")).to_have_text("2")
        page.screenshot(path=shots / "2-accepted.png", full_page=True)

        current = page.locator("article.case.current")
        expect(current).to_have_attribute("id", f"case-{correct_id}")
        page.keyboard.press("e")  # correct in one motion: e, type agency / topic, Enter
        expect(current.locator(".picker-input")).to_be_focused()
        page.keyboard.type("dlhk / sampah")
        expect(current.locator(".picker-list li.on")).to_contain_text("Sampah")
        page.keyboard.press("Enter")
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{correct_id} dikoreksi")
        page.screenshot(path=shots / "3-corrected.png", full_page=True)

        expect(page.locator("article.case.current")).to_have_attribute("id", f"case-{reject_id}")
        expect(page.locator("article.case.current .text")).to_contain_text("<b>jaya</b>")
        page.keyboard.press("x")  # not a complaint
        expect(page.locator(".flash")).to_contain_text(f"Kasus #{reject_id} ditandai bukan aduan")
        expect(page.locator("#total")).to_have_text("0")
        page.screenshot(path=shots / "4-done.png", full_page=True)

        page.goto(base + "/dashboard")
        expect(page.locator("svg")).to_have_count(4)
        page.screenshot(path=shots / "5-dashboard.png", full_page=True)
        browser.close()

    assert sorted(p.name for p in shots.iterdir())[0] == "0-login.png"
    with factory() as session:
        cases = {c.id: c for c in session.scalars(select(Case))}
        assert (cases[accept_id].state, cases[accept_id].agency) == ("approved", "dlhk")
        assert (cases[correct_id].state, cases[correct_id].agency, cases[correct_id].topic) == (
            "approved",
            "dlhk",
            "sampah",
        )
        assert cases[reject_id].state == "rejected"
        assert {c.decided_by for c in cases.values()} == {"nona"}
        outbox = session.scalars(select(Forward).order_by(Forward.case_id)).all()
        assert [(f.case_id, f.state) for f in outbox] == [
            (accept_id, "pending"),
            (correct_id, "pending"),
        ]
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "case").order_by(AuditEntry.id)
        ).all()
        assert [(e.actor, e.action, e.object_id) for e in audit] == [
            ("nona", "case.accept", str(accept_id)),
            ("nona", "case.correct", str(correct_id)),
            ("nona", "case.reject", str(reject_id)),
        ]
        assert audit[1].before["agency"] == "pln" and audit[1].after["agency"] == "dlhk"
        labels = session.scalars(select(TrainingLabel).order_by(TrainingLabel.id)).all()
        assert [(lb.post_id is not None, lb.is_complaint, lb.topic) for lb in labels] == [
            (True, True, "sampah"),
            (True, False, None),
        ]
