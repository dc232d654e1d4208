"""``youtube_comments``: comment threads with replies, of listed videos or a channel's uploads."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from harvester.exceptions import FetchFailed, TokenInvalid
from harvester.http import HttpResponse, PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    by_publisher,
    parse_items,
    parse_time,
    publisher_set,
    register,
    unique,
    utcnow,
)

log = logging.getLogger(__name__)
DEFAULT_MAX_PAGES = 20
QUOTA_WAIT_S = 86_400.0  # the daily quota resets at midnight Pacific time: more than max_wait


def _reason(response: HttpResponse) -> str | None:
    if response.status < 400:
        return None
    try:
        errors = response.json()["error"].get("errors") or [{}]
        return errors[0].get("reason")
    except Exception:  # noqa: BLE001 - a non-JSON error body has no reason
        return None


def quota_wait(response: HttpResponse) -> float | None:
    """rateLimitExceeded: back off; quotaExceeded: wait for the next day (i.e. give up now)."""
    reason = _reason(response)
    if reason in ("rateLimitExceeded", "userRateLimitExceeded"):
        return 0.0
    if reason in ("quotaExceeded", "dailyLimitExceeded"):
        return QUOTA_WAIT_S
    return None


def comment_text(snippet: dict[str, Any]) -> str:
    """``textOriginal`` (else ``textDisplay``) with the API's ``\r\n`` line ends made ``\n``."""
    text = snippet.get("textOriginal") or snippet.get("textDisplay") or ""
    if not isinstance(text, str):
        raise TypeError(f"comment text is {type(text).__name__}")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _comment(
    item: dict[str, Any],
    *,
    source: str,
    key: bytes,
    fetched_at,
    parent: str | None,
    video: str | None = None,
    publisher: frozenset[str] = frozenset(),
) -> Post | None:
    """One comment. ``video`` comes from the thread: replies from ``comments.list`` carry only
    ``parentId``, no ``videoId`` (YouTube Data API reference, Comments resource). By the
    publisher when its author's channel is the video's channel (the snippet's ``channelId``)
    or one of ``publisher``."""
    snippet = item["snippet"]
    video = snippet.get("videoId") or video
    text = comment_text(snippet)
    if not text:
        return None
    author = (snippet.get("authorChannelId") or {}).get("value")
    own = publisher | publisher_set(snippet.get("channelId"))
    return Post(
        source=source,
        external_id=item["id"],
        url=f"https://www.youtube.com/watch?v={video}&lc={item['id']}" if video else None,
        author_ref=author_ref(key, author),
        text=text,
        created_at=parse_time(snippet["publishedAt"]),
        fetched_at=fetched_at,
        parent_external_id=parent or (f"video:{video}" if video else None),
        raw=None,
        by_publisher=by_publisher(own, author),
    )


def parse_threads(
    data: dict[str, Any],
    *,
    source: str,
    key: bytes,
    fetched_at: datetime,
    where: str = "threads",
    publisher: frozenset[str] = frozenset(),
) -> tuple[Parsed, list[str]]:
    """Posts of one commentThreads response, and the thread ids with replies left to fetch.
    The channel's own comments (the thread's ``channelId``, or ``publisher``) are marked."""
    incomplete: list[str] = []
    common = {"source": source, "key": key, "fetched_at": fetched_at}

    def thread_posts(thread: dict[str, Any]) -> list[Post]:
        snippet = thread["snippet"]
        video = snippet.get("videoId")
        own = publisher | publisher_set(snippet.get("channelId"))
        top = snippet["topLevelComment"]
        posts = []
        post = _comment(top, video=video, parent=None, publisher=own, **common)
        if post is not None:
            posts.append(post)
        replies = (thread.get("replies") or {}).get("comments") or []
        for reply in replies:
            item = _comment(reply, video=video, parent=top["id"], publisher=own, **common)
            if item is not None:
                posts.append(item)
        if snippet.get("totalReplyCount", 0) > len(replies):
            incomplete.append(top["id"])
        return posts

    posts = parse_items(data.get("items") or [], thread_posts, source=source, where=where)
    return posts, incomplete


def parse_replies(
    data: dict[str, Any],
    *,
    video: str | None,
    parent: str,
    source: str,
    key: bytes,
    fetched_at,
    publisher: frozenset[str] = frozenset(),
) -> Parsed:
    """Replies of one ``comments?parentId=`` response, linked to the thread's video."""

    def one(item: dict[str, Any]) -> Post | None:
        return _comment(
            item,
            video=video,
            parent=parent,
            source=source,
            key=key,
            fetched_at=fetched_at,
            publisher=publisher,
        )

    return parse_items(data.get("items") or [], one, source=source, where=f"replies of {parent}")


