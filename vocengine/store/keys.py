"""API keys: `voc_<prefix>_<secret>`, shown once; only a SHA-256 of the whole key is stored.

A fast hash is enough here: the secret is 32 random bytes, so there is nothing to guess by brute force,
and a slow hash (bcrypt) would cost every request tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlmodel import Session, select

from vocengine.store.tables import ApiKey

SCOPES = ("ingest", "read", "label", "admin")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted({part.strip() for s in scopes for part in s.split(",") if part.strip()})
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(chosen) or 'none'}")
    return chosen


def create_key(session: Session, scopes: Iterable[str], name: str = "") -> tuple[str, ApiKey]:
    """Store a new key and return it in clear, the only time it is ever seen."""
    chosen = parse_scopes(scopes)
    prefix = secrets.token_hex(4)
    key = f"voc_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(name=name or ",".join(chosen), prefix=prefix, key_hash=_hash(key), scopes=",".join(chosen))
    session.add(record)
    session.commit()
    session.refresh(record)
    return key, record


def verify_key(session: Session, key: str) -> ApiKey | None:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "voc":
        return None
    record = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if record is None or record.revoked_at is not None:
        return None
    return record if hmac.compare_digest(record.key_hash, _hash(key)) else None


def has_scope(record: ApiKey, scope: str) -> bool:
    """`admin` may do everything; other scopes only what they name."""
    granted = set(record.scopes.split(","))
    return scope in granted or "admin" in granted
