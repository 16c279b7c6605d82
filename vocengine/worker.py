"""The scoring worker: claim a micro-batch of pending responses, score it with the engine, write it back.

`vocengine serve` runs one in a thread next to the API (embedded SQLite); at scale any number of
`vocengine worker` processes share a PostgreSQL database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from vocengine.analyzer import Analyzer
from vocengine.journey.maps import JourneyMap
from vocengine.learning import registry, rescore
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS
from vocengine.schemas import CommentAnalysis
from vocengine.settings import Settings
from vocengine.store import queue
from vocengine.store.journeys import active_version, as_journey_map, ensure_active, reassign_sentences
from vocengine.store.tables import ModelVersion, ekman_column, emotion_column, utcnow

log = logging.getLogger(__name__)
EMOTION_BIT = {label: 1 << i for i, label in enumerate(EMOTION_LABELS)}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100_000}"


class ActiveAnalyzer:
    """The engine with the database's active model version and journey map. Both are looked up before
    each batch, so every worker and the API follow a promotion or a new map without a restart. Models
    load once per process; a new map version only embeds that map's prototypes."""

    def __init__(self, engine: Engine, base: Analyzer) -> None:
        self.engine = engine
        self.base = base
        predictor = base.predictor
        registry.ensure_registered(engine, predictor.model_version, predictor.model_dir, predictor.config.metrics)
        self._cache: dict[tuple[str, int], Analyzer] = {}
        self._lock = threading.Lock()

    def current(self) -> tuple[Analyzer, int]:
        version = active_version(self.engine) or ensure_active(self.engine, self.base.journey)
        model = registry.active_model(self.engine)
        assert version.id is not None
        key = (model.id if model else self.base.model_version, version.id)
        with self._lock:
            if key not in self._cache:
                self._cache = {key: self._build(model, as_journey_map(version))}
            return self._cache[key], version.id

    def _build(self, model: ModelVersion | None, journey: JourneyMap) -> Analyzer:
        if model is not None and model.id != self.base.model_version and model.path:
            log.info("switching to model version %s", model.id)
            return self.base.with_model(Path(model.path), journey)
        if journey.fingerprint() != self.base.journey.fingerprint():
            return self.base.with_journey_map(journey)
        return self.base


def comment_row(response_id: int, result: CommentAnalysis, map_id: int) -> dict[str, Any]:
    scores = result.sentiment.scores if result.sentiment else {}
    return {
        "response_id": response_id,
        "model_version": result.model_version,
        "journey_map_id": map_id,
        "scored": result.scored,
        "language": result.language,
        "sentiment": result.sentiment.label if result.sentiment else None,
        "p_negative": scores.get("negative"),
        "p_neutral": scores.get("neutral"),
        "p_positive": scores.get("positive"),
        "analysis": result.to_json_dict(),
        "created_at": utcnow(),
    }


def sentence_rows(
    item: queue.Claimed, result: CommentAnalysis, embeddings: np.ndarray, map_id: int
) -> list[dict[str, Any]]:
    rows = []
    for i, sentence in enumerate(result.sentences):
        scores = sentence.sentiment.scores if sentence.sentiment else {}
        emotions = sentence.emotions or {}
        ekman = sentence.ekman or {}
        row: dict[str, Any] = {
            "response_id": item.id,
            "idx": i,
            "text": sentence.text,
            "start": sentence.start,
            "end": sentence.end,
            "sentiment": sentence.sentiment.label if sentence.sentiment else None,
            "p_negative": scores.get("negative"),
            "p_neutral": scores.get("neutral"),
            "p_positive": scores.get("positive"),
            "emotion_mask": sum(EMOTION_BIT[label] for label in sentence.top_emotions),
            "stage": sentence.stage,
            "touchpoint": sentence.touchpoint,
            "touchpoint_score": sentence.touchpoint_score,
            "journey_map_id": map_id,
            "embedding": embeddings[i].astype(np.float16).tobytes() if i < len(embeddings) else None,
            "occurred_at": item.occurred_at,
            "source": item.source,
            "channel": item.channel,
            "persona": item.persona,
            "account_id": item.account_id,
            "contact_id": item.contact_id,
        }
        row.update({emotion_column(label): emotions.get(label) for label in EMOTION_LABELS})
        row.update({ekman_column(label): ekman.get(label) for label in EKMAN_LABELS})
        rows.append(row)
    return rows


