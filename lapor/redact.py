"""Remove a reporter's NIK, phone numbers and e-mail addresses from text sent to LAPOR!/Open311."""

from __future__ import annotations

import re
import unicodedata

NIK_MARK = "[NIK dihapus]"
PHONE_MARK = "[nomor telepon dihapus]"
EMAIL_MARK = "[email dihapus]"
_MARKS = {"NIK": NIK_MARK, "KK": NIK_MARK, "PHONE": PHONE_MARK, "EMAIL": EMAIL_MARK}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TLD = r"(?:com|net|org|info|biz|id|co|go|ac|sch|or|web|my|net|edu|gov|io|me|xyz|online|site)"
_AT = r"(?:\s*@\s*|\s*[\[({<]\s*(?:at|et)\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*\.\s*|\s*[\[({<]\s*(?:dot|titik)\s*[\])}>]\s*|\s+(?:dot|titik)\s+)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_WRITTEN_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]*\w{_AT}{_LABEL}(?:{_DOT}{_LABEL})*?{_DOT}{_TLD}(?![\w-])", re.I
)
# landline: (0380) 821234, 0380-821234, 021 555 1234, +62 380 821234 (area code 2-4 digits; none
# starts with 08, which is mobile, and none follows "digit." as the thousands of an amount do)
_SEP = r"[ .\-]?"
_LANDLINE = re.compile(
    r"(?<![\w+])(?<!\d\.)(?:\(0[2-79]\d{1,2}\)|0[2-79]\d{1,2}|\+62[ .\-]?\(?[2-79]\d{1,2}\)?)"
    r"[ .\-]?\d(?:" + _SEP + r"\d){4,7}(?![\d])"
)
# the letter o written for the 0 of 08.. ("o812 ...", "hpo812", "HP O812"): read as 0 (same length)
_O_FOR_ZERO = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=hp)|(?<=HP)|(?<=Hp)|(?<=wa)|(?<=WA)|(?<=Wa))[oO](?=8\d)"
)
_GROUPS = re.compile(r"(?:\(\s*\+?\s*62\s*\)|\+\s?62|(?<!\d)\d)(?:[ .\-/_]{0,3}\d)*")
_GROUP = re.compile(r"\d+")


