"""Post a reply under a comment, read the thread under it, check the token's permissions."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from harvester.sources.facebook import THROTTLE_CODES, TOKEN_CODES, USAGE_LIMIT, usage_percent
from lapor.replies.errors import (
    ReplyGone,
    ReplyNotPermitted,
    ReplyRefused,
    ReplyThrottled,
    ReplyUncertain,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
THREAD_PAGES = 20
QUOTA_WAIT_S = 3600.0
FB_PERMISSIONS = ("pages_manage_engagement", "pages_read_user_content")
IG_PERMISSIONS = ("instagram_manage_comments", "instagram_business_manage_comments")
YT_SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"


@dataclass(frozen=True)
class Posted:
    """A reply on the platform: its id and a link to it."""

    reply_id: str
    url: str | None


def _same(a: str | None, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join(b.split())


#     Facebook   POST /{comment-id}/comments (message), Page token; thread: GET /{id}/comments
#     Instagram  POST /{ig-comment-id}/replies (message); thread: GET /{id}/replies
#     YouTube    POST /comments?part=snippet {"snippet": {parentId, textOriginal}}, OAuth token;
#                thread: GET /comments?parentId=
#
# A POST is never retried here: the outbox (lapor.replies.sender) decides, because a timed-out
# POST may have been posted. Usage headers (X-App-Usage, X-Business-Use-Case-Usage) at 90% or more
# make the client report ``paused`` so the sender stops that source for the run.
class _Client:
    """One platform account: HTTP with a minimum interval, no retries."""

    platform = ""

    def __init__(
        self, *, api_url: str, token: str, rate: float = 1.0, timeout: float = 10.0
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.interval = 1.0 / rate if rate else 0.0
        self.paused = False
        self._http = requests.Session()
        self._lock = threading.Lock()
        self._next_at = 0.0

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kw: Any) -> requests.Response:
        with self._lock:
            wait = self._next_at - time.monotonic()
            self._next_at = max(time.monotonic(), self._next_at) + self.interval
        if wait > 0:
            time.sleep(wait)
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self._http.request(
                method, url, headers=headers, timeout=(CONNECT_TIMEOUT_S, self.timeout), **kw
            )
        except requests.ConnectTimeout as exc:  # never reached the platform
            raise ReplyThrottled(f"{self.platform}: cannot connect ({exc})") from None
        except requests.ConnectionError as exc:
            if method == "GET" or "refused" not in str(exc).lower():
                raise ReplyUncertain(f"{self.platform}: no answer ({type(exc).__name__})") from None
            raise ReplyThrottled(f"{self.platform}: connection refused") from None
        except requests.RequestException as exc:  # read timeout and the like
            raise ReplyUncertain(f"{self.platform}: no answer ({type(exc).__name__})") from None
        if usage_percent(response.headers) >= USAGE_LIMIT:
            log.warning("%s: API usage at 90%% or more; replies paused for this run", self.platform)
            self.paused = True
        return response


class _GraphClient(_Client):
    """Facebook and Instagram share the Graph error shapes."""

    permissions: tuple[str, ...] = ()

    def _graph(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        response = self._request(method, url, **kw)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code < 400 and isinstance(data, dict):
            return data
        error = (data or {}).get("error") if isinstance(data, dict) else None
        error = error if isinstance(error, dict) else {}
        code, sub = error.get("code"), error.get("error_subcode")
        text = f"{self.platform}: Graph {response.status_code} error {code}: {error.get('message')}"
        if response.status_code == 429 or code in THROTTLE_CODES:
            raise ReplyThrottled(text, retry_after=_retry_after(response))
        if code in TOKEN_CODES:
            raise ReplyNotPermitted(text, permission="token (kedaluwarsa atau tidak sah)")
        if code == 10 or (isinstance(code, int) and 200 <= code < 300):
            raise ReplyNotPermitted(text, permission=" / ".join(self.permissions))
        if code == 100 and (sub == 33 or "does not exist" in str(error.get("message"))):
            raise ReplyGone(text)
        if response.status_code >= 500 or not error:
            raise ReplyUncertain(text)
        raise ReplyRefused(text)

    def _thread(self, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        for _ in range(THREAD_PAGES):
            data = self._graph("GET", next_url, params=params)
            items.extend(data.get("data") or [])
            next_url, params = (data.get("paging") or {}).get("next"), None
            if not next_url:
                break
        return items

    def check(self) -> str:
        """Which of the reply permissions the token has (``/me/permissions``)."""
        data = self._graph("GET", f"{self.api_url}/me/permissions")
        granted = {
            p.get("permission") for p in data.get("data", []) if p.get("status") == "granted"
        }
        if not granted & set(self.permissions):
            raise ReplyNotPermitted(
                f"{self.platform}: the reply token lacks {' or '.join(self.permissions)}",
                permission=" / ".join(self.permissions),
            )
        return f"may reply ({', '.join(sorted(granted & set(self.permissions)))})"


class FacebookReplies(_GraphClient):
    platform = "facebook"
    permissions = FB_PERMISSIONS

    def __init__(self, *, page_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.page_id = page_id

    def post(self, target_id: str, text: str, *, post_url: str | None = None) -> Posted:
        data = self._graph("POST", f"{self.api_url}/{target_id}/comments", data={"message": text})
        if not data.get("id"):
            raise ReplyUncertain("facebook: answer without an id")
        return Posted(data["id"], facebook_url(post_url, data["id"]))

    def find(self, target_id: str, text: str, *, post_url: str | None = None) -> Posted | None:
        params = {"fields": "id,message,from", "limit": 100, "filter": "toplevel"}
        for item in self._thread(f"{self.api_url}/{target_id}/comments", params):
            author = (item.get("from") or {}).get("id")
            if _same(item.get("message"), text) and author in (None, self.page_id):
                return Posted(item["id"], facebook_url(post_url, item["id"]))
        return None


class InstagramReplies(_GraphClient):
    platform = "instagram"
    permissions = IG_PERMISSIONS

    def __init__(self, *, ig_user_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.ig_user_id = ig_user_id
        self._username: str | None = None

    def post(self, target_id: str, text: str, *, post_url: str | None = None) -> Posted:
        data = self._graph("POST", f"{self.api_url}/{target_id}/replies", data={"message": text})
        if not data.get("id"):
            raise ReplyUncertain("instagram: answer without an id")
        return Posted(data["id"], post_url)

    def find(self, target_id: str, text: str, *, post_url: str | None = None) -> Posted | None:
        if self._username is None:
            account = self._graph("GET", f"{self.api_url}/{self.ig_user_id}?fields=username")
            self._username = account.get("username") or ""
        params = {"fields": "id,text,username", "limit": 50}
        for item in self._thread(f"{self.api_url}/{target_id}/replies", params):
            mine = item.get("username") in (None, self._username)
            if _same(item.get("text"), text) and mine:
                return Posted(item["id"], post_url)
        return None


class YouTubeReplies(_Client):
    platform = "youtube"

    def post(self, target_id: str, text: str, *, post_url: str | None = None) -> Posted:
        body = {"snippet": {"parentId": target_id, "textOriginal": text}}
        data = self._youtube("POST", f"{self.api_url}/comments?part=snippet", json=body)
        if not data.get("id"):
            raise ReplyUncertain("youtube: answer without an id")
        return Posted(data["id"], youtube_url(post_url, data["id"]))

    def find(self, target_id: str, text: str, *, post_url: str | None = None) -> Posted | None:
        token = None
        for _ in range(THREAD_PAGES):
            params = {"part": "snippet", "parentId": target_id, "maxResults": 100}
            params["textFormat"] = "plainText"
            if token:
                params["pageToken"] = token
            data = self._youtube("GET", f"{self.api_url}/comments", params=params)
            for item in data.get("items", []):
                if _same((item.get("snippet") or {}).get("textOriginal"), text):
                    return Posted(item["id"], youtube_url(post_url, item["id"]))
            token = data.get("nextPageToken")
            if not token:
                return None
        return None

    def check(self) -> str:
        self._youtube("GET", f"{self.api_url}/channels", params={"part": "id", "mine": "true"})
        return "may reply (OAuth token accepted)"

    def _youtube(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        response = self._request(method, url, **kw)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code < 400 and isinstance(data, dict):
            return data
        error = (data or {}).get("error") if isinstance(data, dict) else None
        errors = (error or {}).get("errors") or [{}] if isinstance(error, dict) else [{}]
        reason = errors[0].get("reason")
        text = f"youtube: HTTP {response.status_code} ({reason})"
        status = response.status_code
        if reason in ("rateLimitExceeded", "userRateLimitExceeded") or status == 429:
            raise ReplyThrottled(text, retry_after=_retry_after(response))
        if reason in ("quotaExceeded", "dailyLimitExceeded"):
            raise ReplyThrottled(text, retry_after=QUOTA_WAIT_S)
        if status == 401 or reason in ("authError", "keyInvalid"):
            raise ReplyNotPermitted(text, permission="token OAuth (kedaluwarsa atau tidak sah)")
        if status == 403 and reason in ("insufficientPermissions", "forbidden", None):
            raise ReplyNotPermitted(text, permission=f"scope {YT_SCOPE}")
        if status == 404 or reason in ("commentNotFound", "parentCommentNotFound"):
            raise ReplyGone(text)
        if status >= 500 or not error:
            raise ReplyUncertain(text)
        raise ReplyRefused(text)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def facebook_url(post_url: str | None, reply_id: str) -> str | None:
    """The citizen comment's permalink with ``reply_comment_id`` (the reply's own number)."""
    if not post_url or "comment_id=" not in post_url:
        return post_url
    number = reply_id.rsplit("_", 1)[-1]
    return _with_query(post_url, reply_comment_id=number)


def youtube_url(post_url: str | None, reply_id: str) -> str | None:
    """The video link with ``lc`` set to the reply."""
    if not post_url:
        return None
    return _with_query(post_url, lc=reply_id)


def _with_query(url: str, **values: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in values]
    query.extend(values.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
