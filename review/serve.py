"""Serving the review app with uvicorn: the port check before it starts, and the server itself."""

from __future__ import annotations

import errno
import socket

import uvicorn


def run_server(host: str, port: int, workers: int) -> None:
    """Serve the review app until Ctrl+C (one app per worker process, built by its factory)."""
    uvicorn.run(
        "review.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )


def port_problem(host: str, port: int) -> str | None:
    """Why the app cannot listen on ``host:port`` (one line naming the option), or None."""

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror}; change it with --host"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use; choose another with --port"
            return f"cannot listen on {host}:{port}: {exc.strerror}; change --host or --port"
    return None
