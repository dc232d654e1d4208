"""The demo's serve mode keeps forwarding, replying and syncing statuses; a failing round does
not stop it."""

import threading

from demo.serve import DemoSchedules


def test_schedules_run_forward_replies_and_status_until_stopped_and_survive_errors():
    calls = {"forward": 0, "replies": 0, "status": 0}
    enough = threading.Event()

    def forward():
        calls["forward"] += 1
        if calls["forward"] == 2:
            raise RuntimeError("simulator busy")  # one bad round
        if calls["forward"] >= 5:
            enough.set()
        return {}

    def status():
        calls["status"] += 1
        return {}

    def replies():  # the replies the forwarding made due follow each forward round
        assert calls["replies"] < calls["forward"]
        calls["replies"] += 1
        return {}

    with DemoSchedules(
        forward_every_s=0.01,
        status_every_s=0.02,
        forward=forward,
        status=status,
        replies=replies,
    ) as schedules:
        assert enough.wait(10), calls
    seen = dict(calls)
    assert seen["forward"] >= 5 and seen["status"] >= 2
    assert seen["replies"] in (seen["forward"], seen["forward"] - 1)
    assert seen["status"] < seen["forward"], "status runs less often than forward"
    assert schedules.runs["errors"] == 1
    threading.Event().wait(0.1)
    assert calls == seen, "nothing runs after stop()"
