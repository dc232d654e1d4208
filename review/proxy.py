"""Who is asking and over what: the client address and scheme, believing proxy headers only from
the reverse proxies listed in ``ADUAN_TRUSTED_PROXIES``."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import Request

Networks = list[IPv4Network | IPv6Network]


def _trusted(address: str, networks: Networks) -> bool:
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in net for net in networks if net.version == parsed.version)


def _networks(request: Request) -> Networks:
    cached = getattr(request.app.state, "trusted_proxies", None)
    if cached is None:
        cached = request.app.state.settings.trusted_proxy_networks()
        request.app.state.trusted_proxies = cached
    return cached


# Without trusted proxies every request is taken at its TCP peer's word (X-Forwarded-* ignored: any
# client can send them). Behind one, ``X-Forwarded-For`` is read from the right, skipping trusted
# hops, so the first untrusted address is the client (what a client writes further left is never
# believed); ``X-Forwarded-Proto`` of the nearest hop says whether the browser used HTTPS.
def client_address(request: Request) -> str:
    """The client's address: the TCP peer, or from X-Forwarded-For when the peer is trusted."""
    peer = request.client.host if request.client else "?"
    networks = _networks(request)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:100]
    return hops[0][:100] if hops else peer


def is_https(request: Request) -> bool:
    """True when the browser talks HTTPS: directly, by setting, or per a trusted proxy."""
    if request.url.scheme == "https" or request.app.state.settings.cookie_secure:
        return True
    peer = request.client.host if request.client else "?"
    networks = _networks(request)
    if not networks or not _trusted(peer, networks):
        return False
    proto = request.headers.get("x-forwarded-proto", "")
    return proto.split(",")[-1].strip().lower() == "https"
