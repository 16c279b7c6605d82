"""What the service holds for its lifetime: the process's runtime, and the embedded worker if it runs one."""

from __future__ import annotations

from dataclasses import dataclass

from vocengine.runtime import Runtime
from vocengine.worker import ScoringWorker


@dataclass
class ServiceState:
    runtime: Runtime
    worker: ScoringWorker | None = None
