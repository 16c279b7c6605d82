"""Scoring claimed responses into the rows that store their analysis: the one code the queue's worker and
rescoring share."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vocengine.analyzer import Analyzer
from vocengine.store.analysis_rows import comment_row, sentence_rows
from vocengine.store.queue import Claimed

log = logging.getLogger(__name__)


@dataclass
class Scored:
    comments: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    languages: dict[int, str] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)  # response id -> why it could not be scored


def score(analyzer: Analyzer, map_id: int, claimed: Sequence[Claimed]) -> Scored:
    """The analysis rows of `claimed`; one text that makes the engine fail does not sink its batch: the
    batch is scored again one by one to find it, and it alone is reported in `errors`."""
    scored = Scored()
    try:
        results, embeddings = analyzer.analyze_with_embeddings([c.text for c in claimed], [str(c.id) for c in claimed])
        pairs = list(zip(claimed, results, embeddings, strict=True))
    except Exception:  # noqa: BLE001 - find the bad row alone
        log.exception("a batch failed; scoring its %d responses one by one", len(claimed))
        pairs = []
        for item in claimed:
            try:
                [result], [embedding] = analyzer.analyze_with_embeddings([item.text], [str(item.id)])
                pairs.append((item, result, embedding))
            except Exception as exc:  # noqa: BLE001
                scored.errors[item.id] = f"{type(exc).__name__}: {exc}"
    for item, result, embedding in pairs:
        scored.comments.append(comment_row(item.id, result, map_id))
        scored.sentences += sentence_rows(item, result, embedding, map_id)
        scored.languages[item.id] = result.language
    return scored
