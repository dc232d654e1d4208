"""The "Mungkin aduan" view in a real browser (Chromium + Playwright): it lists the archive by
relevance, the navigation counts it, one key (desktop) or one button (phone) makes a case."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from store.tables import Case, PostRow, TrainingLabel
from tests.conftest import need
from tests.review.archive_seed import ARCHIVED, seed_archive
from tests.review.conftest import PASSWORD, add_user
from tests.review.test_browser import CHROMIUM, CHROMIUM_ARGS, live_app  # noqa: F401

BY_RELEVANCE = [text for _, text, *_ in sorted(ARCHIVED, key=lambda r: -r[2])]


def test_the_archive_lists_by_relevance_and_promotes_by_key_and_button(live_app, tmp_path):  # noqa: F811
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "nona", "facilitator")
    ids = seed_archive(factory)
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        page = browser.new_page()
        page.goto(base + "/login")
        page.fill("input[name=username]", "nona")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("#archive-count")).to_have_text("4")
        page.click("header.top nav a[href='/mungkin-aduan']")
        expect(page.locator("#archive-total")).to_have_text("4")
        texts = page.locator("ol.queue article.case .text")
        expect(texts).to_have_text(BY_RELEVANCE)
        expect(page.locator("ol.queue .badge.relevance")).to_have_text(
            ["skor 0,41", "skor 0,33", "skor 0,12", "skor 0,05"]
        )
        page.screenshot(path=shots / "1-archive.png", full_page=True)

        page.keyboard.press("j")  # the second: the pothole, relevance 0.33
        expect(page.locator("article.case.current")).to_have_attribute("id", f"post-{ids[104]}")
        page.keyboard.press("a")
        expect(page.locator(".flash")).to_contain_text("dijadikan kasus #")
        expect(page.locator("#archive-total")).to_have_text("3")
        expect(page.locator("#archive-count")).to_have_text("3")
        expect(texts).to_have_text([BY_RELEVANCE[0], *BY_RELEVANCE[2:]])
        page.screenshot(path=shots / "2-promoted-by-key.png", full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})  # a phone: tap the button
        page.locator(f"#post-{ids[102]} form.f-promote button").click()
        expect(page.locator(".flash")).to_contain_text("dijadikan kasus #")
        expect(page.locator("#archive-total")).to_have_text("2")
        page.screenshot(path=shots / "3-promoted-on-phone.png", full_page=True)

        page.click("header.top nav a[href='/']")
        expect(page.locator("#total")).to_have_text("2")
        queued = page.locator("ol.queue article.case .text").all_inner_texts()
        assert sorted(queued) == sorted(BY_RELEVANCE[:2])  # in the queue's own order
        browser.close()

    with factory() as session:
        promoted = {
            p.external_id: session.get(Case, p.case_id).state
            for p in session.scalars(select(PostRow).where(PostRow.case_id.is_not(None)))
        }
        assert promoted == {"ext-102": "open", "ext-104": "open"}
        labels = session.scalars(select(TrainingLabel).order_by(TrainingLabel.id)).all()
        assert [(lb.text, lb.is_complaint, lb.reviewer) for lb in labels] == [
            (BY_RELEVANCE[1], True, "nona"),
            (BY_RELEVANCE[0], True, "nona"),
        ]
