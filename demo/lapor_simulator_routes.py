"""The LAPOR! simulator served: its routes (LAPOR! v3 shapes, Open311 GeoReport v2, control), the
ASGI app and the server thread (``start_simulator``, ``run_simulator``). See lapor_simulator.py."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from config.profile import Profile
from demo.lapor_simulator import (
    BANNER,
    STATUS_CODES,
    SimulatorConfig,
    SimulatorState,
    pause,
    reference_lists,
    validate,
    validate_pass_on,
    wib,
)


def answer(body: dict[str, Any], status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"simulator": True, **body}, status_code=status, headers=headers)


def answer_list(body: list[Any], status: int = 200) -> JSONResponse:
    """Open311 answers are JSON arrays; the simulator label rides in each element."""
    return JSONResponse([{"simulator": True, **item} for item in body], status_code=status)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A tiny HTML page that says it is the simulator, not SP4N-LAPOR!."""
    html = (
        f'<!doctype html><html lang="id"><meta charset="utf-8"><title>{escape(title)} '
        "(SIMULATOR)</title><p><b>LAPOR! SIMULATOR</b>: bukan SP4N-LAPOR!, hanya untuk demo "
        f"dan uji.</p><h1>{escape(title)}</h1>{body}</html>"
    )
    return HTMLResponse(html, status_code=status)


