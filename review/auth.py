"""Passwords (scrypt), signed session cookies, CSRF tokens and login throttling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "aduan_session"
FLASH_COOKIE = "aduan_flash"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """``scrypt$n$r$p$salt$hash`` with a random 16-byte salt (memory-hard: 16 MiB at n=2**14)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 2**20, dklen=32
    )
    parts = ["scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P)]
    parts += [base64.b64encode(salt).decode(), base64.b64encode(digest).decode()]
    return "$".join(parts)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 2**20,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = None


def burn_password_check(password: str) -> None:
    """Spend the time of a real check so unknown user names do not answer faster."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-password")
    verify_password(password, _DUMMY_HASH)


def hash_fingerprint(password_hash: str) -> str:
    """A short tag of the stored hash: sessions carry it, so a password change ends them."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@dataclass
class SessionData:
    user_id: int | None
    csrf: str
    fingerprint: str = ""
    generation: int = 0  # the account's session_generation when it was made (store.users)

    def to_dict(self) -> dict:
        return {"u": self.user_id, "c": self.csrf, "f": self.fingerprint, "g": self.generation}


# The session cookie is signed with itsdangerous and holds only the user id, the CSRF token, the
# password-hash fingerprint and the account's session generation: logout, a password change,
# deactivation and unlock raise the generation in the store, which ends every older cookie. It is
# HttpOnly and SameSite=Lax; Secure when the app is served over HTTPS (review.proxy.is_https).
class Sessions:
    """Signs and reads the session and flash cookies."""

    def __init__(self, secret: str, max_age_s: int = 8 * 3600) -> None:
        self.max_age_s = max_age_s
        self._serializer = URLSafeTimedSerializer(secret, salt="aduan.review.session")
        self._flash = URLSafeTimedSerializer(secret, salt="aduan.review.flash")

    def dump(self, data: SessionData) -> str:
        return self._serializer.dumps(data.to_dict())

    def load(self, cookie: str | None) -> tuple[SessionData | None, bool]:
        """The session in ``cookie`` and whether it expired (None, False when absent/forged)."""
        if not cookie:
            return None, False
        try:
            raw = self._serializer.loads(cookie, max_age=self.max_age_s)
        except SignatureExpired:
            return None, True
        except BadSignature:
            return None, False
        if not isinstance(raw, dict) or not isinstance(raw.get("c"), str):
            return None, False
        user_id, generation = raw.get("u"), raw.get("g", 0)
        if not (user_id is None or type(user_id) is int) or type(generation) is not int:
            return None, False
        fingerprint = str(raw.get("f", ""))
        return SessionData(user_id, raw["c"], fingerprint, generation), False

    @staticmethod
    def new(user_id: int | None = None, fingerprint: str = "", generation: int = 0) -> SessionData:
        token = secrets.token_urlsafe(32)
        return SessionData(user_id, token, fingerprint, generation)

    def dump_flash(self, message: str, kind: str = "info") -> str:
        return self._flash.dumps([kind, message[:500]])

    def load_flash(self, cookie: str | None) -> tuple[str, str] | None:
        if not cookie:
            return None
        try:
            kind, message = self._flash.loads(cookie, max_age=300)
        except (BadSignature, ValueError, TypeError):
            return None
        return str(kind), str(message)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(expected.encode(), given.encode())


def name_key(*, secret: str, name: str) -> str:
    """The login counter key of a typed user name: an HMAC, since it may be a mistyped password."""
    typed = name.strip()[:100].casefold().encode()
    return "name:" + hmac.new(secret.encode(), typed, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LoginThrottle:
    """Limits of the login counters, which live in the database (store.throttle, store.users).

    At most ``limit`` attempts per client address in ``window_s`` (stops one address trying many
    user names); an account locks for ``lock_minutes`` after ``max_failures`` failed attempts.
    """

    limit: int = 20
    window_s: float = 300.0
    max_failures: int = 5
    lock_minutes: float = 15.0
