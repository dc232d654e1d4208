"""Dates as Indonesian web pages write them, absolute ("5 Mei 2024") and relative ("2 jam yang
lalu"), read into aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone, tzinfo

MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "pebruari": 2,
    "feb": 2,
    "peb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "agus": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nopember": 11,
    "nov": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
    "dec": 12,
    "may": 5,
}
_FULL = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
         "October", "November", "December"]  # fmt: skip
DAYS = {
    "senin": "Monday",
    "selasa": "Tuesday",
    "rabu": "Wednesday",
    "kamis": "Thursday",
    "jumat": "Friday",
    "jum'at": "Friday",
    "sabtu": "Saturday",
    "minggu": "Sunday",
    "ahad": "Sunday",
}
_DAY_ABBR = {"sen": "Mon", "sel": "Tue", "rab": "Wed", "kam": "Thu", "jum": "Fri", "sab": "Sat",
             "min": "Sun"}  # fmt: skip
ZONES = {"wib": 7, "wita": 8, "wit": 9}
UNITS = {
    "detik": timedelta(seconds=1),
    "menit": timedelta(minutes=1),
    "mnt": timedelta(minutes=1),
    "jam": timedelta(hours=1),
    "hari": timedelta(days=1),
    "minggu": timedelta(weeks=1),
    "pekan": timedelta(weeks=1),
    "bulan": timedelta(days=30),
    "tahun": timedelta(days=365),
}
_WORD = re.compile(r"[A-Za-z']+")
_RELATIVE = re.compile(
    r"^(?P<n>\d+|se|satu)\s*(?P<unit>" + "|".join(UNITS) + r")\s*(?:yang\s+)?(?:lalu|yl)$"
)
_CLOCK = r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?"
_TODAY = re.compile(r"^(?P<day>hari ini|kemarin|kemarin dulu|lusa kemarin)(?:\s+" + _CLOCK + ")?$")
_NAMED = re.compile(
    r"^(?P<d>\d{1,2})\s+(?P<mon>[a-z]+)\.?\s+(?P<y>\d{4})(?:\s+"
    + _CLOCK
    + r")?(?:\s+(?P<z>wib|wita|wit))?$"
)
_NUMERIC = re.compile(
    r"^(?P<d>\d{1,2})[/.-](?P<mon>\d{1,2})[/.-](?P<y>\d{4})(?:\s+"
    + _CLOCK
    + r")?(?:\s+(?P<z>wib|wita|wit))?$"
)
_BACK = {"hari ini": 0, "kemarin": 1, "kemarin dulu": 2, "lusa kemarin": 2}


# Forms read: "Senin, 12 Februari 2024 14.30 WITA", "5 Mei 2024", "12 Agu 2024",
# "12/01/2024 09:15", and relative ones: "2 jam yang lalu", "kemarin 19.05", "baru saja".
# ``to_english`` lets ``strptime`` read month and day names with the site's own format;
# ``parse_indonesian`` reads a date without a format; ``parse_relative`` only the relative forms.
def to_english(value: str) -> str:
    """Indonesian month and day names replaced by English ones, for ``strptime``'s %B %b %A %a
    (a full name becomes a full name, an abbreviation an abbreviation; "Mei" is "May")."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        folded = word.casefold().rstrip(".")
        if folded in DAYS:
            return DAYS[folded]
        if folded in _DAY_ABBR:
            return _DAY_ABBR[folded]
        if folded in MONTHS:
            full = _FULL[MONTHS[folded] - 1]
            return full if len(folded) > 4 or folded == "juni" or folded == "juli" else full[:3]
        return word

    return _WORD.sub(swap, value)


def _clean(value: str) -> str:
    text = value.casefold().replace(",", " ").replace("|", " ")
    text = re.sub(r"\b(pukul|pkl\.?|jam(?=\s*\d{1,2}[:.]\d{2}))\s*", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for day in DAYS:  # a leading day name: "senin 12 februari 2024"
        if text.startswith(day + " ") and text[len(day) + 1 : len(day) + 2].isdigit():
            return text[len(day) + 1 :]
    return text


def _at(day: datetime, match: re.Match[str]) -> datetime:
    if not match.group("h"):
        return day
    clock = time(int(match.group("h")), int(match.group("m")), int(match.group("s") or 0))
    return day.replace(hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=0)


def parse_relative(value: str, *, now: datetime, zone: tzinfo) -> datetime | None:
    """ "2 jam yang lalu", "5 menit lalu", "kemarin", "kemarin 19.05", "baru saja"; else None."""
    text = _clean(value)
    local_now = now.astimezone(zone)
    if text in ("baru saja", "barusan", "sekarang"):
        return local_now
    if match := _RELATIVE.match(text):
        count = 1 if match.group("n") in ("se", "satu") else int(match.group("n"))
        return local_now - count * UNITS[match.group("unit")]
    if match := _TODAY.match(text):
        day = local_now - timedelta(days=_BACK[match.group("day")])
        if not match.group("h"):
            return day.replace(hour=0, minute=0, second=0, microsecond=0)
        return _at(day, match)
    return None


def parse_indonesian(value: str, *, now: datetime, zone: tzinfo) -> datetime | None:
    """An Indonesian date in any of the forms above (aware, in ``zone`` unless it names WIB,
    WITA or WIT), or None."""
    relative = parse_relative(value, now=now, zone=zone)
    if relative is not None:
        return relative
    text = _clean(value)
    match = _NAMED.match(text) or _NUMERIC.match(text)
    if match is None:
        return None
    month = match.group("mon")
    number = int(month) if month.isdigit() else MONTHS.get(month.rstrip("."))
    if number is None:
        return None
    where = timezone(timedelta(hours=ZONES[match.group("z")])) if match.group("z") else zone
    try:
        day = datetime(int(match.group("y")), number, int(match.group("d")), tzinfo=where)
    except ValueError:
        return None
    return _at(day, match)
