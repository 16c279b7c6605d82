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


class LastAdminKey(Exception):
    """Revoking it would leave no way in as an admin but the command line."""


def revoke_key(runtime: Runtime, prefix: str, *, keep_an_admin: bool = False) -> ApiKey:
    """Revoke the key with `prefix`. With `keep_an_admin` (the API), the last active admin key is refused:
    an operator at the terminal may still do it, a browser session should not lock everyone out."""
    with Session(runtime.engine, expire_on_commit=False) as session:
        found = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if found is None:
            raise LookupError(f"no key with prefix {prefix}")
        if found.revoked_at is not None:
            return found
        if keep_an_admin and "admin" in found.scopes.split(","):
            admins = session.exec(select(ApiKey).where(col(ApiKey.revoked_at).is_(None))).all()
            if sum("admin" in k.scopes.split(",") for k in admins) <= 1:
                raise LastAdminKey(f"key {prefix} is the last active admin key; make another admin key first")
        found.revoked_at = utcnow()
        session.add(found)
        session.commit()
        session.refresh(found)
        return found


def has_keys(runtime: Runtime) -> bool:
    with Session(runtime.engine) as session:
        return session.exec(select(func.count()).select_from(ApiKey)).one() > 0
