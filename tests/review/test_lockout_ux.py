"""Lockout as a person meets it: a warning before the last tries, the lock's duration, and
`aduan users unlock|passwd` for the admin — saying the same for unknown user names."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.review.conftest import add_user, csrf_of, login


def _text(response) -> str:
    return response.text.replace(csrf_of(response.text), "")


def test_warns_before_the_last_tries_and_gives_the_lock_duration(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    pages = [login(client, "ana", "salah-salah") for _ in range(5)]
    assert "Sisa" not in pages[0].text and "Sisa" not in pages[1].text
    assert "Sisa 2 percobaan lagi; setelah itu akun dikunci 15 menit." in pages[2].text
    assert "Sisa 1 percobaan lagi" in pages[3].text
    assert "akun dikunci 15 menit" in pages[4].text and "Sisa" not in pages[4].text
    assert login(client, "ana").status_code == 401  # locked: even the right password
    # an unknown name gets exactly the same pages (nothing says whether an account exists)
    unknown = [login(client, "tidak-ada", "salah-salah") for _ in range(5)]
    assert [_text(p) for p in unknown] == [_text(p) for p in pages]


def test_cli_unlock_and_passwd(session_factory, client, make_client):
    from cli.main import app

    add_user(session_factory, "ana", "facilitator")
    add_user(session_factory, "budi", "facilitator")
    for _ in range(5):
        login(client, "ana", "salah-salah")
    runner = CliRunner()
    listed = runner.invoke(app, ["users", "list"])
    assert "ana\tfacilitator\tall\tactive, locked until" in listed.output
    result = runner.invoke(app, ["users", "unlock", "ana"])
    assert result.exit_code == 0 and "user ana unlocked (was locked until" in result.output
    assert login(make_client(), "ana").status_code == 303  # the right password works again

    budi = make_client()
    assert login(budi, "budi").status_code == 303
    assert budi.get("/", follow_redirects=False).status_code == 200
    result = runner.invoke(
        app, ["users", "passwd", "budi", "--password-stdin"], input="baru-sekali-456\n"
    )
    assert result.exit_code == 0 and "baru-sekali" not in result.output
    assert budi.get("/", follow_redirects=False).status_code == 303  # its session ended
    assert login(make_client(), "budi").status_code == 401  # the old password is gone
    assert login(make_client(), "budi", "baru-sekali-456").status_code == 303
    missing = runner.invoke(app, ["users", "unlock", "nobody"])
    assert missing.exit_code != 0
    short = runner.invoke(app, ["users", "passwd", "budi", "--password-stdin"], input="x\n")
    assert short.exit_code != 0


def test_an_unlock_or_a_good_login_starts_the_warnings_anew(session_factory, client, make_client):
    from cli.main import app

    add_user(session_factory, "ana", "facilitator")
    for _ in range(5):
        login(client, "ana", "salah-salah")
    assert CliRunner().invoke(app, ["users", "unlock", "ana"]).exit_code == 0
    after_unlock = login(make_client(), "ana", "salah-salah")
    assert "dikunci 15 menit" not in after_unlock.text and "Sisa" not in after_unlock.text
    login(make_client(), "ana", "salah-salah")
    assert login(make_client(), "ana").status_code == 303  # a good login forgets the two failures
    again = [login(make_client(), "ana", "salah-salah") for _ in range(2)]
    assert all("Sisa" not in page.text for page in again)
