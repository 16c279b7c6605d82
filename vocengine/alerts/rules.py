"""What an alert rule may say: one condition model per kind, told apart by `kind`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vocengine.model.labels import EMOTION_LABELS

SPIKE, CONTACT_AT_RISK, RESPONSE_MATCH = "spike", "contact_at_risk", "response_match"
BATCH_KINDS = (CONTACT_AT_RISK, RESPONSE_MATCH)
Ident = Annotated[str, Field(min_length=1, max_length=200)]


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpikeCondition(_Condition):
    """A touchpoint's (or stage's) week far from its own recent weeks: z = (this week − mean) / SD of the
    `window_weeks` weeks before it. Weeks are ISO weeks (Monday, UTC); this week counts from its Monday."""

    kind: Literal["spike"]
    level: Literal["touchpoint", "stage"] = "touchpoint"
    target: str | None = Field(None, min_length=1, max_length=64, description="one touchpoint or stage; null: each")
    measure: Literal["negative_share", "volume"] = Field(
        "negative_share", description="share of negative sentences, or comments (volume)"
    )
    direction: Literal["up", "down", "both"] = "up"
    z: float = Field(2.0, gt=0, le=10, description="standard deviations from the baseline that fire")
    window_weeks: int = Field(8, ge=2, le=52, description="weeks of baseline before this one")
    min_baseline_weeks: int = Field(3, ge=2, le=52, description="weeks with feedback the baseline needs")
    min_volume: int = Field(
        20, ge=1, le=1_000_000, description="comments this week under which nothing fires (noise pages no one)"
    )

    @model_validator(mode="after")
    def _baseline_fits(self) -> SpikeCondition:
        if self.min_baseline_weeks > self.window_weeks:
            raise ValueError("min_baseline_weeks cannot be more than window_weeks")
        return self


class ContactAtRiskCondition(_Condition):
    """An account's worst contact becomes at risk (`vocengine.insights.accounts`: net sentiment ≤ −20 or a
    negative share ≥ 35 %) over the last `window_days`, with the feedback just scored."""

    kind: Literal["contact_at_risk"]
    account_ids: list[Ident] | None = Field(None, max_length=1000, description="only these accounts; null: all")
    window_days: int = Field(30, ge=1, le=365)


class ResponseMatchCondition(_Condition):
    """One scored response matching every condition given (at least one must be)."""

    kind: Literal["response_match"]
    sentiment: Literal["negative", "neutral", "positive"] | None = Field(None, description="the comment's sentiment")
    emotions: list[str] = Field(
        default_factory=list, max_length=28, description="any of these among a sentence's top emotions"
    )
    min_emotion: float | None = Field(
        None, gt=0, le=1, description="match an emotion by its probability instead of the model's tuned thresholds"
    )
    personas: list[Ident] | None = Field(None, max_length=100)
    segment: dict[str, str] | None = Field(None, description="every key given has this value in the response")
    sources: list[Literal["survey", "ticket", "review", "chat", "other"]] | None = None
    score_type: Literal["nps", "csat"] | None = None
    score_min: float | None = None
    score_max: float | None = None
    touchpoints: list[Ident] | None = Field(None, max_length=200, description="a sentence at one of these")
    stages: list[Ident] | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _says_something(self) -> ResponseMatchCondition:
        unknown = [e for e in self.emotions if e not in EMOTION_LABELS]
        if unknown:
            raise ValueError(f"unknown emotions {unknown}; known: {', '.join(EMOTION_LABELS)}")
        if self.min_emotion is not None and not self.emotions:
            raise ValueError("min_emotion needs emotions")
        if self.score_min is not None and self.score_max is not None and self.score_min > self.score_max:
            raise ValueError("score_min is above score_max")
        given = self.model_dump(exclude={"kind", "min_emotion"}, exclude_defaults=True)
        if not given:
            raise ValueError("a response_match rule needs at least one condition")
        return self


Condition = Annotated[SpikeCondition | ContactAtRiskCondition | ResponseMatchCondition, Field(discriminator="kind")]


class RuleSpec(BaseModel):
    """A rule as written by an admin: create and replace take the same fields."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    condition: Condition
    enabled: bool = True


def parse_condition(data: dict[str, object]) -> SpikeCondition | ContactAtRiskCondition | ResponseMatchCondition:
    """A stored condition back as its model."""
    return RuleSpec.model_validate({"name": "-", "condition": data}).condition
