"""Remove a reporter's NIK, phone numbers and e-mail addresses from text sent to LAPOR!.

EXTERNAL_APIS.md: "Do not put a reporter's NIK, phone or address into `content`". Ordinary numbers
(RT/RW, house numbers, dates, times, money) are kept: the patterns below only match what has the
shape of an Indonesian identity number, an Indonesian phone number or an e-mail address.
"""

from __future__ import annotations

import re

NIK_MARK = "[NIK dihapus]"
PHONE_MARK = "[nomor telepon dihapus]"
EMAIL_MARK = "[email dihapus]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# NIK / KK: 16 digits, written solid, as 4-4-4-4, or as 2.2.2.6.4 (province.city.district.dob.seq)
_NIK = re.compile(
    r"(?<![\d.,])(?<!\d[ .\-])(?:"
    r"[1-9]\d{15}"
    r"|[1-9]\d{3}[ .\-]\d{4}[ .\-]\d{4}[ .\-]\d{4}"
    r"|[1-9]\d[ .]?\d{2}[ .]?\d{2}[ .]?\d{6}[ .]?\d{4}"
    r")(?!\d|[ .\-]\d)"
)
_SEP = r"[ .\-]?"
# mobile: 08.., 628.., +62 8.., (+62) 8..; 9-13 digits after the 0, any of space/dot/dash between
_MOBILE = re.compile(
    r"(?<![\w+])(?:\(\+?62\)|\+62|62|0)" + _SEP + r"8\d(?:" + _SEP + r"\d){6,10}(?![\d])"
)
# landline: (0380) 821234, 0380-821234, 021 555 1234, +62 380 821234 (area code 2-4 digits)
_LANDLINE = re.compile(
    r"(?<![\w+])(?:\(0[2-9]\d{1,2}\)|0[2-9]\d{1,2}|\+62[ .\-]?\(?[2-9]\d{1,2}\)?)"
    r"[ .\-]?\d(?:" + _SEP + r"\d){4,7}(?![\d])"
)


def redact(text: str) -> str:
    """``text`` with NIKs, phone numbers and e-mail addresses replaced by a bracketed mark."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _NIK.sub(NIK_MARK, text)
    text = _MOBILE.sub(PHONE_MARK, text)
    return _LANDLINE.sub(PHONE_MARK, text)
