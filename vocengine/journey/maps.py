"""Journey maps: stages in journey order, each with touchpoints described in the customer's words."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vocengine.errors import JourneyMapError
from vocengine.journey.learned import NONE
from vocengine.validation import unstorable

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class Target(BaseModel):
    """What a stage or touchpoint should be like: the ideal journey the real one is held against."""

    model_config = ConfigDict(extra="forbid")

    moment: Literal["positive", "neutral", "mixed"] | None = Field(
        None, description="the defining moment it should be (positive for a moment of truth)"
    )
    min_net_sentiment: float | None = Field(
        None, ge=-100, le=100, description="the net sentiment (% positive - % negative sentences) it should reach"
    )

    @model_validator(mode="after")
    def _says_something(self) -> Target:
        if self.moment is None and self.min_net_sentiment is None:
            raise ValueError("a target needs moment or min_net_sentiment")
        return self


OWNER_FIELD = Field(None, min_length=1, max_length=100, description="the team that delivers it")


class Touchpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=2000)
    examples: list[str] = Field(default_factory=list, max_length=200)
    owner: str | None = OWNER_FIELD
    target: Target | None = None

    @field_validator("examples")
    @classmethod
    def _examples_not_blank(cls, examples: list[str]) -> list[str]:
        for i, example in enumerate(examples):
            if not example.strip():
                raise ValueError(f"example {i} is empty")
        return examples


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    owner: str | None = Field(None, min_length=1, max_length=100, description="owner of touchpoints that name none")
    target: Target | None = None
    touchpoints: list[Touchpoint] = Field(min_length=1)


class JourneyMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    version: str | None = None
    description: str | None = None
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> JourneyMap:
        seen_stages: set[str] = set()
        seen_touchpoints: set[str] = set()
        for s, stage in enumerate(self.stages):
            if stage.id in seen_stages:
                raise ValueError(f"stages.{s}.id {stage.id!r} is used twice")
            seen_stages.add(stage.id)
            for t, touchpoint in enumerate(stage.touchpoints):
                if touchpoint.id == NONE:
                    raise ValueError(f"stages.{s}.touchpoints.{t}.id {NONE!r} is reserved for 'none of these' labels")
                if touchpoint.id in seen_touchpoints:
                    raise ValueError(f"stages.{s}.touchpoints.{t}.id {touchpoint.id!r} is used twice")
                seen_touchpoints.add(touchpoint.id)
        return self

    def touchpoints(self) -> list[tuple[Stage, Touchpoint]]:
        return [(stage, tp) for stage in self.stages for tp in stage.touchpoints]

    def owner_of(self, touchpoint_id: str) -> str | None:
        """The team that owns a touchpoint: its own owner, else its stage's."""
        for stage, touchpoint in self.touchpoints():
            if touchpoint.id == touchpoint_id:
                return touchpoint.owner or stage.owner
        return None

    def fingerprint(self) -> str:
        """A short content hash: the same map always has the same one, whatever file it came from. Owners and
        targets count only where a map sets them, so maps written before they existed keep their fingerprint."""
        return _hash(_without_unset_plans(self.model_dump()))

    def assignment_fingerprint(self) -> str:
        """A hash of what touchpoint assignment reads (ids, names, descriptions, examples): two maps that differ
        only in owners or targets assign every sentence alike."""
        dump = self.model_dump(exclude={"stages": {"__all__": {"owner": True, "target": True, "touchpoints": {
            "__all__": {"owner", "target"}}}}})  # fmt: skip
        return _hash(dump)


PLAN_FIELDS = ("owner", "target")


def _without_unset_plans(dump: dict[str, Any]) -> dict[str, Any]:
    for stage in dump["stages"]:
        for item in [stage, *stage["touchpoints"]]:
            for name in PLAN_FIELDS:
                if item.get(name) is None:
                    item.pop(name, None)
    return dump


def _hash(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _first_error(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"])
    detail = str(error["msg"]).removeprefix("Value error, ")
    if not field and " " in detail:
        # Cross-field checks name their field first: "stages.0.id 'x' is used twice".
        field, detail = detail.split(" ", 1)
    return field or "(top level)", detail


def parse_journey_map(data: object, source: str = "<data>") -> JourneyMap:
    if not isinstance(data, dict):
        raise JourneyMapError(
            "E201", source=source, field="(top level)", detail="expected a mapping with name and stages"
        )
    # The definition is stored as it came (a JSON column): what no database can store or serve back (a lone
    # surrogate, NUL, NaN), anywhere in it, is refused before its shape is checked.
    found = unstorable(data)
    if found:
        field, detail = found
        raise JourneyMapError("E201", source=source, field=field or "(top level)", detail=detail)
    try:
        return JourneyMap.model_validate(data)
    except ValidationError as exc:
        field, detail = _first_error(exc)
        raise JourneyMapError("E201", source=source, field=field, detail=detail) from exc


def load_journey_map(path: str | Path) -> JourneyMap:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise JourneyMapError("E202", source=str(path), detail=str(exc).splitlines()[0]) from exc
    return parse_journey_map(data, source=str(path))
