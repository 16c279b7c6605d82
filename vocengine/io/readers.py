"""Read feedback from CSV, JSONL or plain text lines, row by row.

A bad row becomes a `Record` with an error that names it; the rows around it are still read.
Invalid UTF-8 is kept as bytes so the analyzer can replace it and flag the row, instead of failing.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from vocengine.errors import InputError, message

FORMATS = ("csv", "jsonl", "lines")
csv.field_size_limit(10_000_000)


@dataclass
class Record:
    row: int  # 1-based data row: the header of a CSV is not a row
    id: str | None
    text: str | bytes | None
    error: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def detect_format(source: str, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise InputError("E304", source=source)
        return explicit
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".txt", ".text", "") or source == "-":
        return "lines"
    raise InputError("E304", source=source)


def _with_bytes(text: str) -> str | bytes:
    """Strings read with surrogateescape hold invalid bytes as surrogates: hand those back as bytes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogateescape")


def _open(source: str) -> TextIO:
    if source == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        return open(source, encoding="utf-8", errors="surrogateescape", newline="")
    except OSError as exc:
        raise InputError("E301", source=source, detail=exc.strerror or str(exc)) from exc


def read_records(
    source: str, fmt: str | None = None, text_column: str = "text", id_column: str = "id"
) -> Iterator[Record]:
    fmt = detect_format(source, fmt)
    with _open(source) as handle:
        if fmt == "csv":
            yield from _read_csv(handle, source, text_column, id_column)
        elif fmt == "jsonl":
            yield from _read_jsonl(handle, source, text_column, id_column)
        else:
            for row, line in enumerate(handle.read().splitlines(), start=1):
                yield Record(row, str(row), _with_bytes(line))


def count_rows(source: str, fmt: str | None = None) -> int | None:
    """Rows in a file, for the progress bar; None for stdin, where it cannot be known in advance."""
    if source == "-":
        return None
    fmt = detect_format(source, fmt)
    with _open(source) as handle:
        if fmt == "csv":
            try:
                return max(0, sum(1 for _ in csv.reader(handle)) - 1)
            except csv.Error:
                return None
        return sum(1 for _ in handle)


def _read_csv(handle: TextIO, source: str, text_column: str, id_column: str) -> Iterator[Record]:
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError("E301", source=source, detail=f"CSV header: {exc}") from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    if text_column not in header:
        raise InputError("E303", source=source, column=text_column, columns=", ".join(header))
    text_at = header.index(text_column)
    id_at = header.index(id_column) if id_column in header else None
    row = 0
    while True:
        row += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(row, None, None, message("E302", row=row, source=source, detail=f"malformed CSV: {exc}"))
            continue
        if not values:
            row -= 1  # a blank line between rows is no row
            continue
        row_id = values[id_at] if id_at is not None and id_at < len(values) else str(row)
        if len(values) != len(header):
            detail = f"{len(values)} fields where the header has {len(header)} (line {reader.line_num})"
            yield Record(row, row_id, None, message("E302", row=row, source=source, detail=detail))
            continue
        fields = {k: v for k, v in zip(header, values, strict=True) if k not in (text_column, id_column)}
        yield Record(row, row_id, _with_bytes(values[text_at]), fields=fields)


def _read_jsonl(handle: TextIO, source: str, text_column: str, id_column: str) -> Iterator[Record]:
    row = 0
    for line in handle:
        if not line.strip():
            continue
        row += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(row, None, None, message("E302", row=row, source=source, detail=f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            yield Record(row, None, None, message("E302", row=row, source=source, detail="expected a JSON object"))
            continue
        row_id = obj.get(id_column)
        row_id = str(row_id) if row_id is not None else str(row)
        text = obj.get(text_column)
        if not isinstance(text, str):
            found = "missing" if text is None else f"a {type(text).__name__}, not a string"
            detail = f"field {text_column!r} is {found}"
            yield Record(row, row_id, None, message("E302", row=row, source=source, detail=detail))
            continue
        fields = {k: v for k, v in obj.items() if k not in (text_column, id_column)}
        yield Record(row, row_id, _with_bytes(text), fields=fields)
