"""What a client may send, checked in one place: values the databases cannot store, or that a stored row
could not be read back and served with, are refused on the way in (the API answers 422 naming the field).

Each check is an `Annotated` type, used by the request models, the API's path and query parameters and the
use cases alike, so the API, the CLI and connectors refuse the same things:

* text: no lone surrogates (not Unicode: no UTF-8 encoder writes them, so neither SQLite nor PostgreSQL
  stores them, and a JSON column that kept one as a \\ud800 escape breaks every later read of the row); no
  NUL outside free text (PostgreSQL text cannot hold it); free text has its NUL removed by cleaning instead;
* numbers: finite (JSON has no NaN or Infinity; PostgreSQL's json type refuses them), integers within 64 bits,
  ids within their column (PostgreSQL `integer`: 32 bits);
* datetimes: an instant, stored in UTC (SQLite keeps no offset) and within years 1 to 9999 in UTC, which is
  what Python and the drivers read back.

`servable` is the other side: a value already stored (before these checks, or written by other means) made
fit to serve, so that one odd row cannot break reads for everyone.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

INT32_MAX = 2**31 - 1  # an `Integer` column on PostgreSQL; every id in vocengine.store.tables is one
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # BIGINT, and the widest integer SQLite stores
_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_free(value: str) -> str:
    found = _SURROGATE.search(value)
    if found:
        raise ValueError(
            f"has a lone surrogate (U+{ord(found.group()):04X}) at character {found.start()}: not valid Unicode"
        )
    return value


def check_text(value: str) -> str:
    """A name, id or attribute: valid Unicode without NUL."""
    if "\x00" in value:
        raise ValueError(f"has a NUL character (U+0000) at character {value.index(chr(0))}, which cannot be stored")
    return _surrogate_free(value)


def check_free_text(value: str) -> str:
    """Free text (a comment, a label's sentence): valid Unicode; its NUL is removed by cleaning, not refused."""
    return _surrogate_free(value)


def check_integer(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("is outside the 64-bit integer range")
    return value


def check_float(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    return value


def unstorable(value: Any, where: str = "") -> tuple[str, str] | None:
    """Where in a JSON document (a journey map, free attributes) the first value the checks above refuse is,
    as a dotted path, and why; None when every string, key and number passes."""
    try:
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, float):
            check_float(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            check_integer(value)
    except ValueError as exc:
        return where, str(exc)
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, item in children:
        path = f"{where}.{servable(key)}" if where else str(servable(key))
        if isinstance(key, str):
            try:
                check_text(key)
            except ValueError as exc:
                return path, f"the name {exc}"
        found = unstorable(item, path)
        if found:
            return found
    return None


def check_json(value: Any) -> Any:
    found = unstorable(value)
    if found:
        where, why = found
        raise ValueError(f"{where or '(top level)'} {why}")
    return value


def check_scalar(value: str | int | float | bool) -> str | int | float | bool:
    """A free attribute's value: text, an integer, a finite number or a boolean, each checked as above."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, float):
        return check_float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return check_integer(value)
    return value


def to_utc(value: datetime) -> datetime:
    """The instant in UTC (a value without an offset is taken as UTC), refused when UTC puts it outside years
    1 to 9999: PostgreSQL would store it, and then no Python driver could read the row back."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside years 1 to 9999 in UTC") from None


Text = Annotated[str, AfterValidator(check_text)]
FreeText = Annotated[str, AfterValidator(check_free_text)]
Integer = Annotated[int, AfterValidator(check_integer)]
Finite = Annotated[float, AfterValidator(check_float)]
Scalar = Annotated[str | int | float | bool, AfterValidator(check_scalar)]
Json = Annotated[Any, AfterValidator(check_json)]
UtcDateTime = Annotated[datetime, AfterValidator(to_utc)]
Id = Annotated[int, Field(ge=1, le=INT32_MAX)]
Index = Annotated[int, Field(ge=0, le=INT32_MAX)]


def servable(value: Any) -> Any:
    """`value` (JSON-like) as it can be served: lone surrogates become U+FFFD and numbers that JSON cannot
    carry (NaN, Infinity) become null. For what was stored before input was checked."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {servable(k): servable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [servable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# Metadata for a response model's field: Annotated[dict[str, Any], Servable].
Servable = AfterValidator(servable)
