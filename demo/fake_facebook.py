"""A FAKE Facebook Graph API on 127.0.0.1 for the demo, tests and benchmarks. It is not Facebook.

It serves one Page from a JSON file shaped like ``profiles/kupang/demo/facebook_page.json``
(``{"page": {...}, "posts": [{..., "comments": [{..., "comments": [...]}]}]}``) in the Graph shape:
``/{version}/{page-id}/feed`` and ``/{version}/{object-id}/comments`` (``filter=stream`` flattens
nested replies and adds ``parent``), ``fields``, ``limit``, ``since``/``until``,
``paging.next`` in the three shapes Graph uses (``paging_style``: ``"cursor"`` = ``paging.cursors``
+ ``next`` with ``after``; ``"time"`` = ``next``/``previous`` with ``until``/``since`` and
``__paging_token``, no cursors; ``"offset"`` = ``next`` with ``offset``), an ``X-App-Usage``
header, Graph error JSON for codes 4/17/32/613 (throttled) and 190 (token), and comments without
ids or ``from`` (a token without the MODERATE task: ``withhold_comment_ids``), which still carry
``permalink_url`` with ``comment_id``/``reply_comment_id`` unless ``withhold_permalinks``.
Switches: ``throttle()``, ``expire_token()``, ``usage()``, ``delay``; ``synthetic_page(n)`` makes a
page of n posts + comments for the benchmark. Ids, times and cursors are its own (Graph's shapes:
``{page-id}_{post-id}``, ``{post-id}_{comment-id}``, ``2026-01-01T08:00:00+0000``), not the
harvester's, so the harvester's parsing is checked against them rather than mirrored.

Run it alone: ``python -m demo.fake_facebook [--data FILE | --synthetic N] [--port P]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.fake_replies import ReplyFaults
from demo.fake_server import FakeRequest, FakeResponse, FakeServer, json_response

FAKE_NOTE = "Aduan fake Graph API: not Facebook"
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
DEFAULT_FIELDS = {"feed": "id,message,created_time", "comments": "id,message,created_time,from"}
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"  # Graph's created_time: 2026-01-01T08:00:00+0000


def graph_error(code: int, message: str, *, subcode: int | None = None, status: int = 400):
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "FAKE-TRACE",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if code in THROTTLE_MESSAGES:
        error["is_transient"] = True
    return json_response({"error": error, "_fake": FAKE_NOTE}, status)


def _field_specs(spec: str) -> dict[str, str]:
    """Top-level fields of a Graph ``fields`` list with their full text.

    ``from,comments.limit(5){a,b}`` -> ``{"from": "from", "comments": "comments.limit(5){a,b}"}``
    """
    parts, depth, current = {}, 0, ""
    for char in spec + ",":
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            current = current.strip()
            if current:
                parts[re.split(r"[.{]", current, maxsplit=1)[0]] = current
            current = ""
        else:
            current += char
    return parts


def _fields(spec: str) -> set[str]:
    """Top-level names of a Graph ``fields`` list (``parent{id},from`` -> {parent, from})."""
    return set(_field_specs(spec))


def _epoch(value: str | None) -> float | None:
    """A Graph time (``created_time``, or ``since``/``until`` as epoch seconds or ISO 8601)."""
    if not value:
        return None
    if value.lstrip("-").isdigit():
        return float(value)
    return datetime.strptime(value, GRAPH_TIME).timestamp()


def _graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(GRAPH_TIME)


def _own_part(graph_id: str) -> str:
    """The object's own part of a Graph id: ``{page-id}_{post-id}`` -> ``{post-id}``."""
    return graph_id.split("_", 1)[1] if "_" in graph_id else graph_id


