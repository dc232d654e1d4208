import pytest

from lapor.redact import EMAIL_MARK, NIK_MARK, PHONE_MARK, redact


@pytest.mark.parametrize(
    "text, mark",
    [
        ("NIK saya 5371012345670001 tolong dicek", NIK_MARK),
        ("nik 5371 0123 4567 0001", NIK_MARK),
        ("NIK: 53.71.01.120890.0001", NIK_MARK),
        ("no KK 5371-0123-4567-0001", NIK_MARK),
        ("hubungi 081234567890", PHONE_MARK),
        ("hubungi 0812-3456-7890 segera", PHONE_MARK),
        ("hubungi 0812 3456 7890 segera", PHONE_MARK),
        ("wa +6281234567890", PHONE_MARK),
        ("wa +62 812 3456 7890", PHONE_MARK),
        ("wa +62-812-3456-789", PHONE_MARK),
        ("wa (+62)81234567890", PHONE_MARK),
        ("wa 62812.3456.7890", PHONE_MARK),
        ("kantor (0380) 821234", PHONE_MARK),
        ("kantor 0380-821234", PHONE_MARK),
        ("kantor 021 555 1234", PHONE_MARK),
        ("email budi.santoso+aduan@gmail.com ya", EMAIL_MARK),
        ("email b_s@kupangkota.go.id", EMAIL_MARK),
    ],
)
def test_personal_numbers_and_emails_are_redacted(text, mark):
    out = redact(text)
    assert mark in out
    assert not any(ch.isdigit() for ch in out.replace(mark, "")) or mark == EMAIL_MARK


@pytest.mark.parametrize(
    "text",
    [
        "RT 05/RW 02 Kelurahan Oebobo",
        "RT.005 RW.002 rumah No. 12",
        "Jl. Timor Raya No 17 dekat km 8",
        "tanggal 12-10-2026 jam 10.30",
        "tgl 05-10-2026 dan 2026-10-03 dan 03/11/2026",
        "dari jam 08.00-12.00 antri nomor 0123",
        "pungli Rp 1.500.000 dan Rp50.000, katanya 500 ribu",
        "tahun 2024 sudah 3 kali, 150 KK terdampak",
        "token listrik 20 digit 1234 5678 9012 3456 7890",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact(text) == text


def test_several_items_in_one_text():
    text = (
        "Sa pung NIK 5371012345670001, HP 0813-3838-1234 atau +62 821 4455 6677, "
        "email sa@contoh.id. Rumah RT 03/RW 01 no 7, sejak 01-09-2026 air son jalan."
    )
    out = redact(text)
    assert out.count(PHONE_MARK) == 2 and out.count(NIK_MARK) == 1 and out.count(EMAIL_MARK) == 1
    assert "RT 03/RW 01 no 7, sejak 01-09-2026 air son jalan." in out
