"""Indonesian words for what the store keeps as keys: states, review actions, roles, audit
entries, review notes, urgency. Facilitators read only these; the keys stay in the database."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
    "forward.reconcile": "kiriman diselesaikan manual",
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
}
URGENCY = {1: "rendah", 2: "sedang", 3: "tinggi"}
URGENCY_HELP = (
    "Urgensi menurut topik aduan, skala 1–3: 1 rendah, 2 sedang, "
    "3 tinggi (kesehatan, keselamatan, air atau listrik padam)."
)

_NOTES = [
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
    before: Mapping | None, after: Mapping | None, names: Mapping[str, Callable[[Any], str]]
) -> list[str]:
    """An audit entry's before/after as readable lines: ``instansi: DLHK → PUPR``.

    ``names`` turns a field's keys into names (agency, topic, state, role …).
    """
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
