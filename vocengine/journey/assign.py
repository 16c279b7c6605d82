"""Assign each sentence to the touchpoint whose description and examples it is closest to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vocengine.journey.maps import JourneyMap

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Assignment:
    stage: str
    touchpoint: str
    score: float


def touchpoint_prototypes(journey: JourneyMap) -> tuple[list[str], list[int]]:
    """Texts that stand for each touchpoint: its name with its description, and each example."""
    texts: list[str] = []
    owners: list[int] = []
    for index, (_, touchpoint) in enumerate(journey.touchpoints()):
        for text in [f"{touchpoint.name}: {touchpoint.description}", *touchpoint.examples]:
            texts.append(text)
            owners.append(index)
    return texts, owners


class TouchpointAssigner:
    """Scores a sentence against a touchpoint as the mean cosine similarity of its `top_k` closest
    prototypes: one close example is not enough evidence, an average over all of them drowns it."""

    def __init__(
        self,
        journey: JourneyMap,
        prototypes: np.ndarray,
        owners: list[int],
        threshold: float,
        top_k: int = 3,
    ) -> None:
        self.journey = journey
        self.threshold = threshold
        self.top_k = top_k
        self._pairs = journey.touchpoints()
        self._prototypes = prototypes.astype(np.float32)
        self._owners = np.asarray(owners)
        self._groups = [np.flatnonzero(self._owners == i) for i in range(len(self._pairs))]

    @classmethod
    def build(cls, journey: JourneyMap, embed: Embed, threshold: float, top_k: int = 3) -> TouchpointAssigner:
        texts, owners = touchpoint_prototypes(journey)
        return cls(journey, embed(texts), owners, threshold, top_k)

    def with_extra_prototypes(self, embeddings: np.ndarray, owners: list[int]) -> TouchpointAssigner:
        return TouchpointAssigner(
            self.journey,
            np.vstack([self._prototypes, embeddings]),
            [*self._owners.tolist(), *owners],
            self.threshold,
            self.top_k,
        )

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(sentences, touchpoints) matrix of scores."""
        similarity = embeddings @ self._prototypes.T
        out = np.empty((len(embeddings), len(self._pairs)), dtype=np.float32)
        for t, group in enumerate(self._groups):
            sims = similarity[:, group]
            k = min(self.top_k, sims.shape[1])
            out[:, t] = np.sort(sims, axis=1)[:, -k:].mean(1)
        return out

    def assign(self, embeddings: np.ndarray) -> list[Assignment | None]:
        if len(embeddings) == 0:
            return []
        scores = self.scores(embeddings)
        best = scores.argmax(1)
        result: list[Assignment | None] = []
        for row, t in enumerate(best):
            score = float(scores[row, t])
            if score < self.threshold:
                result.append(None)
            else:
                stage, touchpoint = self._pairs[t]
                result.append(Assignment(stage.id, touchpoint.id, round(score, 4)))
        return result
