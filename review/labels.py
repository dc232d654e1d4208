"""Indonesian words for what the store keeps as keys: states, review actions, roles, audit
entries, review notes, urgency. Facilitators read only these; the keys stay in the database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

CASE_STATES = {
    "open": "menunggu tinjauan",
    "approved": "diterima",
    "rejected": "bukan aduan",
    "merged": "digabung",
}
FORWARD_STATES = {
    "pending": "menunggu kirim",
    "sending": "sedang dikirim",
    "sent": "terkirim",
    "failed": "gagal",
    "unknown": "belum pasti",
    "cancelled": "dibatalkan",
}
# The Forwarded view's buttons (lapor.reconcile resolutions), as the facilitator read them.
RECONCILE = {"sent": "Sudah ada di LAPOR!", "retry": "Kirim ulang", "cancel": "Batalkan"}
ACTIONS = {
    "accept": "diterima",
    "correct": "dikoreksi",
    "auto_approve": "diterima otomatis",
    "reject": "bukan aduan",
    "skip": "dilewati",
    "reopen": "dibuka lagi",
    "undo": "dibatalkan (Batalkan)",
    "merge": "digabung",
    "split": "dipisah",
    "promote": "dijadikan aduan",
    "locate": "lokasi diubah",
    "reroute": "diteruskan ke instansi lain di LAPOR!",
}
ROLES = {"admin": "admin", "facilitator": "fasilitator", "viewer": "pembaca"}
AUDIT_ACTIONS = {
    "case.accept": "kasus diterima",
    "case.correct": "kasus dikoreksi",
    "case.auto_approve": "kasus diterima otomatis",
    "case.reject": "kasus ditandai bukan aduan",
    "case.skip": "kasus dilewati",
    "case.reopen": "kasus dibuka lagi",
    "case.undo": "penerimaan dibatalkan",
    "case.merge": "kasus digabung",
    "case.split": "posting dipisah",
    "case.promote": "posting arsip dijadikan kasus",
    "case.locate": "lokasi kasus diubah",
    "user.create": "akun dibuat",
    "user.update": "akun diubah",
    "user.login": "masuk",
    "user.locked": "akun dikunci",
    "user.logout": "keluar",
    "forward.reconcile_sent": "kiriman ditandai sudah ada di LAPOR!",
    "forward.reconcile_resend": "kiriman diminta kirim ulang",
    "forward.cancel": "kiriman dibatalkan",
    "forward.sent": "terkirim ke LAPOR!",
    "forward.failed": "gagal dikirim ke LAPOR!",
    "forward.unknown": "kiriman ke LAPOR! belum pasti",
    "reply.sent": "balasan ke warga terkirim",
    "reply.failed": "balasan ke warga gagal dikirim",
    "reply.gone": "balasan tidak dikirim: komentar asli sudah dihapus",
    "reply.unknown": "balasan ke warga belum pasti terkirim",
    "reply.approve": "balasan ke warga disetujui",
    "reply.decline": "balasan ke warga tidak dikirim",
    "case.reroute_requested": "minta diteruskan ke instansi lain",
    "case.reroute": "diteruskan ke instansi lain di LAPOR!",
    "reroute.failed": "penerusan tidak diterima LAPOR!",
}
FIELDS = {
    "state": "status",
    "agency": "instansi",
    "topic": "topik",
    "decided_by": "diputuskan oleh",
    "name": "nama",
    "role": "peran",
    "agencies": "instansi",
    "active": "aktif",
    "password": "kata sandi",
    "locked_until": "terkunci sampai",
    "merged_into": "digabung ke",
    "posts": "posting",
    "post": "posting",
    "case": "kasus",
    "into_before": "kasus tujuan sebelumnya",
    "complaint_id": "no. LAPOR!",
    "resolution": "penyelesaian",
    "location": "lokasi",
    "location_origin": "asal lokasi",
    "location_candidates": "kemungkinan lokasi",
    "reroute": "permintaan penerusan",
    "last_error": "pesan",
    "post_id": "posting",
    "reply_id": "id balasan",
    "attempts": "percobaan",
    "attempt": "percobaan ke",
    "reason": "alasan",
}
# What an audit entry is about (its object_type).
OBJECTS = {
    "case": "kasus",
    "user": "akun",
    "forward": "kiriman",
    "reply": "balasan",
    "reroute": "penerusan",
}
POST_STATES = {"archived": "diarsipkan (bukan aduan)", "in_case": "dalam kasus"}
REPLY_STATES = {
    "approval": "menunggu persetujuan",
    "pending": "antre dikirim",
    "sending": "sedang dikirim",
    "unknown": "belum pasti: thread dicek dulu sebelum dikirim ulang",
    "sent": "terkirim",
    "failed": "gagal",
    "gone": "komentar asli sudah dihapus",
    "blocked": "tertahan",
    "cancelled": "tidak dibalas",
}
# The status field of an audit entry, by what it is about.
STATES_OF = {"forward": FORWARD_STATES, "reply": REPLY_STATES, "reroute": FORWARD_STATES}
# Notes the store and the outbox write in audit entries (``last_error``, ``reason``).
_AUDIT_NOTES = [
    (
        re.compile(r"^confirmed sent by (.*)$"),
        lambda m: f"ditandai sudah ada di LAPOR! oleh {m[1]}",
    ),
    (re.compile(r"^resend requested by (.*)$"), lambda m: f"kirim ulang diminta oleh {m[1]}"),
    (re.compile(r"^cancelled by (.*)$"), lambda m: f"dibatalkan oleh {m[1]}"),
    (re.compile(r"^stale lease$"), lambda m: "pengirim berhenti di tengah pengiriman"),
    (
        re.compile(r"^the sender stopped while this (row|request|reply) was being sent"),
        lambda m: (
            "pengirim berhenti di tengah pengiriman; mungkin sudah sampai: dicek dulu "
            "sebelum dikirim ulang"
        ),
    ),
]
URGENCY = {1: "rendah", 2: "sedang", 3: "tinggi"}


def urgency_levels(topics: Iterable[Any]) -> list[tuple[int, str, list[str]]]:
    """``(level, name, topic names)`` from 3 (tinggi) down to 1, as the profile's topics set
    them (``urgency`` in taxonomy.yaml); a level no topic has is left out."""
    topics = list(topics)
    levels = []
    for level in sorted(URGENCY, reverse=True):
        names = [t.name for t in topics if t.urgency == level]
        if names:
            levels.append((level, URGENCY[level], names))
    return levels


def urgency_help(topics: Iterable[Any]) -> str:
    """One line (the urgency's tooltip): ``Urgensi menurut topik aduan, skala 1–3. 3 tinggi: …``."""
    parts = [f"{level} {name}: {', '.join(names)}" for level, name, names in urgency_levels(topics)]
    return "Urgensi menurut topik aduan, skala 1–3. " + "; ".join(parts) + "."


def number(value: float | None, digits: int = 2) -> str:
    """A decimal as facilitators read it, with the Indonesian decimal comma: ``0,32``."""
    if value is None:
        return "-"
    return f"{value:.{digits}f}".replace(".", ",")


_NOTES = [
    (
        re.compile(r"^dari arsip, relevansi (\d+(?:\.\d+)?)$"),  # cases.states.promote_post
        lambda m: f"dari arsip, skor relevansi {number(float(m[1]))}",
    ),
    (re.compile(r"^was (\w+) by (.*)$"), lambda m: f"sebelumnya {_state(m[1])} oleh {m[2]}"),
    (re.compile(r"^merged into case (\d+)$"), lambda m: f"digabung ke kasus #{m[1]}"),
    (re.compile(r"^case (\d+) merged in$"), lambda m: f"kasus #{m[1]} digabung ke sini"),
    (re.compile(r"^post (\d+) -> case (\d+)$"), lambda m: f"posting {m[1]} → kasus baru #{m[2]}"),
]


def _state(key: str) -> str:
    return CASE_STATES.get(key, key)


def case_state(key: str | None) -> str:
    return CASE_STATES.get(key or "", key or "-")


def forward_state(key: str | None) -> str:
    return FORWARD_STATES.get(key or "", key or "-")


def actor_name(name: str | None) -> str:
    """Who decided: a user's name, or ``sistem (otomatis)`` for the store's ``system``."""
    return "sistem (otomatis)" if name == "system" else (name or "-")


TARGETS = {"lapor": "LAPOR!", "open311": "Open311"}


def target_name(key: str | None) -> str:
    """Where a forward goes: ``LAPOR!`` for ``lapor``."""
    return TARGETS.get(key or "", key or "-")


def action_name(key: str | None) -> str:
    return ACTIONS.get(key or "", key or "-")


def role_name(key: str | None) -> str:
    return ROLES.get(key or "", key or "-")


def audit_action(key: str | None) -> str:
    return AUDIT_ACTIONS.get(key or "", (key or "-").replace(".", " "))


def audit_object(key: str | None) -> str:
    return OBJECTS.get(key or "", key or "-")


# What the LAPOR! client wrote as an outbox row's ``last_error`` (lapor.client.raise_for_answer,
# transport_error, lapor.exceptions.MappingMissing), e.g. ``POST <url>: HTTP 422: rejected
# (message): field: error``. The address is left out; LAPOR!'s own message and field errors stay as
# LAPOR! sent them. A text no pattern knows is shown as it is.
def _said(m: re.Match, group: str = "msg") -> str:
    return f": {m[group]}" if m[group] else ""


_LAPOR_ERRORS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (
        re.compile(r"^blocked: missing mapping: (?P<what>.*?)(?: \(run `aduan lapor check`\))?$"),
        lambda m: f"tertahan: id LAPOR! belum diisi ({m['what']}); admin: `aduan lapor check`",
    ),
    (
        re.compile(r"HTTP (?P<code>\d+): key or token rejected(?: \((?P<msg>.*?)\))?;"),
        lambda m: (
            f"LAPOR! menolak kunci/token (HTTP {m['code']}){_said(m)}; admin memeriksa "
            "pengaturan LAPOR!"
        ),
    ),
    (
        re.compile(r"HTTP (?P<code>\d+): not found(?: \((?P<msg>.*?)\))?;"),
        lambda m: (
            f"alamat LAPOR! tidak ditemukan (HTTP {m['code']}){_said(m)}; admin memeriksa "
            "ADUAN_LAPOR_BASE_URL"
        ),
    ),
    (
        re.compile(
            r"HTTP (?P<code>\d+): rejected(?: \((?P<msg>.*?)\))?(?:: (?P<fields>.*))?$", re.S
        ),
        lambda m: (
            f"ditolak LAPOR! (HTTP {m['code']}){_said(m)}"
            + (f" — {m['fields']}" if m["fields"] else "")
        ),
    ),
    (
        re.compile(r"HTTP (?P<code>\d+): throttled"),
        lambda m: f"LAPOR! sedang membatasi kiriman (HTTP {m['code']}); dicoba lagi nanti",
    ),
    (
        re.compile(
            r"HTTP (?P<code>\d+): server error after the request was sent(?: \((?P<msg>.*)\))?"
        ),
        lambda m: (
            f"server LAPOR! gagal setelah aduan dikirim (HTTP {m['code']}){_said(m)}; "
            "mungkin sudah sampai: dicek dulu sebelum dikirim ulang"
        ),
    ),
    (
        re.compile(r"HTTP (?P<code>\d+): server error(?: \((?P<msg>.*)\))?"),
        lambda m: f"server LAPOR! bermasalah (HTTP {m['code']}){_said(m)}; dicoba lagi nanti",
    ),
    (
        re.compile(r"HTTP (?P<code>\d+) with a body that is not JSON"),
        lambda m: f"jawaban LAPOR! tidak terbaca (HTTP {m['code']}); dicek dulu",
    ),
    (
        re.compile(r"HTTP (?P<code>\d+): unexpected answer(?: \((?P<msg>.*)\))?"),
        lambda m: f"jawaban LAPOR! tak terduga (HTTP {m['code']}){_said(m)}",
    ),
    (
        re.compile(r": cannot connect \((?P<why>\w+)\)"),
        lambda m: f"LAPOR! tidak bisa dihubungi ({m['why']}); dicoba lagi nanti",
    ),
    (
        re.compile(r": no complete answer \((?P<why>\w+)\); the request may have been processed"),
        lambda m: (
            f"jawaban LAPOR! tidak lengkap ({m['why']}); aduan mungkin sudah sampai: dicek "
            "dulu sebelum dikirim ulang"
        ),
    ),
    (
        re.compile(r": no complete answer \((?P<why>\w+)\)"),
        lambda m: f"jawaban LAPOR! tidak lengkap ({m['why']}); dicoba lagi nanti",
    ),
]


