"""What the service holds for its lifetime: settings, the database engine, the engine's models, the worker."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from vocengine.settings import Settings
from vocengine.worker import ActiveAnalyzer, ScoringWorker


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    analyzer: ActiveAnalyzer
    worker: ScoringWorker | None = None
