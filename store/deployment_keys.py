"""One author key per deployment: every machine on a store pseudonymises authors alike."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.exceptions import ConfigError
from config.settings import Settings
from store.repository import insert_ignoring_duplicates
from store.tables import DeploymentKey

AUTHOR_KEY = "author_key"
_FINGERPRINT_TEXT = b"aduan deployment key fingerprint v1"


def fingerprint(key: bytes) -> str:
    """A short, stable fingerprint of ``key`` (safe to store and print)."""
    return hmac.new(key, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:16]


# ``author_key_for_store`` is what harvesting calls instead of ``Settings.author_key``:
#
# - against PostgreSQL (a store shared by workers) the key must be configured
#   (``ADUAN_AUTHOR_SECRET``): a key generated in one machine's ``ADUAN_HOME/secrets`` would differ
#   on the next machine;
# - on every store, the first harvest records the key's fingerprint (an HMAC of a fixed text: it
#   does not reveal the key) in ``deployment_keys``; a later run with another key is refused
#   before it stores anything.
def author_key_for_store(*, factory: sessionmaker[Session], settings: Settings) -> bytes:
    """The author key, checked against the one this store was first harvested with.

    ConfigError (one line, exit 2) when PostgreSQL is used without ``ADUAN_AUTHOR_SECRET`` or
    when the key differs from the store's.
    """
    dialect = factory.kw["bind"].dialect.name
    if dialect == "postgresql" and settings.author_secret is None:
        raise ConfigError(
            "ADUAN_AUTHOR_SECRET is not set: every machine on a shared PostgreSQL store must "
            "use the same author key (set the same value on each worker; see docs/running.md)"
        )
    key = settings.author_key()
    mine = fingerprint(key)
    with factory.begin() as session:
        session.execute(
            insert_ignoring_duplicates(session, DeploymentKey.__table__),
            [{"name": AUTHOR_KEY, "fingerprint": mine}],
        )
        stored = session.scalar(
            select(DeploymentKey.fingerprint).where(DeploymentKey.name == AUTHOR_KEY)
        )
    if stored != mine:
        where = "ADUAN_AUTHOR_SECRET" if settings.author_secret else "ADUAN_HOME/secrets/author_key"
        raise ConfigError(
            f"the author key of this machine ({where}, fingerprint {mine}) is not the key this "
            f"store was harvested with (fingerprint {stored}): set ADUAN_AUTHOR_SECRET to the "
            "deployment's key on every worker"
        )
    return key
