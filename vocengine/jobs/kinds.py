"""The kinds of job a worker knows. A new kind: its module, and one line here."""

from __future__ import annotations

from vocengine.jobs import JobKind
from vocengine.jobs.connector_fetch import ConnectorFetch
from vocengine.jobs.reassign import ReassignMap
from vocengine.jobs.rescore import Rescore
from vocengine.jobs.spikes import SpikeAlerts
from vocengine.jobs.themes import Gaps, Themes
from vocengine.jobs.train import Train

KINDS: dict[str, JobKind] = {
    kind.name: kind for kind in (Rescore(), ReassignMap(), ConnectorFetch(), SpikeAlerts(), Themes(), Gaps(), Train())
}