class ScoringWorker:
    def __init__(self, engine: Engine, analyzer: ActiveAnalyzer, settings: Settings, name: str | None = None) -> None:
        self.engine = engine
        self.analyzer = analyzer
        self.settings = settings
        self.name = name or worker_name()
        self.stop_event = threading.Event()

    def run_once(self) -> int:
        """Claim and score one micro-batch; the number of responses finished (done or given back)."""
        claimed = queue.claim(
            self.engine,
            self.name,
            self.settings.worker_batch_size,
            self.settings.worker_lease_seconds,
            self.settings.worker_max_attempts,
        )
        if not claimed:
            self._follow_map_changes()
            return self._rescore_step()
        analyzer, map_id = self.analyzer.current()
        scored, errors = self._score(analyzer, claimed)
        comments, sentences, languages = self._rows(scored, map_id)
        if comments:
            queue.complete(self.engine, self.name, comments, sentences, languages)
        if errors:
            log.warning("%d responses failed to score: %s", len(errors), next(iter(errors.values())))
            queue.fail(self.engine, self.name, errors, self.settings.worker_max_attempts)
        return len(claimed)

    @staticmethod
    def _rows(
        scored: dict[queue.Claimed, tuple[CommentAnalysis, np.ndarray]], map_id: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, str]]:
        comments, sentences, languages = [], [], {}
        for item, (result, embeddings) in scored.items():
            comments.append(comment_row(item.id, result, map_id))
            sentences += sentence_rows(item, result, embeddings, map_id)
            languages[item.id] = result.language
        return comments, sentences, languages

    def rescore_rows(self, claimed: list[queue.Claimed]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """New analysis rows by the active model; a response that fails keeps its old analysis."""
        analyzer, map_id = self.analyzer.current()
        scored, errors = self._score(analyzer, claimed)
        if errors:
            log.warning("%d responses could not be rescored and keep their analysis: %s", len(errors), errors)
        comments, sentences, _ = self._rows(scored, map_id)
        return comments, sentences

    def _rescore_step(self) -> int:
        """When idle, rescore one batch of a rescoring job of the active model (after a promotion)."""
        analyzer, _ = self.analyzer.current()
        job = rescore.claim_job(self.engine, self.name, analyzer.model_version, self.settings.worker_lease_seconds)
        if job is None:
            return 0
        return rescore.run_batch(
            self.engine,
            job,
            self.name,
            self.rescore_rows,
            self.settings.rescore_batch_size,
            self.settings.worker_lease_seconds,
        )

    def _score(
        self, analyzer: Analyzer, claimed: Sequence[queue.Claimed]
    ) -> tuple[dict[queue.Claimed, tuple[CommentAnalysis, np.ndarray]], dict[int, str]]:
        try:
            results, embeddings = analyzer.analyze_with_embeddings(
                [c.text for c in claimed], [str(c.id) for c in claimed]
            )
            return dict(zip(claimed, zip(results, embeddings, strict=True), strict=True)), {}
        except Exception:  # noqa: BLE001 - one bad row must not sink its batch: find it alone
            log.exception("a batch failed; scoring its %d responses one by one", len(claimed))
        scored: dict[queue.Claimed, tuple[CommentAnalysis, np.ndarray]] = {}
        errors: dict[int, str] = {}
        for item in claimed:
            try:
                [result], [embedding] = analyzer.analyze_with_embeddings([item.text], [str(item.id)])
                scored[item] = (result, embedding)
            except Exception as exc:  # noqa: BLE001
                errors[item.id] = f"{type(exc).__name__}: {exc}"
        return scored, errors

    def _follow_map_changes(self) -> None:
        """When idle, carry out a pending re-assignment of stored sentences to a new journey map."""
        version = active_version(self.engine)
        if version is None or version.reassign_status not in ("pending", "running") or version.id is None:
            return
        analyzer, map_id = self.analyzer.current()
        if map_id == version.id:
            reassign_sentences(self.engine, version.id, analyzer.assigner)

    def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        while not self.stop_event.is_set():
            try:
                if self.run_once() == 0:
                    self.stop_event.wait(self.settings.worker_poll_seconds)
            except Exception:  # noqa: BLE001 - the database may be briefly away; keep the worker alive
                log.exception("worker %s: scoring round failed; retrying", self.name)
                self.stop_event.wait(min(5.0, self.settings.worker_poll_seconds * 4))
        log.info("worker %s stopped", self.name)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name=f"vocengine-worker-{self.name}", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