class YouTubeCommentsConfig(SourceConfig):
    """YouTube comment threads (with replies) of listed videos or a channel's recent uploads."""

    default_base_url: ClassVar[str] = "https://www.googleapis.com/youtube/v3"
    default_rate: ClassVar[float] = 5.0
    needs_token: ClassVar[bool] = True
    type: Literal["youtube_comments"]
    channel_id: str | None = None
    video_ids: list[str] = []
    max_videos: int = Field(10, ge=1, le=50)

    @model_validator(mode="after")
    def _one_target(self) -> YouTubeCommentsConfig:
        if bool(self.channel_id) == bool(self.video_ids):
            raise ValueError("give either channel_id or video_ids (one of them)")
        return self


# ``commentThreads?part=snippet,replies&order=time`` paged with ``pageToken``; threads with more
# replies than the five YouTube embeds are completed through ``comments?parentId=``. A video is read
# until threads older than its newest stored comment; its cursor entry moves only when the video is
# done. The key travels in the ``X-Goog-Api-Key`` header, never in a logged URL.
@register(YouTubeCommentsConfig)
class YouTubeCommentsSource:
    """Comments under some videos of YouTube."""

    def __init__(self, config: YouTubeCommentsConfig, *, http: PoliteSession, author_key: bytes):
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self.publisher = publisher_set(config.channel_id, *config.publisher_accounts)
        self._headers = {"X-Goog-Api-Key": config.token() or ""}
        http.set_rate(config.api_url, config.rate)

    def check(self) -> str:
        videos = self._videos()
        return f"{len(videos)} videos to read"

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        state: dict[str, str] = dict((cursor or {}).get("videos") or {})
        for video in self._videos():
            floor = since or (parse_time(state[video]) if video in state else None)
            newest = state.get(video)
            pending: Parsed | None = None
            for posts in self._video_pages(video, floor):
                if pending is not None:
                    yield Page(
                        unique(pending, source=self.name), {"videos": dict(state)}, pending.skipped
                    )
                pending = posts
                for post in posts:
                    stamp = post.created_at.isoformat()
                    newest = stamp if newest is None or stamp > newest else newest
            if newest:
                state[video] = newest
            last = pending if pending is not None else Parsed()
            yield Page(unique(last, source=self.name), {"videos": dict(state)}, last.skipped)

    def _video_pages(self, video: str, floor: datetime | None) -> Iterator[Parsed]:
        token = None
        for _ in range(self.config.max_pages or DEFAULT_MAX_PAGES):
            params = {
                "part": "snippet,replies",
                "videoId": video,
                "maxResults": 100,
                "order": "time",
                "textFormat": "plainText",
            }
            if token:
                params["pageToken"] = token
            data = self._get("commentThreads", params, video=video)
            if data is None:
                return
            posts, incomplete = parse_threads(
                data,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                where=f"the comment threads of video {video}",
                publisher=self.publisher,
            )
            for thread_id in incomplete:
                replies = self._replies(thread_id, video)
                posts.extend(replies)
                posts.skipped += replies.skipped
            yield posts
            token = data.get("nextPageToken")
            tops = [p.created_at for p in posts if p.parent_external_id == f"video:{video}"]
            if not token or (floor is not None and tops and min(tops) < floor):
                return

    def _replies(self, thread_id: str, video: str) -> Parsed:
        replies, token = Parsed(), None
        while True:
            params = {"part": "snippet", "parentId": thread_id, "maxResults": 100}
            params["textFormat"] = "plainText"
            if token:
                params["pageToken"] = token
            data = self._get("comments", params) or {}
            page = parse_replies(
                data,
                video=video,
                parent=thread_id,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                publisher=self.publisher,
            )
            replies.extend(page)
            replies.skipped += page.skipped
            token = data.get("nextPageToken")
            if not token:
                return replies

    def _videos(self) -> list[str]:
        if self.config.video_ids:
            return list(self.config.video_ids)
        channel = self._get("channels", {"part": "contentDetails", "id": self.config.channel_id})
        items = (channel or {}).get("items") or []
        if not items:
            raise FetchFailed(f"{self.name}: channel {self.config.channel_id} not found")
        uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        params = {
            "part": "contentDetails",
            "playlistId": uploads,
            "maxResults": self.config.max_videos,
        }
        listing = self._get("playlistItems", params) or {}
        return [i["contentDetails"]["videoId"] for i in listing.get("items", [])]

    def _get(self, endpoint: str, params: dict[str, Any], *, video: str | None = None):
        url = f"{self.config.api_url}/{endpoint}"
        response = self.http.get(
            url, params=params, headers=self._headers, throttled=quota_wait, expect_json=True
        )
        reason = _reason(response)
        if reason in ("keyInvalid", "keyExpired", "forbidden") or response.status == 401:
            raise TokenInvalid(
                f"{self.name}: YouTube refuses the key in ${self.config.token_env} ({reason})",
                source=self.name,
                url=url,
            )
        if reason in ("commentsDisabled", "videoNotFound") and video:
            log.warning("%s: video %s: %s; skipped", self.name, video, reason)
            return None
        if response.status >= 400:
            raise FetchFailed(f"{self.name}: YouTube {endpoint} HTTP {response.status} ({reason})")
        return response.json()
