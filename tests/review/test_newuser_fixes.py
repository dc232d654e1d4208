"""What a new user's trial found: the new account's default role, the audit log in Indonesian
(every action the code can write has a name), no "Buka lagi" for a case LAPOR! has, the decimal
comma, counts with their unit, and the urgency scale as the profile's topics set it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from cases.states import approve_case
from config.profile import get_profile
from review import labels
from store.audit import ACTIONS, audit_action, record_audit
from store.tables import Forward
from tests.review.conftest import add_user, login, seed_case

ROOT = Path(__file__).resolve().parents[2]
CODE = ("cases", "store", "lapor", "review", "cli", "flows", "training", "classifier", "demo")
# A string literal that looks like an audit action: ``"forward.sent"``, ``"case.{action}"``.
LITERAL = re.compile(r"""f?["']((?:case|user|forward|reply|reroute)\.[a-z_{}]+)["']""")


def test_a_new_account_is_a_facilitator_unless_chosen_otherwise(session_factory, client):
    add_user(session_factory, "ana", "admin")
    login(client, "ana")
    html = client.get("/users").text
    select_html = re.search(r'<select name="role">(.*?)</select>', html, re.S)[1]
    options = re.findall(r'<option value="(\w+)"( selected)?>([^<]+)</option>', select_html)
    assert [value for value, _, _ in options] == ["viewer", "facilitator", "admin"]  # least first
    assert [value for value, chosen, _ in options if chosen] == ["facilitator"]
    assert [name for _, _, name in options] == ["pembaca", "fasilitator", "admin"]


def audit_action_literals() -> dict[str, list[str]]:
    """Every string literal in the code shaped like an audit action, and where it is."""
    found: dict[str, list[str]] = {}
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).exists() else []:
            if path.name == "labels.py":  # the names themselves
                continue
            for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(match[1], []).append(str(path.relative_to(ROOT)))
    return found


def test_every_audit_action_the_code_writes_is_registered_and_has_an_indonesian_name():
    literals = audit_action_literals()
    assert "forward.unknown" in literals and "case.{action}" in literals  # the scan sees them
    not_actions = {k for k in literals if k.endswith((".html", ".csv", ".py", ".yaml"))}
    written = {k for k in literals if "{" not in k} - not_actions
    assert written - ACTIONS == set(), "add these to store.audit.ACTIONS"
    # built ones: f"case.{action}" (approve_case), f"forward.{state}", f"reply.{state}"
    built = {k.split("{")[0] for k in literals if "{" in k}
    assert built <= {"case.", "forward.", "reply."}, "a new built audit action: list its values"
    for action in ("accept", "correct", "auto_approve"):
        assert f"case.{action}" in ACTIONS
    for state in ("sent", "failed", "unknown"):  # store.forward_outcomes.record_outcomes
        assert f"forward.{state}" in ACTIONS
    for state in ("sent", "failed", "gone", "unknown"):  # store.replies
        assert f"reply.{state}" in ACTIONS
    assert labels.AUDIT_ACTIONS.keys() <= ACTIONS, "a name for an action nothing writes"
    missing = sorted(ACTIONS - labels.AUDIT_ACTIONS.keys())
    assert missing == [], f"no Indonesian name in review.labels.AUDIT_ACTIONS: {missing}"
    for key in ACTIONS:
        assert labels.audit_action(key) != key.replace(".", " ")


def test_an_unregistered_audit_action_is_refused(session_factory):
    with pytest.raises(ValueError, match="store.audit.ACTIONS"):
        audit_action("forward.teleported")
    with pytest.raises(ValueError), session_factory.begin() as session:
        record_audit(
            session=session, actor="x", action="case.vanish", object_type="case", object_id=1
        )


