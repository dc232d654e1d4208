"""A label a person chose is shown as their decision, not with the model's chance for it (which
read as "certainly wrong": "Satpol PP 0%"); the model's suggestion is shown apart."""

from __future__ import annotations

import re

from cases.states import approve_case
from store.reroutes import finish_reroute
from tests.review.conftest import add_user, login, seed_case

PERCENT = re.compile(r'<span class="(?:conf|alt)">[^<]*%</span>')


def tags_of(page: str) -> tuple[str, str]:
    tags = page[page.index('<dl class="tags">') :]
    tags = tags[: tags.index("</dl>")]
    agency, topic = tags.split("<dt>Topik</dt>")
    return agency, topic


def test_a_correction_shows_the_choice_and_the_models_suggestion_apart(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = seed_case(session_factory, 1, agency="pupr", confidence=0.53)
    with session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="ana", agency="dlhk")
    login(client, "ana")
    agency, topic = tags_of(client.get(f"/cases/{case_id}").text)
    assert "dipilih fasilitator" in agency and not PERCENT.search(agency)
    assert "0%" not in agency and "saran model: Dinas PUPR 53%" in agency
    assert "dipilih fasilitator" in topic and "sama dengan saran model (53%)" in topic


def test_a_reroute_shows_the_agency_as_passed_on(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = seed_case(session_factory, 1, agency="pupr", confidence=0.9)
    with session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="ana", action="accept")
        finish_reroute(session=session, case_id=case_id, actor="ana", agency="dlhk", reason="x")
    login(client, "ana")
    agency, _ = tags_of(client.get(f"/cases/{case_id}").text)
    assert "diteruskan" in agency and not PERCENT.search(agency)
    assert "saran model: Dinas PUPR 90%" in agency


def test_an_auto_approval_and_an_open_case_keep_the_models_chances(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    auto = seed_case(session_factory, 1, confidence=0.95)
    waiting = seed_case(session_factory, 2, confidence=0.6)
    with session_factory.begin() as session:
        approve_case(session=session, case_id=auto, actor="system")
    login(client, "ana")
    for case_id, shown in ((auto, "95%"), (waiting, "60%")):
        page = client.get(f"/cases/{case_id}").text
        agency, _ = tags_of(page)
        assert f'<span class="conf">{shown}</span>' in agency and "dipilih" not in agency
    assert "oleh sistem (otomatis)" in client.get(f"/cases/{auto}").text
    assert ">system<" not in client.get(f"/cases/{auto}").text
