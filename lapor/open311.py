"""Open311 GeoReport v2 as a second outbox target (``Forward.target == "open311"``)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from config.profile import Profile
from config.yaml_file import read_yaml
from lapor.client import (
    raise_for_answer,
    transport_error,
)
from lapor.compose import compose_content, compose_title
from lapor.exceptions import (
    AmbiguousOutcome,
    LaporConfigError,
    MappingMissing,
    ServerError,
    ValidationFailed,
)
from store.forward_claims import ForwardContext
from store.forward_status import StatusChange

CONFIG_FILE = "open311.yaml"


# Configured per region by ``<profile>/open311.yaml`` (no file: no Open311 target):
#
#     base_url: https://city.example/open311/v2     # the endpoint's root
#     jurisdiction_id: city.example                 # optional
#     address_string: Kota Kupang                   # or lat/long: where complaints are located
#     service_codes: {jalan_rusak: "042", ...}      # topic key -> service_code (default: the key)
#
# and the secret ``ADUAN_OPEN311_API_KEY``. ``POST /requests.json`` answers a list whose first
# element carries ``service_request_id`` (or a ``token`` when the city assigns ids later; the token
# is then stored as ``token:<value>``); errors are lists of ``{code, description}``.
@dataclass(frozen=True)
class Open311Config:
    base_url: str
    api_key: str | None = None
    jurisdiction_id: str | None = None
    address_string: str | None = None
    lat: float | None = None
    long: float | None = None
    service_codes: dict[str, str] = field(default_factory=dict)


def load_open311_config(profile_folder: Path | None) -> Open311Config | None:
    """The profile's open311.yaml (+ ADUAN_OPEN311_API_KEY), or None when there is no file."""
    if profile_folder is None or not (Path(profile_folder) / CONFIG_FILE).exists():
        return None
    path = Path(profile_folder) / CONFIG_FILE
    data = read_yaml(path, LaporConfigError) or {}
    if not isinstance(data, dict) or not data.get("base_url"):
        raise LaporConfigError(f"{path}: base_url is required")
    codes = {str(k): str(v) for k, v in (data.get("service_codes") or {}).items()}
    return Open311Config(
        base_url=str(data["base_url"]),
        api_key=os.environ.get("ADUAN_OPEN311_API_KEY") or None,
        jurisdiction_id=data.get("jurisdiction_id"),
        address_string=data.get("address_string"),
        lat=data.get("lat"),
        long=data.get("long"),
        service_codes=codes,
    )


def _errors(body: Any) -> dict[str, list[str]]:
    if isinstance(body, list):
        return {"_": [str(e.get("description", e)) for e in body if isinstance(e, dict)]}
    return {}


class Open311Client:
    """GeoReport v2: ``POST /requests.json`` and ``GET /requests/{id}.json``."""

    def __init__(self, config: Open311Config, timeout: float = 20.0) -> None:
        if not config.api_key:
            raise LaporConfigError("ADUAN_OPEN311_API_KEY must be set for the Open311 target")
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if getattr(self._local, "session", None) is None:
            self._local.session = requests.Session()
        return self._local.session

    def _call(self, method: str, path: str, *, side_effect: bool, **kw) -> Any:
        url = f"{self.base_url}/{path}"
        try:
            response = self._session().request(
                method, url, timeout=(min(self.timeout, 10.0), self.timeout), **kw
            )
        except requests.RequestException as exc:
            raise transport_error(exc, f"{method} {url}", side_effect=side_effect) from exc
        try:
            return raise_for_answer(response, side_effect=side_effect)
        except ValidationFailed as exc:
            errors = _errors(_safe_json(response))
            listed = "; ".join(errors.get("_", []))
            raise ValidationFailed(
                f"{method} {url}: rejected: {listed}",
                field_errors=errors,
                status_code=exc.status_code,
                response_text=exc.response_text,
            ) from None

    def create_request(self, payload: dict[str, Any]) -> str:
        """Submit a service request; returns its id (or ``token:<token>``)."""
        form = {**payload, "api_key": self.config.api_key}
        if self.config.jurisdiction_id:
            form["jurisdiction_id"] = self.config.jurisdiction_id
        body = self._call("POST", "requests.json", data=form, side_effect=True)
        first = body[0] if isinstance(body, list) and body else {}
        if first.get("service_request_id"):
            return str(first["service_request_id"])
        if first.get("token"):
            return f"token:{first['token']}"
        raise AmbiguousOutcome("POST requests.json: success answer without an id or token")

    def get_request(self, request_id: str) -> dict[str, Any]:
        body = self._call("GET", f"requests/{request_id}.json", side_effect=False)
        if not isinstance(body, list) or not body:
            raise ServerError(f"GET requests/{request_id}.json: empty answer")
        return body[0]


def _safe_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Open311Target:
    """The outbox target (compose + submit) and status source for an Open311 endpoint."""

    name = "open311"

    def __init__(self, client: Open311Client) -> None:
        self.client = client
        self.timeout = client.timeout

    def compose(self, context: ForwardContext, profile: Profile) -> dict[str, Any]:
        return compose_request(context.case, context.posts, profile, self.client.config)

    def submit(self, payload: dict[str, Any]) -> str:
        return self.client.create_request(payload)

    def status(self, request_id: str) -> tuple[StatusChange, bool, list[StatusChange]]:
        if request_id.startswith("token:"):
            current = StatusChange(status_name="accepted (awaiting id)")
            return current, False, []
        item = self.client.get_request(request_id)
        status = str(item.get("status") or "open")
        current = StatusChange(status_name=status, raw=item)
        return current, status == "closed", []


def compose_request(case: Any, posts: list[Any], profile: Profile, config: Open311Config) -> dict:
    """The form fields of ``POST /requests.json`` for ``case`` (redacted like LAPOR! content)."""
    topic = profile.topic(case.topic) if case.topic else None
    if topic is None:
        raise MappingMissing([f"case has topic {case.topic!r}, which is not in the profile"])
    if config.address_string is None and (config.lat is None or config.long is None):
        raise MappingMissing(["open311.yaml needs address_string or lat and long"])
    fields: dict[str, Any] = {
        "service_code": config.service_codes.get(topic.key, topic.key),
        "description": compose_title(topic.name, posts, profile.region)
        + "\n\n"
        + compose_content(case.id, posts),
    }
    if config.lat is not None and config.long is not None:
        fields.update(lat=config.lat, long=config.long)
    if config.address_string:
        fields["address_string"] = config.address_string
    return fields
