"""Review-app accounts: create, find, lock after failed logins. Password hashing is review.auth's.

The store keeps only the hash string it is given; no password ever reaches this module or the log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
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
        raise StoreError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    name = name.strip()
    if not name or len(name) > 100:
        raise StoreError("a user name needs 1 to 100 characters")
    if get_user_by_name(session=session, name=name) is not None:
        raise StoreError(f"user {name!r} already exists")
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


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_name(*, session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def is_locked(user: User, now: datetime | None = None) -> bool:
    """True while the account is locked after too many failed logins."""
    now = now or datetime.now(UTC)
    return user.locked_until is not None and user.locked_until > now


def record_failed_login(
    *, session: Session, user: User, max_failures: int = 5, lock_minutes: float = 15
) -> bool:
    """Count a failed login; lock the account after ``max_failures``. True when now locked."""
    user.failed_logins = (user.failed_logins or 0) + 1
    locked = user.failed_logins >= max_failures
    if locked:
        user.locked_until = datetime.now(UTC) + timedelta(minutes=lock_minutes)
        user.failed_logins = 0
        record_audit(
            session=session,
            actor=user.name,
            action="user.locked",
            object_type="user",
            object_id=user.id,
            after={"locked_until": user.locked_until.isoformat()},
        )
    return locked


def record_login(*, session: Session, user: User) -> None:
    """A successful login: reset the failure count and note it in the audit log."""
    user.failed_logins = 0
    user.locked_until = None
    record_audit(
        session=session, actor=user.name, action="user.login", object_type="user", object_id=user.id
    )


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
        raise StoreError(f"user {user_id} does not exist")
    before = user_snapshot(user)
    if role is not None:
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}")
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
    after = user_snapshot(user) | ({"password": "changed"} if password_hash else {})
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
