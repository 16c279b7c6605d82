"""What the service holds for its lifetime: the process's runtime, its limits, and the embedded worker if it runs
one."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.limits import HeavyWork, RateLimits
from vocengine.runtime import Runtime
from vocengine.worker import ScoringWorker


@dataclass
class ServiceState:
    runtime: Runtime
    worker: ScoringWorker | None = None
    rate_limits: RateLimits = field(init=False)
    heavy: HeavyWork = field(init=False)

    def __post_init__(self) -> None:
        self.rate_limits = RateLimits.of(self.runtime.settings)
        self.heavy = HeavyWork(self.runtime.settings.heavy_concurrency)