def lapor_error(text: str | None) -> str:
    """An outbox row's ``last_error`` in Indonesian (see ``_LAPOR_ERRORS``)."""
    if not text:
        return ""
    for pattern, say in _LAPOR_ERRORS:
        match = pattern.search(text)
        if match:
            return say(match)
    return audit_note(text)


def audit_note(note: str) -> str:
    """A note of the store or the outbox in an audit entry (``cancelled by ana``) in Indonesian."""
    for pattern, say in _AUDIT_NOTES:
        match = pattern.match(note)
        if match:
            return say(match)
    return note


def audit_state(key: str | None, object_type: str | None = None) -> str:
    """The ``state`` of an audit entry about ``object_type`` (a forward's, a reply's, a case's or
    its post's) in Indonesian."""
    states = STATES_OF.get(object_type or "", {**POST_STATES, **CASE_STATES})
    return states.get(key or "", key or "-")


def review_note(note: str | None) -> str:
    """A note the store wrote (``was approved by nona``) in Indonesian."""
    if not note:
        return ""
    for pattern, say in _NOTES:
        match = pattern.match(note)
        if match:
            return say(match)
    return note


def urgency_name(level: int | None) -> str:
    return URGENCY.get(level or 1, str(level))


def _value(key: str, value: Any, names: Mapping[str, Callable[[Any], str]]) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        return ", ".join(_value(key, v, names) for v in value) or "-"
    if isinstance(value, dict):
        return "; ".join(f"{FIELDS.get(k, k)} {_value(k, v, names)}" for k, v in value.items())
    say = names.get(key)
    return say(value) if say else str(value)


def audit_changes(
    before: Mapping | None,
    after: Mapping | None,
    names: Mapping[str, Callable[[Any], str]],
    object_type: str | None = None,
) -> list[str]:
    """An audit entry's before/after as readable lines: ``instansi: DLHK → PUPR``.

    ``names`` turns a field's keys into names (agency, topic, role …); the ``state`` is named as
    the state of ``object_type`` (a forward's, a reply's, a case's), the store's notes in
    Indonesian (audit_note).
    """
    names = {
        "last_error": lapor_error,
        "reason": audit_note,
        **names,
        "state": lambda key: audit_state(key, object_type),
    }
    before, after = dict(before or {}), dict(after or {})
    lines = []
    for key in dict.fromkeys([*before, *after]):
        label = FIELDS.get(key, key)
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            if old == new:
                continue
            lines.append(f"{label}: {_value(key, old, names)} → {_value(key, new, names)}")
        elif key in after:
            lines.append(f"{label}: {_value(key, new, names)}")
        else:
            lines.append(f"{label} (sebelumnya): {_value(key, old, names)}")
    return lines