class FakeGraphAPI(FakeServer):
    """The fake Graph API serving one Page (see the module docstring)."""

    name = "fake-graph-api"

    def __init__(self, data: dict[str, Any], *, version: str = "v21.0", **kw: Any) -> None:
        super().__init__(**kw)
        self.version = version
        self.page = data["page"]
        self.withhold_comment_ids = False
        self.withhold_permalinks = False
        self.paging_style = "cursor"
        self.page_url = f"https://www.facebook.com/{self.page['id']}"
        self.token_expired = False
        # What was served with text: Graph's ids, and (by private key) the comments Graph has
        # no id for at all (a harvester must derive one for each of these).
        self.served: set[str] = set()
        self.served_without_id: set[str] = set()
        self._served_lock = threading.Lock()
        self._usage: list[int] = []
        self._throttles: list[int] = []
        # Replies (POST /{comment-id}/comments): the Page token's permissions, what was posted
        # (duplicates included), deleted comments, and faults of the reply requests.
        self.permissions = {"pages_read_engagement", "pages_manage_engagement"}
        self.permissions |= {"pages_read_user_content", "pages_show_list"}
        self.posted: list[dict[str, Any]] = []
        self.deleted: set[str] = set()
        self.reply_faults = ReplyFaults()
        self._reply_seq = 0
        self._posts = sorted(data["posts"], key=lambda p: _epoch(p["created_time"]), reverse=True)
        self._times = {p["id"]: _epoch(p["created_time"]) for p in self._posts}
        self._children: dict[str, list[dict[str, Any]]] = {}
        self._name_unnamed(self._posts)
        self._stream: dict[str, list[dict[str, Any]]] = {}
        for post in self._posts:
            self._children[post["id"]] = post.get("comments", [])
            flat: list[dict[str, Any]] = []
            self._flatten(post["id"], post.get("comments", []), flat, top=True)
            self._stream[post["id"]] = sorted(flat, key=lambda c: _epoch(c["created_time"]))

    @classmethod
    def from_file(cls, path: Path | str, **kw: Any) -> FakeGraphAPI:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **kw)

    @property
    def api_url(self) -> str:
        """What a facebook_page source's ``base_url`` should be."""
        return f"{self.url}/{self.version}"

    def source_entry(self, name: str = "demo-facebook", token_env: str = "ADUAN_FB_TOKEN"):
        """A ``sources.yaml`` entry that points a facebook_page source at this fake (any token
        value is accepted, but the variable must be set)."""
        return {
            "name": name,
            "type": "facebook_page",
            "page_id": self.page["id"],
            "base_url": self.api_url,
            "token_env": token_env,
            "requests_per_second": 0,
        }

    @property
    def item_count(self) -> int:
        return len(self._posts) + sum(len(c) for c in self._stream.values())

    # fault switches -----------------------------------------------------------------------
    def throttle(self, times: int = 1, code: int = 4) -> None:
        """The next ``times`` requests answer Graph error ``code`` (4, 17, 32 or 613)."""
        self._throttles.extend([code] * times)

    def usage(self, percent: int, times: int = 1) -> None:
        """The next ``times`` responses report ``percent`` in ``X-App-Usage``."""
        self._usage.extend([percent] * times)

    def expire_token(self) -> None:
        """Every request from now on answers error 190 (session expired)."""
        self.token_expired = True

    # serving ------------------------------------------------------------------------------
    def _name_unnamed(self, items: list[dict[str, Any]], seq: list[int] | None = None) -> None:
        """A private key (never served) for each comment of the file without an id."""
        seq = seq if seq is not None else [0]
        for item in items:
            if not item.get("id"):
                seq[0] += 1
                item["_key"] = f"without-id-{seq[0]}"
            self._name_unnamed(item.get("comments", []), seq)

    def _flatten(self, parent: str, comments: list, out: list, *, top: bool) -> None:
        for comment in comments:
            item = {k: v for k, v in comment.items() if k != "comments"}
            if not top and parent:
                item["parent"] = {"id": parent}
            item["_permalink"] = self._permalink(item, None if top else parent)
            out.append(item)
            if comment.get("id"):
                self._children.setdefault(comment["id"], comment.get("comments", []))
            self._flatten(comment["id"], comment.get("comments", []), out, top=False)

    def _permalink(self, item: dict[str, Any], parent: str | None) -> str | None:
        """The link facebook.com gives a comment: ``?comment_id=`` (itself), or for a reply
        ``?comment_id=<answered>&reply_comment_id=<itself>`` (ids without the post prefix)."""
        own = item.get("id")
        if not own or "_" not in own:
            return None
        post_object, comment = own.split("_", 1)
        base = f"{self.page_url}/posts/{post_object}"
        if parent is None:
            return f"{base}?comment_id={comment}"
        return f"{base}?comment_id={_own_part(parent)}&reply_comment_id={comment}"

    def handle(self, request: FakeRequest) -> FakeResponse:
        parts = [p for p in request.path.split("/") if p]
        if not parts or parts[0] != self.version:
            return graph_error(2500, f"Unknown path components: {request.path}")
        auth = request.headers.get("Authorization", "")
        if not (request.query.get("access_token") or auth.startswith(("Bearer ", "OAuth "))):
            return graph_error(104, "An access token is required to request this resource.")
        if self.token_expired:
            return graph_error(
                190, "Error validating access token: Session has expired (fake).", subcode=463
            )
        if self._throttles:
            code = self._throttles.pop(0)
            return graph_error(code, THROTTLE_MESSAGES[code], status=403)
        headers = {}
        percent = self._usage.pop(0) if self._usage else 3
        headers["X-App-Usage"] = json.dumps(
            {"call_count": percent, "total_cputime": 1, "total_time": 1}
        )
        rest = parts[1:]
        if request.method == "POST" or rest == ["me", "permissions"]:
            return self._replies(rest, request, headers)
        if rest == [self.page["id"]]:
            wanted = _fields(request.query.get("fields", "id,name"))
            return json_response({k: v for k, v in self.page.items() if k in wanted | {"id"}})
        if len(rest) == 2 and rest[0] == self.page["id"] and rest[1] in ("feed", "posts"):
            return self._feed(request, headers)
        if len(rest) == 2 and rest[1] == "comments" and rest[0] in self._children:
            return self._comments(rest[0], request, headers)
        return graph_error(
            100,
            f"Unsupported get request. Object with ID '{'/'.join(rest)}' does not exist (fake).",
        )

    def _replies(self, rest: list[str], request: FakeRequest, usage: dict) -> FakeResponse:
        """``GET /me/permissions`` and ``POST /{comment-id}/comments`` (a Page's reply)."""
        if rest == ["me", "permissions"]:
            data = [{"permission": p, "status": "granted"} for p in sorted(self.permissions)]
            return json_response({"data": data})
        if len(rest) != 2 or rest[1] != "comments":
            return graph_error(100, "Unsupported post request (fake).")
        target = rest[0]
        comments = {c.get("id"): c for stream in self._stream.values() for c in stream}
        if target not in comments or target in self.deleted:
            return graph_error(
                100,
                f"Unsupported post request. Object with ID '{target}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation (fake).",
                subcode=33,
            )
        if "pages_manage_engagement" not in self.permissions:
            return graph_error(200, "(#200) Permissions error", status=403)
        message = str(request.form.get("message") or "").strip()
        if not message:
            return graph_error(100, "(#100) Missing message or attachment")
        fault = self.reply_faults.draw()
        early = self.reply_faults.before(fault, {"error": {"message": "fake", "code": 2}})
        if early is not None:
            return early
        answer = json_response({"id": self._add_reply(target, message)}, headers=usage)
        return self.reply_faults.after(fault, answer)

    def _add_reply(self, target: str, message: str) -> str:
        """Store the Page's reply under ``target`` where the thread readers will see it."""
        with self._served_lock:
            self._reply_seq += 1
            reply_id = f"{target.split('_')[0]}_{3_000_000_000_000_000 + self._reply_seq}"
            created = _graph_time(datetime.now(UTC))
            reply = {
                "id": reply_id,
                "message": message,
                "created_time": created,
                "from": {"id": self.page["id"], "name": self.page.get("name", "")},
            }
            self._children.setdefault(target, []).append(reply)
            for stream in self._stream.values():
                if any(c.get("id") == target for c in stream):
                    stream.append({**reply, "parent": {"id": target}})
            self.posted.append({"parent_id": target, **reply})
        return reply_id

    def replies_to(self, comment_id: str) -> list[dict[str, Any]]:
        """What was posted under ``comment_id`` (more than one for the same text: a duplicate)."""
        return [p for p in self.posted if p["parent_id"] == comment_id]

    def delete(self, comment_id: str) -> None:
        """The citizen deleted the comment: replies to it fail like on Graph."""
        self.deleted.add(comment_id)

    def _feed(self, request: FakeRequest, headers: dict[str, str]) -> FakeResponse:
        since, until = _epoch(request.query.get("since")), _epoch(request.query.get("until"))
        if request.query.get("__paging_token"):
            until = None  # the token holds the position; until only repeats it (time paging)
        items = [
            p
            for p in self._posts
            if (since is None or self._times[p["id"]] >= since)
            and (until is None or self._times[p["id"]] <= until)
        ]
        wanted = _fields(request.query.get("fields", DEFAULT_FIELDS["feed"]))
        return self._page_of(items, request, headers, wanted, is_comment=False)

    def _comments(self, object_id: str, request: FakeRequest, headers: dict[str, str]):
        if request.query.get("filter") == "stream" and object_id in self._stream:
            items = self._stream[object_id]
        else:
            items = [
                {k: v for k, v in c.items() if k != "comments"}
                for c in self._children.get(object_id, [])
            ]
        if request.query.get("order") == "reverse_chronological":
            items = items[::-1]
        wanted = _fields(request.query.get("fields", DEFAULT_FIELDS["comments"]))
        return self._page_of(items, request, headers, wanted, is_comment=True)

    def _page_of(
        self,
        items: list[dict[str, Any]],
        request: FakeRequest,
        headers: dict[str, str],
        wanted: set[str],
        *,
        is_comment: bool,
    ) -> FakeResponse:
        limit = max(1, min(100, int(request.query.get("limit", "25"))))
        start = self._start(request.query)
        chunk = items[start : start + limit]
        data = [self._shape(item, wanted, is_comment) for item in chunk]
        self._record(chunk)
        nested = _field_specs(request.query.get("fields", "")).get("comments")
        if nested and not is_comment:
            for item in data:
                comments = self._nested_comments(item["id"], nested)
                if comments:
                    item["comments"] = comments
        body: dict[str, Any] = {"data": data, "_fake": FAKE_NOTE}
        if chunk:
            more = start + limit < len(items)
            body["paging"] = self._paging(request, start, limit, chunk, more=more)
        return json_response(body, headers=headers)

    def _start(self, query: dict[str, str]) -> int:
        if self.paging_style == "time" and query.get("__paging_token"):
            return _decode_cursor(query["__paging_token"].removeprefix("enc_"))
        if self.paging_style == "offset":
            return int(query.get("offset", "0") or 0)
        return _decode_cursor(query.get("after"))

    def _paging(
        self, request: FakeRequest, start: int, limit: int, chunk: list, *, more: bool
    ) -> dict[str, Any]:
        """``paging`` of one page in ``paging_style`` (the token never leaks into it)."""
        query = {k: v for k, v in request.query.items() if k != "access_token"}
        url = f"{self.url}{request.path}?"
        if self.paging_style == "cursor":
            paging: dict[str, Any] = {
                "cursors": {"before": _encode_cursor(start), "after": _encode_cursor(start + limit)}
            }
            if more:
                paging["next"] = url + _query(dict(query, after=_encode_cursor(start + limit)))
            return paging
        if self.paging_style == "offset":
            paging = {}
            if more:
                paging["next"] = url + _query(dict(query, offset=start + limit))
            return paging
        # time-based: next goes back in time from the oldest item of this page
        oldest = int(_epoch(chunk[-1].get("created_time")) or 0)
        newest = int(_epoch(chunk[0].get("created_time")) or 0)
        previous = dict(query, since=newest, __paging_token=f"enc_{_encode_cursor(start)}")
        previous["__previous"] = 1
        paging = {"previous": url + _query(previous)}
        if more:
            token = f"enc_{_encode_cursor(start + limit)}"
            paging["next"] = url + _query(dict(query, until=oldest, __paging_token=token))
        return paging

    def _nested_comments(self, post_id: str, spec: str) -> dict[str, Any] | None:
        """Field expansion ``comments.filter(stream).limit(N){fields}`` inside a feed item."""
        stream = ".filter(stream)" in spec
        limit = int(m.group(1)) if (m := re.search(r"\.limit\((\d+)\)", spec)) else 25
        inner = spec[spec.index("{") + 1 : spec.rindex("}")] if "{" in spec else ""
        wanted = _fields(inner or DEFAULT_FIELDS["comments"])
        items = self._stream[post_id] if stream else self._children.get(post_id, [])
        chunk = items[:limit]
        if not chunk:
            return None
        data = [self._shape(item, wanted, True) for item in chunk]
        self._record(chunk)
        query: dict[str, Any] = {"fields": inner, "limit": limit}
        if stream:
            query["filter"] = "stream"
        request = FakeRequest("GET", f"/{self.version}/{post_id}/comments", query, {})
        paging = self._paging(request, 0, limit, chunk, more=limit < len(items))
        return {"data": data, "paging": paging}

    def _shape(self, item: dict[str, Any], wanted: set[str], is_comment: bool) -> dict[str, Any]:
        out = {
            k: v
            for k, v in item.items()
            if (k in wanted or k == "id") and k != "comments" and not k.startswith("_")
        }
        if is_comment and "permalink_url" in wanted and item.get("_permalink"):
            out.setdefault("permalink_url", item["_permalink"])
        if out.get("id") is None:
            out.pop("id", None)  # the file says the id was withheld: Graph then omits the key
        if is_comment and self.withhold_comment_ids:
            out.pop("id", None)
            out.pop("from", None)
            out.pop("parent", None)
            if self.withhold_permalinks:
                out.pop("permalink_url", None)
        return out

    def _record(self, items: Iterable[dict[str, Any]]) -> None:
        """Remember what was served with text: by Graph's id, withheld or not (else by key)."""
        named, unnamed = set(), set()
        for item in items:
            if (item.get("message") or "").strip():
                if item.get("id"):
                    named.add(item["id"])
                else:
                    unnamed.add(item["_key"])
        with self._served_lock:
            self.served.update(named)
            self.served_without_id.update(unnamed)


