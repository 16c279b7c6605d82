"""The objects a process builds once, from one `Settings`: the database engine, the analyzer and the active
analyzer, the redactor, the language detector and the insight columns' cache.

`vocengine serve` (the API), `vocengine worker`, every CLI command, `api.examples`, the service benchmark and
the tests each make one `Runtime` and hand it to what they run, so the API, the import command and the worker
redact, detect languages and score with the same objects, built the same way. Every member is built on first
use, once (models are never loaded at import, nor by a command that does not need them). Tests swap a part by
passing it in: `Runtime(settings, engine=test_engine, analyzer=tiny_analyzer)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine

from vocengine.active import ActiveAnalyzer
from vocengine.analyzer import Analyzer, load_ner
from vocengine.insights.frame import FrameCache
from vocengine.learning.training import Trainer
from vocengine.settings import Settings, get_settings
from vocengine.store.db import make_engine, migrate
from vocengine.store.queue import DepthGauge
from vocengine.text.language import LanguageDetector
from vocengine.text.redact import Redactor

log = logging.getLogger(__name__)
T = TypeVar("T")


class Runtime:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        analyzer: Analyzer | None = None,
        redactor: Redactor | None = None,
        language_detector: LanguageDetector | None = None,
        frame_cache: FrameCache | None = None,
        trainer: Trainer | None = None,
    ) -> None:
        """Anything passed in is used as it is: an engine given is not migrated again, and an analyzer given
        brings its own redactor and language detector (so ingest and analysis still share them). `trainer`
        is the training code, which only the command line may import (`vocengine.learning.training`): a
        worker on a runtime without one leaves training jobs to others."""
        if analyzer is not None and redactor is not None and redactor is not analyzer.redactor:
            raise ValueError("an analyzer given brings its own redactor: pass one or the other")
        self.settings = settings or get_settings()
        self._lock = threading.RLock()
        self._built: dict[str, object] = {}
        self._owns_engine = engine is None
        given = {"engine": engine, "analyzer": analyzer, "redactor": redactor, "language_detector": language_detector}
        self._built.update({name: value for name, value in given.items() if value is not None})
        if analyzer is not None:
            self._built.setdefault("language_detector", analyzer.language_detector)
        self.frame_cache = frame_cache or FrameCache()
        self.trainer = trainer

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            value: T = self._built[name]  # type: ignore[assignment]
            return value

    @property
    def engine(self) -> Engine:
        """The database, migrated to the newest revision."""

        def build() -> Engine:
            engine = make_engine(self.settings.resolved_database_url())
            migrate(engine)
            return engine

        return self._once("engine", build)

    @property
    def redactor(self) -> Redactor:
        """One redactor for everything this process stores or shows: with the spaCy NER pipeline of
        `VOCENGINE_SPACY_NER_MODEL` when one is configured."""
        if "analyzer" in self._built:
            return self.analyzer.redactor
        return self._once("redactor", lambda: Redactor(load_ner(self.settings.spacy_ner_model)))

    @property
    def language_detector(self) -> LanguageDetector:
        return self._once("language_detector", LanguageDetector)

    @property
    def analyzer(self) -> Analyzer:
        """The models of `VOCENGINE_MODEL_DIR` with the configured journey map (loaded once per process)."""
        return self._once(
            "analyzer",
            lambda: Analyzer.default(
                settings=self.settings, redactor=self.redactor, language_detector=self.language_detector
            ),
        )

    @property
    def active(self) -> ActiveAnalyzer:
        """The analyzer of the database's active model version and journey map, looked up before each use."""
        return self._once("active", lambda: ActiveAnalyzer(self.engine, self.analyzer))

    @property
    def queue_depth(self) -> DepthGauge:
        """Responses waiting to be scored, counted at most once per `queue_depth_cache_seconds`."""
        return self._once("queue_depth", lambda: DepthGauge(self.engine, self.settings.queue_depth_cache_seconds))

    def close(self) -> None:
        """Let go of the database connections this runtime opened (an engine passed in is its owner's)."""
        with self._lock:
            engine = self._built.get("engine")
            if self._owns_engine and isinstance(engine, Engine):
                engine.dispose()
