"""Cells that are safe to open in a spreadsheet: the one helper of every CSV Aduan writes (the
review app's downloads and ``aduan export``)."""

from __future__ import annotations

FORMULA_STARTS = (
    "=", "+", "-", "@",
    "\uff1d", "\uff0b", "\uff0d", "\uff20",  # full-width ＝ ＋ － ＠
    "\t", "\r", "\n", " ",
)  # fmt: skip


# A cell starting with = + - @ (or their full-width forms, which spreadsheets fold to ASCII), or
# with a tab, CR, LF or space before one, may run as a formula (CSV injection, OWASP): such a
# value gets a leading apostrophe, which spreadsheets show as text and do not evaluate.
def spreadsheet_safe(value: object) -> object:
    """``value`` with a leading apostrophe if a spreadsheet could read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
