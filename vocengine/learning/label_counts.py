"""How many labels are in force, per touchpoint of a journey map and per task: what the labelling page shows
next to each touchpoint, so CX leads see where labels are thin (the evaluation gate counts a task only from
`min_holdout` held-out labels, and a touchpoint is learnt only from the labels it has)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from vocengine.journey.learned import NONE
from vocengine.journey.maps import JourneyMap
from vocengine.learning.labels import HOLDOUT, TASKS, EffectiveLabel


@dataclass
class TouchpointCount:
    stage: str
    touchpoint: str
    name: str
    labels: int
    holdout: int  # of `labels`, those kept for the evaluation gate


@dataclass
class TaskCount:
    labels: int
    holdout: int


@dataclass
class LabelCounts:
    touchpoints: list[TouchpointCount]  # every touchpoint of the map, in journey order, 0 included
    none: TaskCount  # labelled "none of these touchpoints"
    other_touchpoints: TaskCount  # of touchpoints the map no longer has (labelled under an earlier map)
    tasks: dict[str, TaskCount]  # per task (sentiment, emotion, touchpoint): texts with a label in force


def count_labels(entries: Iterable[EffectiveLabel], journey: JourneyMap) -> LabelCounts:
    """Counted over the labels in force (`labels.effective`): a text relabelled counts once, by its latest."""
    per_touchpoint: Counter[str] = Counter()
    per_touchpoint_holdout: Counter[str] = Counter()
    per_task: Counter[str] = Counter()
    per_task_holdout: Counter[str] = Counter()
    for entry in entries:
        held = entry.split == HOLDOUT
        for task in TASKS:
            if entry.has(task):
                per_task[task] += 1
                per_task_holdout[task] += held
        if entry.touchpoint is not None:
            per_touchpoint[entry.touchpoint] += 1
            per_touchpoint_holdout[entry.touchpoint] += held
    known = {tp.id for _, tp in journey.touchpoints()}
    others = [tp for tp in per_touchpoint if tp not in known and tp != NONE]
    return LabelCounts(
        touchpoints=[
            TouchpointCount(stage.id, tp.id, tp.name, per_touchpoint[tp.id], per_touchpoint_holdout[tp.id])
            for stage, tp in journey.touchpoints()
        ],
        none=TaskCount(per_touchpoint[NONE], per_touchpoint_holdout[NONE]),
        other_touchpoints=TaskCount(
            sum(per_touchpoint[tp] for tp in others), sum(per_touchpoint_holdout[tp] for tp in others)
        ),
        tasks={task: TaskCount(per_task[task], per_task_holdout[task]) for task in TASKS},
    )
