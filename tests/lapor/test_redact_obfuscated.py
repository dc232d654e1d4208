"""Issue 19 item 10: obfuscated e-mails, phones and NIKs are redacted before anything leaves for
LAPOR! or Open311, and the "Sumber:" links are http(s) only, redacted like the text.
Property tests (hypothesis) draw the many ways people write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lapor.compose import compose_content, compose_title
from lapor.redact import EMAIL_MARK, NIK_MARK, PHONE_MARK, redact

LONG_DIGITS = re.compile(r"\d(?:[\W_]{0,3}\d){6,}")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def leaves_no_number(out: str) -> bool:
    folded = out.translate({ord(f): str(i) for i, f in enumerate("０１２３４５６７８９")})
    return not LONG_DIGITS.search(folded)


@pytest.mark.parametrize(
    "text",
    [
        "hubungi nama at gmail dot com ya",
        "email: nama [at] gmail [dot] com",
        "email nama (at) gmail (dot) com",
        "email nama @ gmail . com",
        "email nama.warga AT yahoo DOT co DOT id",
        "email nama{at}gmail{dot}com",
        "email ｎａｍａ＠ｇｍａｉｌ．ｃｏｍ",
    ],
)
def test_written_out_emails_are_redacted(text):
    out = redact(text)
    assert EMAIL_MARK in out and "nama" not in out.replace("email", "")


@pytest.mark.parametrize(
    "text",
    [
        "wa 0812/3456/7890",
        "wa 0812_3456_7890",
        "HP: +628100_0000000 segera",  # lokal-id alone stops at the _ (found by hypothesis)
        "wa 0812  3456  7890",
        "wa 0812 - 3456 - 7890",
        "hp0812 3456 7890",
        "hp:081234567890",
        "telp o812 3456 7890",
        "telp O81234567890",
        "wa ０８１２３４５６７８９０",
        "wa ０８１２－３４５６－７８９０",
        "wa +62 812/3456/7890",
        "wa 62_812_3456_7890",
        "wa +62812-3456-7890",
        "https://wa.me/6281234567890",
    ],
)
def test_phones_with_any_separator_are_redacted(text):
    out = redact(text)
    assert PHONE_MARK in out and leaves_no_number(out), out


@pytest.mark.parametrize(
    "text",
    [
        "NIK 5371 0123 4567 8901",
        "NIK 5371 012345 678901",
        "NIK 5371/0123/4567/8901",
        "NIK 5371/012345/678901",
        "NIK 53.71.01.234567.8901",
        "NIK 5371_0123_4567_8901",
        "NIK ５３７１０１２３４５６７８９０１",
        "NIK 5371012345678901",
    ],
)
def test_grouped_niks_are_redacted(text):
    out = redact(text)
    assert NIK_MARK in out and leaves_no_number(out), out


SEPARATORS = st.sampled_from([" ", ".", "-", "/", "_", "  ", " - ", ""])


def _grouped(digits: str, cuts: list[int], separator: str) -> str:
    cuts = sorted({c for c in cuts if 0 < c < len(digits)})
    parts, last = [], 0
    for cut in cuts:
        parts.append(digits[last:cut])
        last = cut
    parts.append(digits[last:])
    return separator.join(parts)


@st.composite
def phones(draw) -> str:
    rest = draw(st.text("0123456789", min_size=8, max_size=10))
    digits = "8" + draw(st.sampled_from("1235789")) + rest
    cuts = draw(st.lists(st.integers(2, len(digits) - 2), max_size=3))
    body = _grouped(digits, cuts, draw(SEPARATORS))
    prefix = draw(st.sampled_from(["0", "+62", "62", "+62 ", "(+62) ", "o", "O"]))
    number = prefix + body
    if draw(st.booleans()):
        number = number.translate(FULL_WIDTH)
    lead = draw(st.sampled_from(["hubungi ", "hp", "HP: ", "wa ", "WA.", "no ", "telp. "]))
    return f"{lead}{number} segera"


@st.composite
def niks(draw) -> str:
    digits = draw(st.sampled_from("123456789")) + draw(
        st.text("0123456789", min_size=15, max_size=15)
    )
    layout = draw(st.sampled_from([[4, 8, 12], [4, 10], [2, 4, 6, 12], [6, 12], []]))
    number = _grouped(digits, layout, draw(st.sampled_from([" ", ".", "-", "/", "_", ""])))
    if draw(st.booleans()):
        number = number.translate(FULL_WIDTH)
    return f"NIK saya {number}, tolong"


WORD = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)


@st.composite
def emails(draw) -> str:
    local = draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=3, max_size=12))
    domain = [draw(WORD) for _ in range(draw(st.integers(1, 2)))]
    tld = draw(st.sampled_from(["com", "id", "net", "org", "co.id", "go.id"]))
    at = draw(st.sampled_from(["@", " @ ", " at ", " AT ", "[at]", " [at] ", "(at)", " (at) "]))
    dot = draw(st.sampled_from([".", " . ", " dot ", " DOT ", "[dot]", " [dot] ", "(dot)"]))
    host = dot.join(domain + tld.split("."))
    return f"email saya {local}{at}{host} ya", local


@settings(max_examples=300, deadline=None)
@given(phones())
def test_property_any_phone_is_redacted(text):
    out = redact(text)
    assert PHONE_MARK in out and leaves_no_number(out), (text, out)


@settings(max_examples=300, deadline=None)
@given(niks())
def test_property_any_nik_is_redacted(text):
    out = redact(text)
    assert (NIK_MARK in out or PHONE_MARK in out) and leaves_no_number(out), (text, out)


@settings(max_examples=300, deadline=None)
@given(emails())
def test_property_any_written_out_email_is_redacted(drawn):
    text, local = drawn
    out = redact(text)
    assert EMAIL_MARK in out and local not in out.replace("email saya", ""), (text, out)


@st.composite
def ordinary(draw) -> str:
    day, month = draw(st.integers(1, 28)), draw(st.integers(1, 12))
    year = draw(st.integers(2020, 2030))
    pieces = [
        f"RT {draw(st.integers(1, 20)):02d}/RW {draw(st.integers(1, 12)):02d}",
        f"tanggal {day:02d}-{month:02d}-{year}",
        f"{day:02d}/{month:02d}/{year}",
        f"jam {draw(st.integers(0, 23)):02d}.{draw(st.integers(0, 59)):02d}",
        f"Rp {draw(st.integers(1, 999))}.{draw(st.integers(0, 999)):03d}",
        f"No. {draw(st.integers(1, 300))}",
        f"{draw(st.integers(2, 500))} KK terdampak",
    ]
    return " ".join(draw(st.permutations(pieces)))


@pytest.mark.parametrize(
    "text",
    [
        # found by hypothesis: the thousands of an amount followed by a date read as 080/081...
        "RT 01/RW 01 tanggal 01-01-2020 jam 00.00 Rp 1.080 01/01/2020 No. 1 2 KK terdampak",
        "Rp 5.081 12/03/2024 dibayar",
        "Rp 12.089 05 06 2025",
        "Rp 62.826 20/02/2029 No. 84",
    ],
)
def test_an_amount_before_a_date_is_kept(text):
    assert redact(text) == text


def test_a_phone_after_an_amount_is_still_redacted():
    out = redact("Rp 1.500 hubungi 0812 3456 7890")
    assert out == f"Rp 1.500 hubungi {PHONE_MARK}"


@settings(max_examples=300, deadline=None)
@given(ordinary())
def test_property_ordinary_numbers_are_kept(text):
    assert redact(text) == text


def _post(text: str, url: str | None) -> SimpleNamespace:
    return SimpleNamespace(text=text, url=url, created_at=datetime(2026, 10, 1, tzinfo=UTC))


def test_sumber_links_are_http_only_and_redacted():
    posts = [
        _post("air mati", "javascript:alert(document.cookie)"),
        _post("air mati juga", "https://wa.me/6281234567890"),
        _post("air mati lagi", "https://fb.example/p/1?ref=nama@gmail.com"),
        _post("sama", "data:text/html,<script>alert(1)</script>"),
    ]
    content = compose_content(7, posts)
    sumber = next(line for line in content.splitlines() if line.startswith("Sumber:"))
    assert "javascript:" not in content and "data:" not in content
    assert "6281234567890" not in content and "nama@gmail.com" not in content
    assert sumber.startswith("Sumber: https://wa.me/") and PHONE_MARK in sumber


def test_a_post_with_only_a_bad_link_has_no_sumber_line():
    assert "Sumber:" not in compose_content(7, [_post("air mati", "javascript:alert(1)")])


def test_the_title_is_redacted_too():  # Open311's description is this title + the content
    posts = [_post("Air mati di Jl. Ahmad O81234567890 sejak kemarin", None)]
    title = compose_title("Air", posts, "Kota Kupang")
    assert title.startswith("Air di Jl. Ahmad") and "1234567890" not in title
