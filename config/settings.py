"""The settings object: environment variables ADUAN_*, read by load_settings() once per command
(or flow run) and passed down; never at import, never cached."""

from __future__ import annotations

import secrets
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.exceptions import ConfigError

# The folder holding the packages and profiles/: the checkout, or site-packages under a wheel.
REPO_ROOT = Path(__file__).resolve().parents[1]
# The public report page (lapor/README.md, Replies: lapor.go.id/pengaduan/{TrackingID}).
LAPOR_PUBLIC_URL = "https://www.lapor.go.id/pengaduan/{nomor}"


class Settings(BaseSettings):
    """Aduan's configuration. Secrets are ``SecretStr`` so they never print or log by accident."""

    model_config = SettingsConfigDict(env_prefix="ADUAN_", extra="ignore")

    home: Path = Field(Path("var"), description="Data folder (SQLite file, secrets, logs).")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in home.")
    profile: Path = Field(REPO_ROOT / "profiles" / "kupang", description="Region profile folder.")
    models_dir: Path = Field(
        default_factory=lambda data: Path(data.get("home", "var")) / "models",
        description="Model registry folder; default <home>/models.",
    )
    log_level: str = "WARNING"

    author_secret: SecretStr | None = Field(
        None, description="Key of the HMAC that pseudonymises authors; generated in home if unset."
    )
    session_secret: SecretStr | None = Field(
        None, description="Key that signs review-app cookies; generated in home if unset."
    )

    lapor_base_url: str = "https://api-splp.layanan.go.id/lapor/3.0.0"
    lapor_api_key: SecretStr | None = None
    lapor_token: SecretStr | None = None
    # `auth` (what the public v3 clients send), `Authorization`, or `both`; see lapor/README.md
    lapor_auth_header: str = "auth"
    lapor_timeout_s: float = 20.0
    lapor_public_url: str = Field(
        LAPOR_PUBLIC_URL,
        description="A complaint's public page on LAPOR! ({nomor}: its number); the review app's "
        "links and the replies to citizens use it. `aduan demo` points it at the simulator.",
    )

    dask_address: str | None = None

    trusted_proxies: str = Field(
        "",
        description="Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For and "
        "X-Forwarded-Proto headers the review app believes; empty: none.",
    )
    cookie_secure: bool = Field(
        False, description="Always mark the review app's cookies Secure (served over HTTPS)."
    )

    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        """``trusted_proxies`` parsed; ConfigError naming ADUAN_TRUSTED_PROXIES if one is bad."""
        networks = []
        for item in (part.strip() for part in self.trusted_proxies.split(",")):
            if not item:
                continue
            try:
                networks.append(ip_network(item, strict=False))
            except ValueError:
                raise ConfigError(
                    f"ADUAN_TRUSTED_PROXIES: {item!r} is not an IP address or network "
                    "(e.g. 127.0.0.1,10.0.0.0/8)"
                ) from None
        return networks

    @field_validator("lapor_public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or "{nomor}" not in value:
            raise ValueError("must be an http(s) URL with {nomor} where the number goes")
        return value

    def lapor_public_link(self, nomor: str) -> str:
        """The public LAPOR! page of complaint ``nomor``."""
        return self.lapor_public_url.replace("{nomor}", nomor)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to ``<home>/aduan.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'aduan.sqlite3').resolve()}"

    def home_secret(self, name: str) -> str:
        """A random secret kept in ``<home>/secrets/<name>``, created on first use (mode 0600)."""
        path = self.home / "secrets" / name
        if path.exists():
            value = path.read_text(encoding="utf-8", errors="replace").strip()
            if not value:
                raise ConfigError(
                    f"{path} is empty: not a usable key; delete the file (a new key is made) "
                    "or write the old key back"
                )
            return value
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        path.touch(mode=0o600)
        path.write_text(value)
        return value

    def author_key(self) -> bytes:
        """The HMAC key for ``Post.author_ref``."""
        if self.author_secret is not None:
            return _not_empty(self.author_secret, "ADUAN_AUTHOR_SECRET").encode()
        return self.home_secret("author_key").encode()

    def cookie_key(self) -> str:
        """The key that signs the review app's session cookies."""
        if self.session_secret is not None:
            return _not_empty(self.session_secret, "ADUAN_SESSION_SECRET")
        return self.home_secret("session_key")


def _not_empty(secret: SecretStr, variable: str) -> str:
    value = secret.get_secret_value()
    if not value.strip():
        raise ConfigError(f"{variable} is empty: not a usable key; unset it or give a real key")
    return value


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment, ``overrides`` (e.g. ``profile=``, ``home=``) over it;
    an invalid value is one ConfigError naming its ADUAN_* variable. Reads anew on every call."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ADUAN_" + str(first["loc"][0]).upper()
        raise ConfigError(f"{name} is not valid: {first['msg']}") from None
