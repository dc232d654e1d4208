"""In a real browser (Debian's Chromium driven by Playwright): where each case is, on the case page,
on the queue card, in the CSV export and in the dashboard's per-kelurahan view (issue 16)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from store.tables import Case
from tests.conftest import need
from tests.review.conftest import add_user, seed_case
from tests.review.test_browser import CHROMIUM, live_app, log_in, open_chromium

__all__ = ["live_app"]


def _place(factory, case_id: int, location: str | None, candidates=(), origin="text") -> None:
    with factory.begin() as session:
        case = session.get(Case, case_id)
        case.location, case.location_origin = location, origin
        case.location_candidates = list(candidates)


def test_locations_on_the_case_the_card_the_csv_and_the_dashboard(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "nona", "facilitator")
    office = seed_case(
        factory,
        1,
        agency="kelurahan",
        topic="pelayanan_kelurahan",
        text="Kantor lurah Oesapa tutup terus, surat pengantar son bisa diurus.",
    )
    road = seed_case(factory, 2, text="Jalan di Oesapa berlubang besar dekat SD.")
    water = seed_case(factory, 3, text="Air mati di Oebufu sudah tiga hari.")
    two = seed_case(factory, 4, text="Sampah di Airnona dan Oesapa belum diangkut.")
    _place(factory, office, "kel_oesapa")
    _place(factory, road, "kel_oesapa")
    _place(factory, water, "kel_oebufu", origin="source")
    _place(factory, two, None, candidates=["kel_airnona", "kel_oesapa"])

    with sync_playwright() as playwright:
        browser = open_chromium(playwright, tmp_path / "profile")
        page = browser.new_page()
        log_in(page, base, "nona", f"/cases/{office}")
        expect(page).to_have_url(f"{base}/cases/{office}")
        where = page.locator("dd.location")
        expect(where).to_contain_text("Kel. Oesapa, Kec. Kelapa Lima")
        expect(where).to_contain_text("Kantor Lurah Oesapa")  # the routed office

        page.goto(f"{base}/cases/{two}")
        expect(page.locator("dd.location .candidates")).to_contain_text(
            "Kel. Airnona, Kec. Kota Raja; Kel. Oesapa, Kec. Kelapa Lima"
        )

        page.goto(f"{base}/")
        card = page.locator(f"#case-{water} dd.location")
        expect(card).to_contain_text("Kel. Oebufu, Kec. Oebobo")
        expect(card).to_contain_text("dari sumber")

        exported = page.request.get(f"{base}/queue.csv").text()
        rows = {int(r["no. kasus"]): r for r in csv.DictReader(io.StringIO(exported))}
        assert rows[road]["lokasi"] == "Kel. Oesapa, Kec. Kelapa Lima"
        assert rows[road]["kode lokasi"] == "kel_oesapa"
        assert rows[two]["lokasi"] == ""
        assert rows[two]["kemungkinan lokasi"] == (
            "Kel. Airnona, Kec. Kota Raja; Kel. Oesapa, Kec. Kelapa Lima"
        )

        page.goto(f"{base}/dashboard")
        table = page.locator("#per-wilayah table")
        expect(table).to_be_visible()
        first = table.locator("tr[data-area]").first
        expect(first).to_contain_text("Kel. Oesapa, Kec. Kelapa Lima")
        expect(first.locator("td.num").first).to_have_text("2")
        expect(table.locator("tr[data-area='kel_oebufu'] td.num").first).to_have_text("1")
        last = table.locator("tr[data-area]").last
        expect(last).to_contain_text("lokasi tidak diketahui")
        page.screenshot(path=str(tmp_path / "dashboard-areas.png"), full_page=True)
        browser.close()


def test_a_facilitator_picks_the_location_on_a_phone_and_on_a_desktop(live_app, tmp_path):
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (make browser)")
    from playwright.sync_api import expect, sync_playwright

    base, factory = live_app
    add_user(factory, "nona", "facilitator")
    two = seed_case(
        factory,
        1,
        agency="kelurahan",
        topic="pelayanan_kelurahan",
        text="Sampah di Airnona dan Oesapa belum diangkut, kantor lurah diam saja.",
    )
    nowhere = seed_case(factory, 2, agency="kelurahan", topic="pelayanan_kelurahan")
    _place(factory, two, None, candidates=["kel_airnona", "kel_oesapa"])

    with sync_playwright() as playwright:
        for width, height in ((390, 844), (1280, 800)):
            browser = open_chromium(playwright, tmp_path / f"profile-{width}", width, height)
            page = browser.new_page()
            log_in(page, base, "nona")
            case_id = two if width == 390 else nowhere
            page.click(f"#case-{case_id} a.edit-location")  # from the review card
            expect(page).to_have_url(f"{base}/cases/{case_id}?next=/#lokasi")
            form = page.locator("details.f-location")
            expect(form).to_have_attribute("open", "")
            page.screenshot(path=str(tmp_path / f"location-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{overflow}px wider than a {width}px screen"
            if width == 390:
                # the text named two kelurahan: one tap on a candidate resolves it
                page.click("details.f-location .candidates button:has-text('Kel. Oesapa')")
                expect(page.locator(".flash, [role=status], body").first).to_contain_text(
                    "Diteruskan ke Kantor Lurah Oesapa"
                )
            else:
                page.select_option("select[name=kecamatan]", "kec_oebobo")
                page.select_option("select[name=kelurahan]", "kel_oebufu")
                page.click("form.pick-area button[type=submit]")
                expect(page.locator("dd.location")).to_contain_text("Kel. Oebufu, Kec. Oebobo")
                expect(page.locator("dd.location .office")).to_contain_text("Kantor Lurah Oebufu")
            expect(page.locator("dd.location")).to_contain_text("dipilih fasilitator")
            page.screenshot(path=str(tmp_path / f"location-{width}-done.png"), full_page=True)
            page.click("text=« kembali")
            expect(page).to_have_url(f"{base}/")
            browser.close()
    with factory() as session:
        assert session.get(Case, two).location == "kel_oesapa"
        assert session.get(Case, nowhere).location == "kel_oebufu"
