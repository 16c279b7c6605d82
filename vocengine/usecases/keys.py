"""API keys: make one (shown once), list them (never their secrets), revoke one."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from vocengine.runtime import Runtime
from vocengine.store import keys
from vocengine.store.tables import ApiKey, utcnow


def create_key(runtime: Runtime, scopes: Iterable[str], name: str = "") -> tuple[str, ApiKey]:
    """A new key in clear (the only time it is seen) and its record; `ValueError` for unknown scopes."""
    with Session(runtime.engine, expire_on_commit=False) as session:
        return keys.create_key(session, scopes, name=name)


def list_keys(runtime: Runtime) -> list[ApiKey]:
    with Session(runtime.engine, expire_on_commit=False) as session:
        return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def revoke_key(runtime: Runtime, prefix: str) -> ApiKey:
    with Session(runtime.engine, expire_on_commit=False) as session:
        found = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if found is None:
            raise LookupError(f"no key with prefix {prefix}")
        found.revoked_at = utcnow()
        session.add(found)
        session.commit()
        session.refresh(found)
        return found


def has_keys(runtime: Runtime) -> bool:
    with Session(runtime.engine) as session:
        return session.exec(select(func.count()).select_from(ApiKey)).one() > 0
