"""Issue 19 item 6: the CSV download's filename cannot be injected through ``?state=``, and a
non-Latin-1 state never gives a 500."""

from __future__ import annotations

import pytest

from review.routes.queue import content_disposition
from tests.review.conftest import add_user, login, seed_case


@pytest.mark.parametrize("state", ["open", "approved", "rejected", "merged"])
def test_known_states_name_the_download(session_factory, client, state):
    add_user(session_factory, "ana", "admin")
    seed_case(session_factory, 1)
    login(client, "ana")
    response = client.get(f"/queue.csv?state={state}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"aduan-{state}.csv\"; filename*=UTF-8''aduan-{state}.csv"
    )


@pytest.mark.parametrize(
    "state",
    ['x.html"; filename="laporan.html', "open%0d%0aSet-Cookie:%20a=b", "ñ或", "../../etc"],
)
def test_other_states_are_refused_with_400(session_factory, client, state):
    add_user(session_factory, "ana", "admin")
    login(client, "ana")
    response = client.get(f"/queue.csv?state={state}")
    assert response.status_code == 400
    assert "laporan.html" not in response.headers.get("content-disposition", "")
    assert "Status CSV tidak dikenal" in response.text and "one of" not in response.text


def test_content_disposition_is_rfc_6266_for_any_name():
    header = content_disposition('laporan "kota" ñ或.csv')
    assert header.startswith('attachment; filename="laporan__kota____.csv"')
    assert header.endswith("filename*=UTF-8''laporan%20%22kota%22%20%C3%B1%E6%88%96.csv")
    header.encode("latin-1")  # always a valid header value
