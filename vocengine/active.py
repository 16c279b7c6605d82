"""The engine as the database says it should be now: the active model version and the active journey map.

Both are looked up before each batch and each request, so every worker and the API follow a promotion, a
rollback or a new map without a restart. Models load once per process; a new map version only embeds that
map's prototypes.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import Engine

from vocengine.analyzer import Analyzer
from vocengine.journey.maps import JourneyMap
from vocengine.learning import registry
from vocengine.store.journeys import active_version, as_journey_map, ensure_active
from vocengine.store.tables import ModelVersion

log = logging.getLogger(__name__)


class ActiveAnalyzer:
    def __init__(self, engine: Engine, base: Analyzer) -> None:
        self.engine = engine
        self.base = base
        predictor = base.predictor
        registry.ensure_registered(engine, predictor.model_version, predictor.model_dir, predictor.config.metrics)
        self._cache: dict[tuple[str, int], Analyzer] = {}
        self._lock = threading.Lock()

    def current(self) -> tuple[Analyzer, int]:
        """The analyzer of the active model and map, and the map version's id."""
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