def test_the_audit_page_says_everything_in_indonesian(session_factory, client):
    add_user(session_factory, "ana", "admin")
    with session_factory.begin() as session:
        entries = [
            ("forward.sent", "forward", 63, None, {"complaint_id": "700063"}),
            ("reply.sent", "reply", 62, None, {"reply_id": "fb-123_456"}),
            ("case.promote", "case", 102, {"post_id": 161, "state": "archived"}, {"state": "open"}),
            ("forward.cancel", "forward", 7, {"state": "failed"}, {"state": "cancelled"}),
            ("forward.unknown", "forward", 8, None, {"reason": "stale lease", "attempt": 2}),
            ("reroute.failed", "reroute", 3, None, {"last_error": "HTTP 502"}),
            ("reply.decline", "reply", 9, {"state": "approval"}, {"state": "cancelled"}),
        ]
        for action, kind, object_id, before, after in entries:
            record_audit(
                session=session,
                actor="system",
                action=action,
                object_type=kind,
                object_id=object_id,
                before=before,
                after=after,
            )
    login(client, "ana")
    html = client.get("/audit").text
    for english in (
        "forward sent",
        "reply sent",
        "reply 62",
        "reroute 3",
        "reply_id",
        "post_id",
        "archived",
        "stale lease",
        "attempt",
        "cancelled",
        "approval",
        "failed",
    ):
        assert english not in html, english
    assert "terkirim ke LAPOR!" in html and "balasan 62" in html and "penerusan 3" in html
    assert "status: diarsipkan (bukan aduan) → menunggu tinjauan" in html
    assert "status: gagal → dibatalkan" in html  # a forward's states, not a case's
    assert "status: menunggu persetujuan → tidak dibalas" in html  # a reply's
    csv = client.get("/audit.csv").text
    assert "reply_id" not in csv and "kiriman 63" in csv and "diarsipkan" in csv


def test_buka_lagi_is_offered_only_where_the_server_would_reopen(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    held, sent, unknown = (seed_case(session_factory, i) for i in (1, 2, 3))
    with session_factory.begin() as session:
        for case_id in (held, sent, unknown):
            approve_case(session=session, case_id=case_id, actor="system")
        forwards = {f.case_id: f for f in session.scalars(select(Forward))}
        forwards[sent].state, forwards[sent].complaint_id = "sent", "LPR-9"
        forwards[unknown].state = "unknown"
    login(client, "ana")
    assert 'class="f-reopen"' in client.get(f"/cases/{held}").text  # pending: can be undone
    for case_id in (sent, unknown):
        html = client.get(f"/cases/{case_id}").text
        assert 'class="f-reopen"' not in html and "Buka lagi" not in html
        assert "tarik aduannya di LAPOR! sendiri" in html


def test_one_number_filter_with_the_decimal_comma():
    from review.app import days

    assert labels.number(0.325) == "0,33" and labels.number(0.3) == "0,30"
    assert labels.number(1.25, 1) == "1,2" and labels.number(None) == "-"
    assert days(1.5) == "1,5 hari" and days(2, "hari kerja") == "2,0 hari kerja"
    assert labels.review_note("dari arsip, relevansi 0.412") == "dari arsip, skor relevansi 0,41"


def test_the_service_levels_count_with_their_unit(session_factory, client):
    add_user(session_factory, "ana", "admin")
    seed_case(session_factory, 1)
    login(client, "ana")
    html = client.get("/dashboard").text
    reached = re.findall(r'data-label="Sudah tercapai">([^<]*)', html)
    assert reached and all(re.fullmatch(r"\d+ aduan ?", r) for r in reached), reached


def test_the_urgency_scale_comes_from_the_profile_topics_and_shows_on_a_phone(
    session_factory, client
):
    profile = get_profile()
    levels = {level: names for level, _, names in labels.urgency_levels(profile.topics)}
    listrik = next(t for t in profile.topics if t.key == "listrik")
    assert listrik.name in levels[listrik.urgency] and listrik.name not in levels.get(3, [])
    for topic in profile.topics:
        assert topic.name in levels[topic.urgency]
    help_text = labels.urgency_help(profile.topics)
    assert "padam" not in help_text and f"{listrik.urgency} sedang: " in help_text

    add_user(session_factory, "ana", "facilitator")
    case_id = seed_case(session_factory, 1, urgency=3)
    login(client, "ana")
    for page in ("/", f"/cases/{case_id}"):
        html = client.get(page).text
        legend = re.search(r'<details class="urgency-help">(.*?)</details>', html, re.S)
        assert legend, page  # readable without a tooltip
        assert re.search(rf"{listrik.urgency} sedang</span>: [^<]*{listrik.name}", legend[1])
        assert "air atau listrik padam" not in html
