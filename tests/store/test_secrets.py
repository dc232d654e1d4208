"""Issue 19 item 12: an empty ADUAN_HOME/secrets/* file (or an empty secret variable) is refused
as a key with one clear line, never used."""

from __future__ import annotations

import pytest

from config.exceptions import ConfigError
from config.settings import load_settings


@pytest.mark.parametrize("content", ["", "\n", "   \n"])
@pytest.mark.parametrize(
    "name, method", [("session_key", "cookie_key"), ("author_key", "author_key")]
)
def test_an_empty_secret_file_is_refused(aduan_env, monkeypatch, content, name, method):
    monkeypatch.delenv("ADUAN_AUTHOR_SECRET", raising=False)
    path = aduan_env / "secrets" / name
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(ConfigError, match=f"secrets/{name} is empty"):
        getattr(load_settings(), method)()


@pytest.mark.parametrize("variable", ["ADUAN_AUTHOR_SECRET", "ADUAN_SESSION_SECRET"])
def test_an_empty_secret_variable_is_refused(monkeypatch, variable):
    monkeypatch.setenv(variable, " ")
    settings = load_settings()
    with pytest.raises(ConfigError, match=variable):
        settings.author_key() if "AUTHOR" in variable else settings.cookie_key()


def test_a_missing_secret_is_generated_once_and_kept(aduan_env, monkeypatch):
    key = load_settings().cookie_key()
    assert len(key) == 64 and (aduan_env / "secrets" / "session_key").read_text() == key
    assert load_settings().cookie_key() == key