def build_app(state: SimulatorState, profile: Profile) -> FastAPI:
    config = state.config
    app = FastAPI(title="LAPOR! SIMULATOR (not SP4N-LAPOR!)", description=BANNER)

    def auth_error(request: Request) -> JSONResponse | None:
        # What the public v3 clients send: `auth: Bearer <key>` and `token`. `Authorization`
        # may come too (ADUAN_LAPOR_AUTH_HEADER=both) but never replaces `auth`.
        bearer = request.headers.get("auth") or ""
        if bearer != f"Bearer {config.api_key}" or request.headers.get("token") != config.token:
            state.count("auth_rejected")
            missing = [h for h in ("auth", "token") if not request.headers.get(h)]
            detail = f": missing header {', '.join(missing)}" if missing else ""
            return answer(
                {"success": False, "message": f"Unauthenticated{detail} (SIMULATOR)"}, 401
            )
        return None

    def fault() -> JSONResponse | None:
        if not state.roll(config.fault_rate):
            return None
        if state.roll(0.5):
            state.count("fault_503")
            message = {"success": False, "message": "Service Unavailable (SIMULATOR fault)"}
            return answer(message, 503, {"Retry-After": str(config.retry_after_s)})
        state.count("fault_429")
        message = {"success": False, "message": "Too Many Requests (SIMULATOR fault)"}
        return answer(message, 429, {"Retry-After": str(config.retry_after_s)})

    @app.post("/complaints/complaint")
    async def create_complaint(request: Request) -> JSONResponse:
        if (refused := auth_error(request) or fault()) is not None:
            return refused
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        errors = validate(payload, state)
        if errors:
            state.count("validation_failed")
            return answer(
                {"success": False, "message": "The given data was invalid.", "errors": errors}, 422
            )
        complaint_id = state.add_complaint(payload)
        state.count("created")
        if state.roll(config.drop_after_commit):
            state.count("dropped_after_commit")
            request.state.drop_connection = True
        await pause(config)
        results = {"complaint_id": complaint_id, "tracking_id": f"SIM-{complaint_id}"}
        return answer(
            {"success": True, "message": "Laporan berhasil dibuat (SIMULATOR)", "results": results},
            201,
        )

    @app.post("/complaints/complaint/file")
    async def upload(request: Request) -> JSONResponse:
        if (refused := auth_error(request)) is not None:
            return refused
        form = await request.form()
        files = form.getlist("attachments[]")
        with state.lock:
            base = 9000 + state.counters.get("files", 0)
            state.counters["files"] = state.counters.get("files", 0) + len(files)
        docs = [
            {"id": base + i + 1, "name": getattr(f, "filename", "")} for i, f in enumerate(files)
        ]
        with state.lock:
            state.uploads.update(d["id"] for d in docs)
        return answer({"success": True, "results": {"docs": docs, "images": []}})

    def find(complaint_id: int) -> dict[str, Any] | None:
        with state.lock:
            return state.complaints.get(complaint_id)

    @app.get("/complaints/{complaint_id}/complaint")
    async def get_complaint(complaint_id: int, request: Request) -> JSONResponse:
        if (refused := auth_error(request) or fault()) is not None:
            return refused
        complaint = find(complaint_id)
        if complaint is None:
            return answer({"success": False, "message": "Not found (SIMULATOR)"}, 404)
        steps = state.statuses(complaint)
        name, _ = steps[-1]
        disposition = next(
            (
                i["name"]
                for i in state.institutions
                if str(i["id"]) == str(complaint["disposition_id"])
            ),
            None,
        )
        data = {
            "id": complaint_id,
            "title": complaint["title"],
            "status_code": STATUS_CODES[name],
            "status_name": name,
            "disposition_name": disposition,
        }
        logs = [
            {"status_code": STATUS_CODES[n], "status_name": n, "created_at": wib(at)}
            for n, at in steps
        ]
        return answer({"success": True, "results": {"data": data, "data_logs": logs}})

    @app.get("/pengaduan/{complaint_id}")
    async def public_page(complaint_id: str) -> HTMLResponse:
        """The public report page (lapor.go.id/pengaduan/{id}) in miniature, without auth: what a
        citizen who follows the link in a reply sees, marked SIMULATOR."""
        complaint = find(int(complaint_id)) if complaint_id.isdigit() else None
        if complaint is None:
            body = f"<p>Laporan {escape(complaint_id)} tidak ada di simulator ini.</p>"
            return _page("Laporan tidak ditemukan", body, 404)
        rows = "".join(
            f"<li>{escape(wib(at))}: {escape(n)}</li>" for n, at in state.statuses(complaint)
        )
        body = (
            f"<p>Nomor laporan: <b>{complaint_id}</b></p>"
            f"<p>Judul: {escape(str(complaint['title']))}</p><ul>{rows}</ul>"
        )
        return _page(f"Laporan {complaint_id}", body)

    @app.get("/complaints/{complaint_id}/followups")
    async def followups(complaint_id: int, request: Request) -> JSONResponse:
        if (refused := auth_error(request)) is not None:
            return refused
        complaint = find(complaint_id)
        if complaint is None:
            return answer({"success": False, "message": "Not found (SIMULATOR)"}, 404)
        data = [
            {"id": i, "content": f"Tindak lanjut simulasi: {name}", "created_at": wib(at)}
            for i, (name, at) in enumerate(state.statuses(complaint)[2:], start=1)
        ]
        with state.lock:
            data += state.followups.get(complaint_id, [])
        return paged(data, request)

    @app.post("/complaints/process/{complaint_id}/reject")
    async def pass_on(complaint_id: int, request: Request) -> JSONResponse:
        if (refused := auth_error(request) or fault()) is not None:
            return refused
        if find(complaint_id) is None:
            return answer({"success": False, "message": "Not found (SIMULATOR)"}, 404)
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        errors = validate_pass_on(payload, state)
        if errors:
            message = {"success": False, "message": "The given data was invalid.", "errors": errors}
            return answer(message, 422)
        with state.lock:
            complaint = state.complaints[complaint_id]
            complaint["disposition_id"] = int(payload["reason"])
            complaint.setdefault("passed_on", []).append(payload)
        state.count("passed_on")
        if state.roll(config.drop_after_commit):
            state.count("dropped_after_commit")
            request.state.drop_connection = True
        await pause(config)
        return answer({"success": True, "message": "Laporan dialihkan (SIMULATOR)"})

    def paged(rows: list[dict[str, Any]], request: Request) -> JSONResponse:
        """A Laravel LengthAwarePaginator: ``results`` = data + page links and counts."""
        wanted = request.query_params.get("page_size") or request.query_params.get("per_page")
        size = max(1, min(int(wanted or 10), config.max_page_size))
        page = max(1, int(request.query_params.get("page", 1)))
        last = max(1, -(-len(rows) // size))
        data = rows[(page - 1) * size : page * size]
        path = str(request.url.remove_query_params(["page"]))
        sep = "&" if "?" in path else "?"

        def link(number: int) -> str | None:
            return f"{path}{sep}page={number}" if 1 <= number <= last else None

        results = {
            "current_page": page,
            "data": data,
            "first_page_url": link(1),
            "from": (page - 1) * size + 1 if data else None,
            "last_page": last,
            "last_page_url": link(last),
            "next_page_url": link(page + 1),
            "path": str(request.url.remove_query_params(["page", "page_size", "per_page"])),
            "per_page": size,
            "prev_page_url": link(page - 1),
            "to": (page - 1) * size + len(data) if data else None,
            "total": len(rows),
        }
        return answer({"success": True, "results": results})

    @app.get("/masters/institutions/external")
    async def institutions(request: Request) -> JSONResponse:
        return auth_error(request) or paged(state.institutions, request)

    @app.get("/masters/categories")
    async def categories(request: Request) -> JSONResponse:
        return auth_error(request) or paged(state.categories, request)

    @app.get("/masters/locations")
    async def locations(request: Request) -> JSONResponse:
        return auth_error(request) or paged(state.locations, request)

    # --- Open311 GeoReport v2 ---------------------------------------------------------------

    @app.get("/open311/services.json")
    async def services() -> JSONResponse:
        return answer_list(
            [
                {
                    "service_code": t.key,
                    "service_name": t.name,
                    "type": "realtime",
                    "metadata": False,
                }
                for t in profile.topics
            ]
        )

    @app.post("/open311/requests.json")
    async def post_request(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("api_key") != config.open311_api_key:
            return answer_list([{"code": 403, "description": "Invalid api_key (SIMULATOR)"}], 403)
        if (refused := fault()) is not None:
            return refused
        problems = []
        if form.get("service_code") not in {t.key for t in profile.topics}:
            problems.append("service_code is not a known service")
        if not form.get("description"):
            problems.append("description is required")
        if not (form.get("address_string") or (form.get("lat") and form.get("long"))):
            problems.append("a location (lat & long, or address_string) is required")
        if problems:
            return answer_list([{"code": 400, "description": p} for p in problems], 400)
        with state.lock:
            request_id = f"SIM311-{len(state.requests_311) + 1}"
            state.requests_311[request_id] = {**dict(form), "created": state.now()}
        if state.roll(config.drop_after_commit):
            request.state.drop_connection = True
        await pause(config)
        return answer_list([{"service_request_id": request_id, "service_notice": BANNER}], 201)

    @app.get("/open311/requests/{request_id}.json")
    async def get_request(request_id: str) -> JSONResponse:
        with state.lock:
            item = state.requests_311.get(request_id)
        if item is None:
            return answer_list([{"code": 404, "description": "not found (SIMULATOR)"}], 404)
        closed = state.now() - item["created"] >= 3 * config.step_s
        when = datetime.fromtimestamp(item["created"], UTC).isoformat()
        return answer_list(
            [
                {
                    "service_request_id": request_id,
                    "status": "closed" if closed else "open",
                    "service_code": item.get("service_code"),
                    "requested_datetime": when,
                }
            ]
        )

    # --- control ----------------------------------------------------------------------------

    @app.get("/_simulator/complaints")
    async def all_complaints() -> JSONResponse:
        with state.lock:
            rows = [
                {k: v for k, v in c.items() if k in ("id", "title", "content", "disposition_id")}
                for c in state.complaints.values()
            ]
        return answer({"complaints": rows, "counters": dict(state.counters)})

    @app.post("/_simulator/advance")
    async def advance(seconds: float) -> JSONResponse:
        with state.lock:
            state.offset_s += seconds
        return answer({"offset_s": state.offset_s})

    return app


class SimulatorFrame:
    """ASGI wrapper: labels every answer as the simulator, and drops connections on request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})

        async def framed(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-simulator", BANNER.encode())]
            if scope["state"].get("drop_connection"):
                # headers go out, the body never does: the client sees a broken connection
                if message["type"] == "http.response.start":
                    await send(message)
                return
            await send(message)

        await self.app(scope, receive, framed)


def create_app(config: SimulatorConfig, profile: Profile) -> tuple[Any, SimulatorState]:
    """The simulator's ASGI app and its state (for tests to inspect)."""
    lists = reference_lists(profile, config.extra_institutions, config.locations_file)
    state = SimulatorState(config=config, **lists)
    return SimulatorFrame(build_app(state, profile)), state


class RunningSimulator:
    """The simulator served by uvicorn in a background thread on 127.0.0.1 (a free port)."""

    def __init__(
        self, config: SimulatorConfig, profile: Profile, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        import uvicorn

        self.app, self.state = create_app(config, profile)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        uv_config = uvicorn.Config(
            self.app,
            log_level="critical",
            access_log=False,
            lifespan="off",
            http="h11",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the LAPOR! endpoints (use as ADUAN_LAPOR_BASE_URL)."""
        return f"http://{self.host}:{self.port}"

    @property
    def open311_url(self) -> str:
        return f"{self.url}/open311"

    def start(self) -> RunningSimulator:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the LAPOR! simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(profile: Profile | None = None, **config: Any) -> RunningSimulator:
    """Start a simulator in a background thread (tests, demo); stop it with ``.stop()``."""
    from config.profile import get_profile

    return RunningSimulator(SimulatorConfig(**config), profile or get_profile()).start()


def run_simulator(
    port: int = 8800,
    fault_rate: float = 0.0,
    latency_ms: float = 0.0,
    drop_after_commit: float = 0.0,
    *,
    host: str = "127.0.0.1",
    step_s: float = 60.0,
    profile: Profile | None = None,
    api_key: str = "simulator-key",
    token: str = "simulator-token",
    seed: int | None = None,
    retry_after_s: float = 1.0,
    log_level: str = "warning",
    locations_file: str | None = None,
) -> None:
    """Serve the simulator in the foreground until interrupted (``aduan lapor simulator``)."""
    import uvicorn

    from config.profile import get_profile

    config = SimulatorConfig(
        api_key=api_key,
        token=token,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        drop_after_commit=drop_after_commit,
        step_s=step_s,
        seed=seed,
        retry_after_s=retry_after_s,
        locations_file=locations_file,
    )
    app, _ = create_app(config, profile or get_profile())
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="off", http="h11")
