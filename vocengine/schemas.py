"""The engine's output contract: what `analyze` returns and `vocengine analyze` writes, one per input row."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from vocengine.errors import MESSAGES


class Flag(BaseModel):
    code: str
    message: str

    @classmethod
    def of(cls, code: str, **fields: object) -> Flag:
        return cls(code=code, message=MESSAGES[code].format(**fields))


class Sentiment(BaseModel):
    label: str = Field(description="negative, neutral or positive")
    scores: dict[str, float] = Field(description="probability of each sentiment; they sum to 1")
    method: str = Field("model", description="'model', or 'emoji_lexicon' for text without words")


class TouchpointRef(BaseModel):
    stage: str
    touchpoint: str
    score: float = Field(description="similarity to the touchpoint's description and examples")


class SentenceAnalysis(BaseModel):
    text: str = Field(description="the sentence, redacted")
    start: int = Field(description="character offset in the redacted comment text")
    end: int
    sentiment: Sentiment | None
    top_emotions: list[str]
    emotions: dict[str, float] | None = None
    ekman: dict[str, float] | None = None
    stage: str | None
    touchpoint: str | None
    touchpoint_score: float | None


class CommentAnalysis(BaseModel):
    id: str | None
    text: str = Field(description="the comment after cleaning and redaction")
    language: str = Field(description="ISO 639-1 code; 'und' when there are no words to tell")
    scored: bool = Field(description="false when the text is empty or not English: no scores are made up")
    sentiment: Sentiment | None
    emotions: dict[str, float] | None
    top_emotions: list[str]
    ekman: dict[str, float] | None
    touchpoints: list[TouchpointRef]
    primary_touchpoint: TouchpointRef | None
    sentences: list[SentenceAnalysis]
    flags: list[Flag] = Field(default_factory=list)
    redactions: dict[str, int] = Field(default_factory=dict, description="how many items of each kind were redacted")
    truncated: bool = False
    model_version: str
    journey_map: str = Field(description="name and fingerprint of the journey map used")

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class RowError(BaseModel):
    """Written in place of an analysis when an input row could not be read at all."""

    id: str | None
    row: int
    error: Flag
