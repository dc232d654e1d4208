"""Faults of the fake platforms' reply endpoints (FAKE servers only: demo, tests, benchmark).

A reply request can fail BEFORE it takes effect (an HTTP status: 429, 500, 503; nothing posted)
or AFTER (the reply is posted, then the connection is dropped or the answer hangs past the
client's timeout): the second kind is what an outbox must never turn into a duplicate.

    faults.fail(times, status)     the next replies answer ``status``, nothing is posted
    faults.lose(times)             posted, then the connection closes without an answer
    faults.hang(times, seconds)    posted, then the answer waits ``seconds``
    faults.rates(fail=, lost=)     random faults at these rates (the benchmark), seeded
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque

from demo.fake_server import FakeResponse, json_response

BEFORE_STATUSES = (500, 503, 429)


class ReplyFaults:
    """Faults the next reply requests suffer (thread-safe, first come first served)."""

    def __init__(self, seed: int = 20) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[str, float]] = deque()
        self._rng = random.Random(seed)
        self.fail_rate = 0.0
        self.lost_rate = 0.0
        self.injected = {"failed": 0, "lost": 0, "hung": 0}

    def fail(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._queue.extend(("fail", float(status)) for _ in range(times))

    def lose(self, times: int = 1) -> None:
        with self._lock:
            self._queue.extend(("lose", 0.0) for _ in range(times))

    def hang(self, times: int = 1, seconds: float = 5.0) -> None:
        with self._lock:
            self._queue.extend(("hang", seconds) for _ in range(times))

    def rates(self, *, fail: float = 0.0, lost: float = 0.0, seed: int | None = None) -> None:
        with self._lock:
            self.fail_rate, self.lost_rate = fail, lost
            if seed is not None:
                self._rng = random.Random(seed)

    def draw(self) -> tuple[str, float] | None:
        """The fault of this reply request: ("fail", status) | ("lose", 0) | ("hang", s) | None."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            roll = self._rng.random()
            if roll < self.fail_rate:
                return "fail", float(self._rng.choice(BEFORE_STATUSES))
            if roll < self.fail_rate + self.lost_rate:
                return "lose", 0.0
            return None

    def before(self, fault: tuple[str, float] | None, body: dict) -> FakeResponse | None:
        """The answer of a fault that strikes before the reply is posted (None: post it)."""
        if fault is None or fault[0] != "fail":
            return None
        with self._lock:
            self.injected["failed"] += 1
        status = int(fault[1])
        headers = {"Retry-After": "1"} if status == 429 else {}
        return json_response(body, status, headers)

    def after(self, fault: tuple[str, float] | None, response: FakeResponse) -> FakeResponse:
        """The answer once the reply is posted: dropped, delayed, or as it is."""
        if fault is None:
            return response
        if fault[0] == "lose":
            with self._lock:
                self.injected["lost"] += 1
            return FakeResponse(drop=True)
        if fault[0] == "hang":
            with self._lock:
                self.injected["hung"] += 1
            time.sleep(fault[1])
        return response
