"""Assign each sentence to the touchpoint whose description and examples it is closest to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vocengine.journey.learned import NONE, LearnedTouchpoints, TouchpointHead
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
    prototypes: one close example is not enough evidence, an average over all of them drowns it.

    With a head learnt from labels for exactly this map's touchpoints (`with_learned`), the head's
    probabilities decide instead, and `score` is the chosen touchpoint's probability."""

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
        # Sentences labelled "none of these": a sentence closer to them than to any touchpoint gets none.
        self._none = np.zeros((0, self._prototypes.shape[1]), dtype=np.float32)
        self.head: TouchpointHead | None = None

    @classmethod
    def build(cls, journey: JourneyMap, embed: Embed, threshold: float, top_k: int = 3) -> TouchpointAssigner:
        texts, owners = touchpoint_prototypes(journey)
        return cls(journey, embed(texts), owners, threshold, top_k)

    def with_extra_prototypes(self, embeddings: np.ndarray, owners: list[int]) -> TouchpointAssigner:
        extended = TouchpointAssigner(
            self.journey,
            np.vstack([self._prototypes, embeddings]),
            [*self._owners.tolist(), *owners],
            self.threshold,
            self.top_k,
        )
        extended._none, extended.head = self._none, self.head
        return extended

    def with_learned(self, learned: LearnedTouchpoints | None) -> TouchpointAssigner:
        """This map's assigner plus what was learnt from labels: the head if it was trained for exactly
        these touchpoints, and the labelled sentences of the touchpoints this map still has."""
        if learned is None or len(learned) == 0:
            return self
        index = {touchpoint.id: i for i, (_, touchpoint) in enumerate(self._pairs)}
        keep = [row for row, tp in enumerate(learned.touchpoints) if tp in index]
        extended = self.with_extra_prototypes(learned.embeddings[keep], [index[learned.touchpoints[r]] for r in keep])
        none_rows = [row for row, tp in enumerate(learned.touchpoints) if tp == NONE]
        extended._none = learned.embeddings[none_rows].astype(np.float32)
        if learned.head is not None and learned.head.fits(list(index)):
            extended.head = learned.head
        return extended

    @property
    def prototype_count(self) -> int:
        return len(self._prototypes) + len(self._none)

    def similarities(self, embeddings: np.ndarray) -> np.ndarray:
        """(sentences, touchpoints): mean cosine similarity to each touchpoint's top-k prototypes."""
        similarity = embeddings @ self._prototypes.T
        out = np.empty((len(embeddings), len(self._pairs)), dtype=np.float32)
        for t, group in enumerate(self._groups):
            out[:, t] = self._top_k_mean(similarity[:, group])
        return out

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(sentences, touchpoints) matrix of scores: the head's probabilities, or the similarities."""
        if self.head is not None:
            return self.head.probabilities(embeddings)[:, : len(self._pairs)]
        return self.similarities(embeddings)

    def none_scores(self, embeddings: np.ndarray) -> np.ndarray | None:
        """How strongly each sentence belongs to no touchpoint; None when no "none" label says so."""
        if self.head is not None:
            if self.head.classes[-1] != NONE:
                return None
            none_probability: np.ndarray = self.head.probabilities(embeddings)[:, -1]
            return none_probability
        if len(self._none) == 0:
            return None
        return self._top_k_mean(embeddings @ self._none.T)

    def margins(self, embeddings: np.ndarray) -> np.ndarray:
        """How sure each assignment is (small: unsure): the gap between the two best answers, "none"
        included, and with similarities also the distance to the threshold."""
        scores = self.scores(embeddings)
        none = self.none_scores(embeddings)
        candidates = scores if none is None else np.hstack([scores, none[:, None]])
        ranked = np.sort(candidates, axis=1)
        gap = ranked[:, -1] - ranked[:, -2] if candidates.shape[1] > 1 else np.ones(len(scores))
        if self.head is not None:
            return gap
        margins: np.ndarray = np.minimum(gap, np.abs(scores.max(1) - self.threshold))
        return margins

    def _top_k_mean(self, sims: np.ndarray) -> np.ndarray:
        k = min(self.top_k, sims.shape[1])
        top: np.ndarray = np.sort(sims, axis=1)[:, -k:].mean(1)
        return top

    def assign(self, embeddings: np.ndarray) -> list[Assignment | None]:
        if len(embeddings) == 0:
            return []
        scores = self.scores(embeddings)
        best = scores.argmax(1)
        none = self.none_scores(embeddings)
        # Without a "none" class the similarity threshold still decides what is about no touchpoint.
        below = self.similarities(embeddings).max(1) < self.threshold if none is None or self.head is None else None
        result: list[Assignment | None] = []
        for row, t in enumerate(best):
            score = float(scores[row, t])
            if (below is not None and below[row]) or (none is not None and none[row] > score):
                result.append(None)
            else:
                stage, touchpoint = self._pairs[t]
                result.append(Assignment(stage.id, touchpoint.id, round(score, 4)))
        return result
