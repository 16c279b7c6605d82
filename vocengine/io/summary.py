"""The end-of-run summary of `vocengine analyze`: volume, and how customers feel at each stage."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from vocengine.journey.maps import JourneyMap
from vocengine.schemas import CommentAnalysis

UNASSIGNED = "(no touchpoint)"


@dataclass
class _StageTally:
    sentiment: Counter[str] = field(default_factory=Counter)
    emotion_sum: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    sentences: int = 0


class RunSummary:
    def __init__(self, journey: JourneyMap) -> None:
        self.journey = journey
        self.rows = 0
        self.errors = 0
        self.unscored = 0
        self.sentences = 0
        self.flags: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.comment_sentiment: Counter[str] = Counter()
        self.stages: dict[str, _StageTally] = defaultdict(_StageTally)

    def add_error(self) -> None:
        self.rows += 1
        self.errors += 1

    def add(self, result: CommentAnalysis) -> None:
        self.rows += 1
        self.sentences += len(result.sentences)
        self.flags.update(f.code for f in result.flags)
        self.languages[result.language] += 1
        if not result.scored:
            self.unscored += 1
        if result.sentiment:
            self.comment_sentiment[result.sentiment.label] += 1
        for sentence in result.sentences:
            if sentence.sentiment is None:
                continue
            tally = self.stages[sentence.stage or UNASSIGNED]
            tally.sentences += 1
            tally.sentiment[sentence.sentiment.label] += 1
            for label, p in (sentence.emotions or {}).items():
                tally.emotion_sum[label] += p

    def render(self) -> str:
        lines = [
            f"rows: {self.rows}  analysed: {self.rows - self.errors - self.unscored}  "
            f"not scored: {self.unscored}  errors: {self.errors}  sentences: {self.sentences}",
        ]
        if self.comment_sentiment:
            total = sum(self.comment_sentiment.values())
            parts = [f"{k} {100 * self.comment_sentiment[k] / total:.0f}%" for k in ("negative", "neutral", "positive")]
            lines.append("comment sentiment: " + ", ".join(parts))
        if self.flags:
            lines.append("flags: " + ", ".join(f"{code} x{n}" for code, n in sorted(self.flags.items())))
        order = [s.id for s in self.journey.stages] + [UNASSIGNED]
        lines.append("")
        lines.append(f"{'stage':<16} {'sentences':>9} {'neg':>5} {'neu':>5} {'pos':>5} {'net':>5}  top emotions")
        for stage in order:
            tally = self.stages.get(stage)
            if not tally or not tally.sentences:
                continue
            n = tally.sentences
            neg, neu, pos = (100 * tally.sentiment[k] / n for k in ("negative", "neutral", "positive"))
            means = {k: v / n for k, v in tally.emotion_sum.items() if k != "neutral"}
            top = sorted(means, key=lambda k: -means[k])[:3]
            emotions = ", ".join(f"{k} {means[k]:.2f}" for k in top)
            lines.append(f"{stage:<16} {n:>9} {neg:>4.0f}% {neu:>4.0f}% {pos:>4.0f}% {pos - neg:>+5.0f}  {emotions}")
        return "\n".join(lines)
