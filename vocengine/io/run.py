"""Reading a file of comments and analysing it in chunks: the loop `vocengine analyze` and `vocengine report`
share, so both read, refuse and score rows the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from vocengine.analyzer import Analyzer
from vocengine.io.readers import Record
from vocengine.schemas import CommentAnalysis


def analyse_records(
    analyzer: Analyzer,
    records: Iterable[Record],
    chunk_size: int = 256,
    on_chunk: Callable[[int], None] | None = None,
) -> Iterator[tuple[Record, CommentAnalysis | None]]:
    """Every record in input order with its analysis, or None for a row that could not be read
    (`record.error` says why). Rows are scored `chunk_size` at a time; `on_chunk` gets each chunk's size."""
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= chunk_size:
            yield from _analyse_chunk(analyzer, chunk)
            if on_chunk:
                on_chunk(len(chunk))
            chunk = []
    if chunk:
        yield from _analyse_chunk(analyzer, chunk)
        if on_chunk:
            on_chunk(len(chunk))


def _analyse_chunk(analyzer: Analyzer, chunk: list[Record]) -> Iterator[tuple[Record, CommentAnalysis | None]]:
    good = [r for r in chunk if r.error is None]
    results = iter(analyzer.analyze([r.text or "" for r in good], [r.id for r in good]))
    for record in chunk:
        yield record, (None if record.error is not None else next(results))
