"""The journey report from the service's database (`vocengine report --from-db`): the stored analyses of the
responses that an insight filter lets through, read a page at a time and fed to the same `ReportBuilder` as
a file's analyses, so that both reports count, judge and cap their examples alike.

Which sentences count is the insights' rule (`vocengine.insights.filters`): scored sentences only, the filter
on each sentence's copy of its response's fields. So a response without a scored sentence (not English, not
scored yet) is not in the report, as it is in no insight of the API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select

from vocengine.insights.filters import InsightFilter, conditions
from vocengine.io.readers import Record
from vocengine.io.summary import RunSummary
from vocengine.journey.maps import JourneyMap
from vocengine.report.data import ReportBuilder
from vocengine.schemas import CommentAnalysis
from vocengine.store.analysis_rows import analysis_detail
from vocengine.store.tables import CommentResult, sentence_result

COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
PAGE = 500  # responses read at a time: memory stays that of a page, whatever the database holds


def stored_analyses(engine: Engine, f: InsightFilter) -> Iterator[tuple[Record, CommentAnalysis]]:
    """Each response with a scored sentence that `f` lets through, in id order: a record with the fields the
    report groups by (persona, the day it occurred) and its analysis with those sentences."""
    sr = sentence_result.c
    where = conditions(f)
    last = 0
    while True:
        with engine.connect() as connection:
            ids = list(
                connection.execute(
                    select(sr.response_id).where(*where, sr.response_id > last)
                    .group_by(sr.response_id).order_by(sr.response_id).limit(PAGE)
                ).scalars()
            )  # fmt: skip
            if not ids:
                return
            sentences: dict[int, list[Any]] = defaultdict(list)
            for row in connection.execute(select(sentence_result).where(*where, sr.response_id.in_(ids))):
                sentences[row.response_id].append(row)
            query = select(COMMENT.c.response_id, COMMENT.c.analysis).where(COMMENT.c.response_id.in_(ids))
            analyses = {row.response_id: row.analysis for row in connection.execute(query)}
        for response_id in ids:
            rows = sentences[response_id]
            fields = {"persona": rows[0].persona, "submitted_at": rows[0].occurred_at.isoformat()}
            analysis = CommentAnalysis.model_validate(analysis_detail(analyses[response_id], rows))
            yield Record(row=response_id, id=str(response_id), text=None, fields=fields), analysis
        last = ids[-1]


def report_from_db(engine: Engine, journey: JourneyMap, f: InsightFilter, source: str) -> dict[str, Any]:
    """The report's data (`vocengine.report.html.write_report` writes it) of the stored responses `f` selects,
    with the map in force (`journey`); `source` names them in the report's header."""
    summary = RunSummary(journey)
    builder = ReportBuilder(journey, source=source, date_column="submitted_at")
    for record, analysis in stored_analyses(engine, f):
        summary.add(analysis)
        builder.add(record, analysis)
    return builder.build(summary)
