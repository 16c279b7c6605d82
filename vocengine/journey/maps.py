"""Journey maps: stages in journey order, each with touchpoints described in the customer's words."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vocengine.errors import JourneyMapError
from vocengine.journey.learned import NONE

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class Touchpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=2000)
    examples: list[str] = Field(default_factory=list, max_length=200)

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

    def fingerprint(self) -> str:
        """A short content hash: the same map always has the same one, whatever file it came from."""
        canonical = json.dumps(self.model_dump(), sort_keys=True, ensure_ascii=False)
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
