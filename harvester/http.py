"""The one polite HTTP session every source uses: identity, timeouts, retries, rate, size limits."""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from harvester.exceptions import (
    BadResponse,
    FetchFailed,
    ResponseTooLarge,
    Throttled,
    TooManyRedirects,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

# A platform's opinion of a response: None if it is fine, else seconds to wait before retrying
# it (0: the session's exponential backoff).
ThrottleCheck = Callable[["HttpResponse"], float | None]


def user_agent(contact: str | None) -> str:
    """``Aduan/<version> (+<contact>)``: who is asking and how to reach them."""
    from importlib import metadata

    try:
        version = metadata.version("aduan")
    except metadata.PackageNotFoundError:
        version = "0"
    who = contact or "contact not configured"
    return f"Aduan/{version} (public-service complaint harvester; +{who})"


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response (the body is bytes, never larger than the session's maximum)."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON; BadResponse if it is truncated, not UTF-8 or not JSON."""
        try:
            return json.loads(self.content.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise BadResponse(
                f"{self.url}: body is not valid UTF-8 ({exc.reason})", url=self.url
            ) from None
        except json.JSONDecodeError as exc:
            raise BadResponse(
                f"{self.url}: body is not valid JSON ({exc.msg} at byte {exc.pos} of "
                f"{len(self.content)}); truncated response?",
                url=self.url,
            ) from None

    def text(self, encoding: str | None = None) -> str:
        """The body decoded strictly (BadResponse on invalid bytes, never silent replacement)."""
        try:
            return self.content.decode(encoding or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadResponse(f"{self.url}: body cannot be decoded: {exc}", url=self.url) from None

    def raise_for_status(self) -> None:
        if self.status >= 400:
            snippet = self.content[:200].decode("utf-8", "replace")
            raise FetchFailed(f"{self.url}: HTTP {self.status}: {snippet}", url=self.url)


MAX_RETRY_AFTER_S = 86_400.0  # a day: any longer (or "inf", "1e12") is read as a day


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta seconds or an HTTP date, clamped to
    0..MAX_RETRY_AFTER_S; None if absent or not one of the two (``inf``, ``nan``, garbage)."""
    if not value or len(value) > 100:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
        seconds = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


# - User-Agent naming Aduan and the profile's contact;
# - connect/read timeouts;
# - retries with exponential backoff and jitter on connection errors, timeouts, 429 and 5xx,
#   honouring ``Retry-After`` (seconds or HTTP date); a platform callback can say that a response
#   means "throttled, wait N seconds" (Graph API error codes, X's ``x-rate-limit-reset``);
# - a minimum interval between two requests to the same host;
# - a maximum response size (the body is streamed and cut off) and a redirect limit.
@dataclass
class PoliteSession:
    """One ``requests.Session`` with Aduan's manners; share it between sources."""

    user_agent: str = field(default_factory=lambda: user_agent(None))
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 5
    # A host that refuses, does not resolve or does not answer the connect is retried this often
    # (after at most ``unreachable_wait`` s), then the source fails with one line.
    unreachable_retries: int = 1
    unreachable_wait: float = 1.0
    backoff_base: float = 1.0
    backoff_max: float = 120.0
    max_wait: float = 900.0
    min_interval: float = 0.5
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random
    _session: requests.Session = field(init=False, repr=False)
    _next_at: dict[str, float] = field(init=False, default_factory=dict, repr=False)
    _intervals: dict[str, float] = field(init=False, default_factory=dict, repr=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    _proxy_cache: dict[str, dict[str, str]] = field(init=False, default_factory=dict, repr=False)
    requests_sent: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._session = requests.Session()
        self._session.headers["User-Agent"] = self.user_agent
        self._session.max_redirects = self.max_redirects
        # The environment (proxies, CA bundle) is read once per host instead of on every request
        # (requests re-reads os.environ per call: a third of the client's time in the benchmark).
        self._session.trust_env = False
        self._session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )

    def __enter__(self) -> PoliteSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def set_rate(self, url: str, requests_per_second: float | None) -> None:
        """Requests per second allowed to ``url``'s host (None or 0: no limit)."""
        interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._intervals[_host(url)] = interval

    def pause(self, url: str, seconds: float) -> None:
        """Send nothing to ``url``'s host for ``seconds`` (usage headers near the limit)."""
        host = _host(url)
        with self._lock:
            self._next_at[host] = max(self._next_at.get(host, 0.0), self.clock() + seconds)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random, capped."""
        delay = min(self.backoff_max, self.backoff_base * 2**attempt)
        return delay / 2 + self.rng() * delay / 2

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        throttled: ThrottleCheck | None = None,
        expect_json: bool = False,
    ) -> HttpResponse:
        """GET with retries. Statuses other than 429/5xx are returned for the caller to judge.

        ``throttled`` lets a platform say that a response means "wait and retry";
        ``expect_json`` retries bodies that do not parse (a connection cut mid-body).
        """
        last_problem = ""
        unreachable = 0
        for attempt in range(self.max_retries + 1):
            self._wait_turn(url)
            try:
                response = self._send(url, params, headers)
            except _CONNECTION_ERRORS as exc:
                last_problem = self._short_reason(exc)
                if _is_unreachable(exc):
                    unreachable += 1
                    if unreachable > self.unreachable_retries:
                        raise FetchFailed(
                            f"{_bare(url)}: cannot reach {_host(url)} ({last_problem})", url=url
                        ) from None
                    wait = min(self.backoff(attempt), self.unreachable_wait)
                else:
                    wait = self.backoff(attempt)
                if attempt < self.max_retries:
                    log.warning("GET %s: %s, retrying in %.1f s", _bare(url), last_problem, wait)
                    self.sleep(wait)
                continue
            wait = throttled(response) if throttled is not None else None
            is_throttle = wait is not None or response.status == 429
            if wait == 0:
                wait = self.backoff(attempt)
            if wait is None and response.status in RETRY_STATUSES:
                header = retry_after_seconds(response.headers.get("Retry-After"))
                wait = header if header is not None else self.backoff(attempt)
            if wait is None and expect_json and response.status < 400:
                try:
                    response.json()
                except BadResponse as exc:
                    last_problem = str(exc)
                    wait = self.backoff(attempt)
            if wait is None:
                return response
            if is_throttle:
                last_problem = f"throttled (HTTP {response.status})"
            elif response.status in RETRY_STATUSES:
                last_problem = f"HTTP {response.status}"
            if is_throttle and wait > self.max_wait:
                raise Throttled(
                    f"{url}: throttled, server asks to wait {wait:.0f} s "
                    f"(more than the {self.max_wait:.0f} s allowed); try again later",
                    url=url,
                )
            if attempt < self.max_retries:
                log.warning("GET %s: %s, retrying in %.1f s", url, last_problem, wait)
                self.sleep(wait)
            elif is_throttle:
                raise Throttled(f"{url}: still throttled after {self.max_retries} retries", url=url)
            elif expect_json and response.status < 400:
                raise BadResponse(f"{last_problem} (after {self.max_retries} retries)", url=url)
        raise FetchFailed(
            f"{url}: no good response after {self.max_retries} retries ({last_problem})", url=url
        )

    def _short_reason(self, exc: BaseException) -> str:
        """One line a person can read, instead of urllib3's nested repr of the failure."""
        text = str(exc)
        if isinstance(exc, requests.ConnectTimeout):
            return f"no answer to the connect within {self.connect_timeout:.0f} s"
        if isinstance(exc, requests.ReadTimeout):
            return f"no answer within {self.read_timeout:.0f} s"
        if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return "host name not found"
        if "Connection refused" in text or "[Errno 111]" in text:
            return "connection refused"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "connection broken while reading the body"
        return f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}"

    def _proxies(self, url: str) -> dict[str, str]:
        host = _host(url)
        if host not in self._proxy_cache:
            self._proxy_cache[host] = requests.utils.get_environ_proxies(url)
        return self._proxy_cache[host]

    def _wait_turn(self, url: str) -> None:
        host = _host(url)
        with self._lock:
            now = self.clock()
            start = max(now, self._next_at.get(host, 0.0))
            self._next_at[host] = start + self._intervals.get(host, self.min_interval)
        if start > now:
            self.sleep(start - now)

    def _send(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
    ) -> HttpResponse:
        self.requests_sent += 1
        try:
            raw = self._session.get(
                url,
                params=params,
                headers=headers,
                proxies=self._proxies(url),
                timeout=(self.connect_timeout, self.read_timeout),
                stream=True,
            )
        except requests.TooManyRedirects:
            raise TooManyRedirects(
                f"{url}: more than {self.max_redirects} redirects (a redirect loop?)", url=url
            ) from None
        with raw:
            declared = raw.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise ResponseTooLarge(
                    f"{url}: body of {int(declared)} bytes exceeds the {self.max_bytes} allowed",
                    url=url,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in raw.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise ResponseTooLarge(
                        f"{url}: body exceeds the {self.max_bytes} bytes allowed", url=url
                    )
                chunks.append(chunk)
            return HttpResponse(
                url=raw.url, status=raw.status_code, headers=raw.headers, content=b"".join(chunks)
            )


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _bare(url: str) -> str:
    """``url`` without its query (short log lines; nothing secret from a query string)."""
    return url.split("?", 1)[0]


def _is_unreachable(exc: BaseException) -> bool:
    """The connection was never made: refused, unresolvable host, or no answer to the connect."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)
