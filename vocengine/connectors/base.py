"""What every connector is made of: the request as signed, what a payload maps to, and the small helpers
their signature checks and mappings share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from vocengine.ingest import ResponseCreate
from vocengine.settings import FormFields, Settings
from vocengine.store.tables import Source

FETCH_KIND = "connector_fetch"


class ConnectorError(Exception):
    pass


class NotConfigured(ConnectorError):
    """The connector's secret (or API token) is not set: it takes nothing."""


class BadSignature(ConnectorError):
    """The request does not carry the tool's valid signature: nothing of it is read further."""


class BadPayload(ConnectorError):
    """The body is not a payload of this tool: `field` names what is wrong or missing."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Signed:
    """An inbound request as its signature covers it: lower-case header names, the raw body, the query."""

    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)
    now: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Store:
    """A response to store. `revise`: the tool sends the same response again as it changes (Delighted adds the
    comment after the score), so a second one updates the first instead of being a duplicate."""

    item: ResponseCreate
    revise: bool = False


@dataclass(frozen=True)
class Fetch:
    """A notification that carries only ids: a job reads the response from the tool's API."""

    external_id: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Ignored:
    """A valid, signed event with nothing to store (another event type, no free text): answered 200 so that
    the tool neither retries it nor disables the webhook."""

    reason: str
    external_id: str | None = None


Inbound = Store | Fetch | Ignored


class Connector(ABC):
    name: ClassVar[str]
    source: ClassVar[Source]
    # The settings that must be set, named as their environment variables in the "not configured" answer.
    required: ClassVar[tuple[str, ...]]

    def configured(self, settings: Settings) -> bool:
        return all(getattr(settings, name) for name in self.required)

    @abstractmethod
    def verify(self, settings: Settings, request: Signed) -> None:
        """`BadSignature` unless the request carries the tool's valid signature."""

    @abstractmethod
    def parse(self, settings: Settings, body: bytes) -> Inbound:
        """The payload mapped; `BadPayload` or a pydantic `ValidationError` when it cannot be."""

    def fetch(self, settings: Settings, params: dict[str, Any], client: httpx.Client) -> Store | Ignored:
        """The response a `Fetch` names, read from the tool's API (connectors that return `Fetch` only)."""
        raise NotImplementedError(f"the {self.name} connector reads no API")


def secret(value: SecretStr | None) -> bytes:
    assert value is not None, "checked by Connector.configured"
    return value.get_secret_value().encode()


def digest(key: bytes, message: bytes, algorithm: str) -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def require_same(sent: str | None, expected: str, what: str) -> None:
    """`BadSignature` unless `sent` is `expected`, compared in constant time."""
    if not sent:
        raise BadSignature(f"the {what} header is missing")
    if not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        raise BadSignature(f"the {what} does not match the body")


def require_fresh(when: datetime | float, settings: Settings, now: float, what: str) -> None:
    """`BadSignature` for a signed timestamp further than `connector_max_age_seconds` from now: a captured
    request cannot be replayed later (a replay within the window is a duplicate, stored once)."""
    limit = settings.connector_max_age_seconds
    seconds = when.timestamp() if isinstance(when, datetime) else when
    if limit and abs(now - seconds) > limit:
        raise BadSignature(f"the {what} is more than {limit} s from now")


def load_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload("body", f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BadPayload("body", "not a JSON object")
    return data


def dig(data: Any, *path: str | int) -> Any:
    """`data[path[0]][path[1]]...`, or None where a step is missing."""
    for step in path:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and -len(data) <= step < len(data):
            data = data[step]
        else:
            return None
    return data


def required_id(data: Any, *path: str | int) -> str:
    value = dig(data, *path)
    if value is None or isinstance(value, dict | list) or str(value) == "":
        raise BadPayload(".".join(str(p) for p in path), "missing")
    return str(value)


def form_fields(settings: Settings, form_id: str | None) -> FormFields:
    """The questions configured for this form (`VOCENGINE_CONNECTOR_FORMS`), or none: the defaults."""
    return settings.connector_forms.get(form_id or "", FormFields())


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def number_or_none(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def response(connector: Connector, **fields: Any) -> ResponseCreate:
    """A `ResponseCreate` of this connector's source, with `None` fields left to their defaults; a score
    without its type (or a type without its score) is dropped rather than refused."""
    if fields.get("score") is None or fields.get("score_type") is None:
        fields.pop("score", None)
        fields.pop("score_type", None)
    values = {name: value for name, value in fields.items() if value is not None}
    return ResponseCreate(source=connector.source, **values)


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}