# The API's rule (lapor/README.md, What is sent): a reporter's NIK, phone or address never goes
# into ``content``. Ordinary numbers (RT/RW, house numbers, dates, times, money, a 20-digit
# electricity token) are kept: only what has the shape of an Indonesian identity number, an
# Indonesian phone number or an e-mail address goes.
#
# People write them in many ways, so the text is first folded (NFKC: full-width ０８１２ and ＠
# become 0812 and @) and then these passes run:
#
# 1. e-mails, also written out: ``nama at gmail dot com``, ``[at]``, ``(at)``,
#    ``nama @ gmail . com``;
# 2. digit runs with any of space . - / _ (up to three) between the digits, read group by group:
#    a mobile number (0 / 62 / +62 / (+62), or the letter o for the 0, then 8…), a NIK (16 digits
#    in any grouping);
# 3. ``lokal-id``'s detectors (``lokal.detect_pii``, types NIK, KK, PHONE, EMAIL) for what is left;
# 4. landlines with an area code.
def redact(text: str) -> str:
    """``text`` with NIKs, phone numbers and e-mail addresses replaced by a bracketed mark."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _WRITTEN_EMAIL.sub(EMAIL_MARK, text)
    # the number pass reads whole digit runs first: lokal-id's detector stops at a separator
    # it does not know ("+628100_0000000" -> a phone of 7 characters, the rest left behind)
    text = _number_pass(text)
    text = _lokal_pass(text)
    return _LANDLINE.sub(PHONE_MARK, text)


def _lokal_pass(text: str) -> str:
    from lokal import detect_pii

    spans = [(m.start, m.end, _MARKS[m.type]) for m in detect_pii(text, types=list(_MARKS))]
    return _replace(text, spans)


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, mark in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], mark]
        last = end
    return "".join(out) + text[last:]


def _number_pass(text: str) -> str:
    probe = _O_FOR_ZERO.sub("0", text)
    spans = []
    for run in _GROUPS.finditer(probe):
        spans += _numbers_in_run(run.group(0), run.start())
    return _replace(text, spans)


def _numbers_in_run(run: str, offset: int) -> list[tuple[int, int, str]]:
    """Phones and NIKs among the digit groups of one run, read from the left."""
    groups = [(m.start(), m.end(), m.group(0)) for m in _GROUP.finditer(run)]
    plus = run.lstrip().startswith(("+", "("))
    found, i, free = [], 0, 0  # groups[free:] are not part of a number found already
    while i < len(groups):
        amount = not (plus and i == 0) and _thousands_of(run, groups, i)
        hit = None if amount else _phone_at(groups, i, plus and i == 0)
        if hit is None:
            hit = _nik_at(groups, i, run, i > free)
        if hit is None:
            i += 1
            continue
        start = 0 if (plus and i == 0) else groups[i][0]
        found.append((offset + start, offset + groups[hit][1], hit_mark(groups, i, hit)))
        i = free = hit + 1
    return found


def _thousands_of(run: str, groups: list, i: int) -> bool:
    """Group ``i`` is part of an amount written with a thousands dot ("Rp 1.081", "Rp 62.826"),
    so no phone starts there (else "Rp 1.081 12/03/2024" reads as 0811 2032 024 and
    "Rp 62.826 20/02/2029" as +62 826 2002 2029)."""

    def amount(j: int) -> bool:  # groups j and j + 1 are "d[dd].ddd"
        if j < 0 or j + 1 >= len(groups) or run[groups[j][1] : groups[j + 1][0]] != ".":
            return False
        head, tail = groups[j][2], groups[j + 1][2]
        return len(tail) == 3 and len(head) <= 3 and not head.startswith("0")

    return amount(i - 1) or amount(i)


def hit_mark(groups: list, i: int, j: int) -> str:
    digits = "".join(g[2] for g in groups[i : j + 1])
    return (
        NIK_MARK
        if len(digits) == 16 and digits[0] != "0" and not digits.startswith("62")
        else (PHONE_MARK)
    )


def _phone_at(groups: list, i: int, plus: bool) -> int | None:
    """The last group of the longest mobile number starting at group ``i`` (or None)."""
    if plus and not groups[i][2].startswith("62"):
        return None
    digits, best = "", None
    for j in range(i, len(groups)):
        digits += groups[j][2]
        national = "0" + digits[2:] if digits.startswith("62") else digits
        if len(national) > 13 or not "08".startswith(national[:2]):
            break
        if len(national) >= 10 and national.startswith("08") and _leading_8_group(groups, i):
            best = j
    return best


def _leading_8_group(groups: list, i: int) -> bool:
    """The group holding the 8 of 08.. / 628.. has another digit after it (not a date 08/12)."""
    first = groups[i][2]
    if first.startswith("0"):
        return len(first) >= 3
    if len(first) > 2:  # 628...
        return len(first) >= 4
    return i + 1 < len(groups) and len(groups[i + 1][2]) >= 2


def _nik_at(groups: list, i: int, run: str, joined_before: bool) -> int | None:
    """The last group of a 16-digit NIK starting at group ``i`` (or None)."""
    if groups[i][2][0] == "0":
        return None
    digits = ""
    for j in range(i, len(groups)):
        digits += groups[j][2]
        if len(digits) > 16:
            return None
        if len(digits) == 16:
            return None if _part_of_other_number(groups, i, j, run, joined_before) else j
    return None


def _part_of_other_number(groups: list, i: int, j: int, run: str, joined_before: bool) -> bool:
    """16 digits that are thousands (1.000.000.000.000.000) or a piece of a longer number
    grouped the same way (a 20-digit electricity token 1234 5678 9012 3456 7890)."""
    inner = [len(g[2]) for g in groups[i + 1 : j + 1]]
    if inner and all(n == 3 for n in inner):
        return True
    seps = {run[groups[k][1] : groups[k + 1][0]] for k in range(i, j)}
    lengths = "," + ",".join(str(len(g[2])) for g in groups[i : j + 1]) + ","
    if len(seps) > 1 or ",2,2,4," in lengths:  # one NIK has one separator; dates are 2-2-4
        return True
    sep = run[groups[i][1] : groups[i + 1][0]] if i < j else " "
    before = joined_before and run[groups[i - 1][1] : groups[i][0]] == sep
    after = j + 1 < len(groups) and run[groups[j][1] : groups[j + 1][0]] == sep
    return before or (after and not groups[j + 1][2].startswith(("0", "62")))