def _query(params: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"fake:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(value: str | None) -> int:
    if not value:
        return 0
    padded = value + "=" * (-len(value) % 4)
    try:
        return int(base64.urlsafe_b64decode(padded).decode().split(":")[1])
    except (ValueError, IndexError):
        return 0


_OPENERS = [
    "Selamat pagi warga Kota Kupang! Info layanan hari ini nomor {i}.",
    "Pengumuman: jadwal distribusi air bersih wilayah {i} minggu ini.",
    "Kegiatan kerja bakti bersama di Kelurahan nomor {i}, mari ikut serta.",
]
_COMMENTS = [
    "Lampu jalan di RT {i} su mati dua minggu, mohon diperbaiki.",
    "Air sonde jalan dari kemarin di blok {i}, tolong Perumda cek.",
    "Sampah di pinggir jalan nomor {i} belum diangkut seminggu.",
    "Terima kasih infonya min, semoga lancar ({i}).",
    "Jalan berlubang dekat sekolah {i}, bahaya untuk anak-anak.",
]


def synthetic_page(n_items: int, *, comments_per_post: int = 9, page_id: str = "104620009999999"):
    """A fake Page with ``n_items`` posts + comments in total (every 4th comment is a reply)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts: list[dict[str, Any]] = []
    made = 0
    i = 0
    while made < n_items:
        post_time = start + timedelta(minutes=10 * i)
        post_id = f"{page_id}_{900000000000000 + i}"
        post = {
            "id": post_id,
            "message": _OPENERS[i % len(_OPENERS)].format(i=i),
            "created_time": _graph_time(post_time),
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/{900000000000000 + i}",
            "from": {"id": page_id, "name": "Halaman Contoh (fake)"},
            "comments": [],
        }
        made += 1
        for j in range(min(comments_per_post, n_items - made)):
            comment = {
                "id": f"{900000000000000 + i}_{1000000000000000 + i * 100 + j}",
                "message": _COMMENTS[(i + j) % len(_COMMENTS)].format(i=i * 100 + j),
                "created_time": _graph_time(post_time + timedelta(seconds=30 * (j + 1))),
                "from": {"id": f"5000{(i * 7 + j) % 5000:07d}", "name": "Warga (fake)"},
            }
            if j % 4 == 3 and post["comments"]:
                post["comments"][-1].setdefault("comments", []).append(comment)
            else:
                post["comments"].append(comment)
            made += 1
        posts.append(post)
        i += 1
    return {"page": {"id": page_id, "name": "Halaman Contoh (fake)"}, "posts": posts}


def main(argv: list[str] | None = None) -> None:
    """Serve a fake Page until interrupted; prints the API URL on the first line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--data", type=Path, help="Page JSON file")
    group.add_argument("--synthetic", type=int, help="Number of posts+comments to generate")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="Seconds added to each response")
    args = parser.parse_args(argv)
    data = (
        json.loads(args.data.read_text(encoding="utf-8"))
        if args.data
        else synthetic_page(args.synthetic)
    )
    fake = FakeGraphAPI(data, port=args.port).start()
    fake.delay = args.delay
    print(f"{fake.api_url} page_id={fake.page['id']} items={fake.item_count}", flush=True)  # noqa: T201
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
