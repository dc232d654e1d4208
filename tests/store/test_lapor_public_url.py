"""One definition of a complaint's public LAPOR! page (ADUAN_LAPOR_PUBLIC_URL), used by the
review app's links and by the replies to citizens."""

from __future__ import annotations

import pytest

from config.exceptions import ConfigError
from config.replies import ReplyConfig
from config.settings import load_settings


def test_the_default_is_the_public_report_page_of_external_apis(monkeypatch):
    monkeypatch.delenv("ADUAN_LAPOR_PUBLIC_URL", raising=False)
    assert load_settings().lapor_public_link("SIM-7") == "https://www.lapor.go.id/pengaduan/SIM-7"
    text = ReplyConfig().render("sent", nomor="123", instansi="DLHK", status=None)
    assert "https://www.lapor.go.id/pengaduan/123" in text


def test_the_replies_follow_the_setting_and_a_profile_link_still_overrides(monkeypatch):
    monkeypatch.setenv("ADUAN_LAPOR_PUBLIC_URL", "http://127.0.0.1:5999/pengaduan/{nomor}")
    text = ReplyConfig().render("sent", nomor="42", instansi="DLHK", status=None)
    assert "http://127.0.0.1:5999/pengaduan/42" in text and "lapor.go.id" not in text
    own = ReplyConfig(link="https://example.org/l/{nomor}")
    assert "https://example.org/l/42" in own.render("sent", nomor="42", instansi="x", status=None)


@pytest.mark.parametrize("value", ["www.lapor.go.id/pengaduan/{nomor}", "https://x.org/{id}"])
def test_a_setting_without_scheme_or_number_is_refused_in_one_line(monkeypatch, value):
    monkeypatch.setenv("ADUAN_LAPOR_PUBLIC_URL", value)
    with pytest.raises(ConfigError, match="ADUAN_LAPOR_PUBLIC_URL"):
        load_settings()
    monkeypatch.delenv("ADUAN_LAPOR_PUBLIC_URL")
