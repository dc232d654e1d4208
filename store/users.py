"""Review-app accounts: create, find, lock after failed logins, end sessions. Password hashing is
review.auth's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, literal, null, or_, select, update
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.exceptions import StoreError
from store.tables import User

ROLES = ("admin", "facilitator", "viewer")


def user_snapshot(user: User) -> dict:
    """What the audit log keeps of an account (never the password hash)."""
    return {
        "name": user.name,
        "role": user.role,
        "agencies": list(user.agencies or []),
        "active": user.active,
    }


# Login counters change in single atomic statements (UPDATE ... RETURNING), never read-then-write:
# parallel attempts are all counted. Logout, a password change, deactivation and unlock add one to
# the account's ``session_generation``, which every session cookie must match.
#
# The store keeps only the hash string it is given; no password ever reaches this module or the log.
def create_user(
    *,
    session: Session,
    name: str,
    role: str,
    password_hash: str,
    agencies: list[str] | None = None,
    actor: str = "cli",
) -> User:
    """Add an account; StoreError if the name is taken or the role unknown."""
    if role not in ROLES:
        raise StoreError(
            f"unknown role {role!r}; choose one of {', '.join(ROLES)}",
            pesan=f"peran {role!r} tidak dikenal; pilih salah satu: {', '.join(ROLES)}.",
        )
    name = name.strip()
    if not name or len(name) > 100:
        raise StoreError(
            "a user name needs 1 to 100 characters", pesan="nama akun harus 1 sampai 100 karakter."
        )
    if get_user_by_name(session=session, name=name) is not None:
        raise StoreError(f"user {name!r} already exists", pesan=f"akun {name!r} sudah ada.")
    user = User(
        name=name, role=role, agencies=sorted(set(agencies or [])), password_hash=password_hash
    )
    session.add(user)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        after=user_snapshot(user),
    )
    return user


def get_user_by_name(*, session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def is_locked(user: User, now: datetime | None = None) -> bool:
    """True while the account is locked after too many failed logins."""
    now = now or datetime.now(UTC)
    return user.locked_until is not None and user.locked_until > now


@dataclass(frozen=True)
class LoginClaim:
    """One login attempt counted against an active, unlocked account (before the password check)."""

    user_id: int
    name: str
    password_hash: str
    generation: int
    failures: int  # this attempt included
    locked_until: datetime | None  # set when this attempt used the last one allowed


def claim_login_attempt(
    *,
    session: Session,
    name: str,
    max_failures: int = 5,
    lock_minutes: float = 15,
    now: datetime | None = None,
) -> LoginClaim | None:
    """Count one attempt on account ``name`` in one atomic UPDATE ... RETURNING, BEFORE the
    password is checked, so parallel attempts cannot all pass a check made before any was
    counted. The attempt that reaches ``max_failures`` locks the account (in the same statement);
    a later one finds it locked. None: no such active account, or it is locked (the caller says
    the same in both cases). A right password then calls ``record_login``.
    """
    now = now or datetime.now(UTC)
    lock_type = User.__table__.c.locked_until.type
    expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
    failures = case((expired, 1), else_=User.failed_logins + 1)
    until = now + timedelta(minutes=lock_minutes)
    statement = (
        update(User)
        .where(
            User.name == name,
            User.active.is_(True),
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(
            failed_logins=failures,
            locked_until=case(
                (failures >= max_failures, literal(until, lock_type)),
                (expired, null()),
                else_=User.locked_until,
            ),
        )
        .returning(
            User.id,
            User.name,
            User.password_hash,
            User.session_generation,
            User.failed_logins,
            User.locked_until,
        )
        .execution_options(synchronize_session=False)
    )
    row = session.execute(statement).one_or_none()
    if row is None:
        return None
    claim = LoginClaim(*row)
    if claim.locked_until is not None:
        record_audit(
            session=session,
            actor=claim.name,
            action="user.locked",
            object_type="user",
            object_id=claim.user_id,
            after={"locked_until": claim.locked_until.isoformat(), "failures": claim.failures},
        )
    return claim


def record_login(*, session: Session, user_id: int, name: str) -> None:
    """A successful login: clear the account's failure count and lock; noted in the audit log.

    (The per-address counters of store.throttle are never reset by a success.)
    """
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    record_audit(
        session=session, actor=name, action="user.login", object_type="user", object_id=user_id
    )


def revoke_sessions(*, session: Session, user_id: int) -> int:
    """End every session of the account (its cookies are refused from now on); the new
    generation, or StoreError if there is no such account."""
    generation = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
        .returning(User.session_generation)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if generation is None:
        raise StoreError(f"user {user_id} does not exist", pesan="akun tidak ditemukan.")
    user = session.get(User, user_id)
    if user is not None:
        session.refresh(user)
    return generation


def record_logout(*, session: Session, user_id: int, name: str) -> None:
    """Logout: the session ends on the server too (a saved copy of the cookie is refused)."""
    revoke_sessions(session=session, user_id=user_id)
    record_audit(
        session=session, actor=name, action="user.logout", object_type="user", object_id=user_id
    )


@dataclass(frozen=True)
class Lockout:
    """What an admin (or ``aduan users ...``) needs to know about an account's login state."""

    locked: bool
    locked_until: datetime | None
    failed_logins: int


def lockout_state(user: User, now: datetime | None = None) -> Lockout:
    """Whether ``user`` is locked now, until when, and the failures counted so far."""
    locked = is_locked(user, now)
    return Lockout(
        locked=locked,
        locked_until=user.locked_until if locked else None,
        failed_logins=user.failed_logins or 0,
    )


def unlock_user(*, session: Session, user_id: int, actor: str) -> User:
    """Clear the lock and failure count, ending the account's sessions; audited."""
    return update_user(session=session, user_id=user_id, actor=actor, unlock=True)


def set_password(*, session: Session, user_id: int, password_hash: str, actor: str) -> User:
    """Replace the password hash (review.auth.hash_password's), ending every session; audited."""
    return update_user(session=session, user_id=user_id, actor=actor, password_hash=password_hash)


def update_user(
    *,
    session: Session,
    user_id: int,
    actor: str,
    role: str | None = None,
    agencies: list[str] | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
    unlock: bool = False,
) -> User:
    """Change an account's role, agencies, activity or password; audited (without the hash)."""
    user = session.get(User, user_id)
    if user is None:
        raise StoreError(f"user {user_id} does not exist", pesan="akun tidak ditemukan.")
    before = user_snapshot(user)
    if role is not None:
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}", pesan=f"peran {role!r} tidak dikenal.")
        user.role = role
    if agencies is not None:
        user.agencies = sorted(set(agencies))
    if active is not None:
        user.active = active
    if password_hash is not None:
        user.password_hash = password_hash
    if unlock:
        user.locked_until = None
        user.failed_logins = 0
    ended = bool(password_hash) or unlock or (active is False and before["active"])
    if ended:
        user.session_generation = User.session_generation + 1  # in SQL: concurrent changes add up
    after = user_snapshot(user) | ({"password": "changed"} if password_hash else {})
    if unlock:
        after["unlocked"] = True
    if ended:
        after["sessions"] = "ended"
    record_audit(
        session=session,
        actor=actor,
        action="user.update",
        object_type="user",
        object_id=user.id,
        before=before,
        after=after,
    )
    return user
