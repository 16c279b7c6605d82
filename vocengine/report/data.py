"""The report's numbers, from analysed comments: per stage and touchpoint in journey order, per persona,
the moments ranked, and the trend over time when comments carry a date.

The rules are the insights' own (`vocengine.insights.journey`, `vocengine.insights.moments`): net sentiment
is % positive − % negative scored sentences, the defining moment needs MIN_SENTENCES sentences (below it
the report says "too few to judge"), impact is the number of negative sentences and neutral risk the number
of neutral ones. Only scored sentences count; texts are the analyzer's, already redacted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from vocengine.insights.journey import MIN_SENTENCES, defining_moment
from vocengine.insights.measures import SentimentDistribution
from vocengine.io.readers import Record
from vocengine.io.summary import RunSummary
from vocengine.journey.maps import JourneyMap
from vocengine.schemas import CommentAnalysis, SentenceAnalysis

EXAMPLES = 3
TOP_EMOTIONS = 3
MOMENTS = 10
# A daily trend over more than this many days is drawn by week (weeks start on Monday, as in insights.trends).
DAILY_UP_TO = 45


@dataclass
class _Tally:
    sentiment: Counter[str] = field(default_factory=Counter)
    emotion_sum: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    emotion_n: int = 0
    comments: set[int] = field(default_factory=set)
    examples: list[tuple[float, str, str]] = field(default_factory=list)  # (p_negative, sentiment, text)

    def add(self, comment: int, sentence: SentenceAnalysis, keep_example: bool = False) -> None:
        assert sentence.sentiment is not None
        self.sentiment[sentence.sentiment.label] += 1
        self.comments.add(comment)
        if sentence.emotions:
            self.emotion_n += 1
            for label, p in sentence.emotions.items():
                self.emotion_sum[label] += p
        if keep_example:
            p_negative = sentence.sentiment.scores.get("negative", 0.0)
            self.examples.append((p_negative, sentence.sentiment.label, sentence.text))
            if len(self.examples) > 4 * EXAMPLES:
                self._keep_candidates()

    def _keep_candidates(self) -> None:
        """Only what `pick_examples` can still pick: the two most negative and the most positive so far, in
        the order they came (so ties pick as they would from every sentence). A report of a large database
        holds a few sentences per touchpoint, not all of them."""
        ranked = sorted(range(len(self.examples)), key=lambda i: -self.examples[i][0])
        keep = {*ranked[:2], *ranked[-1:]}
        self.examples = [example for i, example in enumerate(self.examples) if i in keep]

    def point(self, id_: str, name: str) -> dict[str, Any]:
        distribution = SentimentDistribution.of(
            self.sentiment["negative"], self.sentiment["neutral"], self.sentiment["positive"]
        )
        means = {k: v / self.emotion_n for k, v in self.emotion_sum.items() if k != "neutral"} if self.emotion_n else {}
        top = sorted(means, key=lambda k: (-means[k], k))[:TOP_EMOTIONS]
        return {
            "id": id_,
            "name": name,
            "sentences": distribution.total,
            "comments": len(self.comments),
            "sentiment": distribution.model_dump(),
            "net_sentiment": distribution.net(),
            "moment": defining_moment(distribution),
            "top_emotions": [{"label": k, "mean": round(means[k], 4)} for k in top],
        }

    def pick_examples(self) -> list[dict[str, str]]:
        """The most negative, the most positive, then the next most negative: both sides of the touchpoint."""
        ranked = sorted(self.examples, key=lambda e: -e[0])
        picked: list[tuple[float, str, str]] = []
        for candidate in (ranked[:1], ranked[-1:], ranked[1:2]):
            for example in candidate:
                if example not in picked and len(picked) < EXAMPLES:
                    picked.append(example)
        return [{"sentiment": label, "text": text} for _, label, text in picked]


class ReportBuilder:
    """Collects analysed comments one at a time (as `vocengine analyze` streams them); `build` returns the
    report's data, a JSON-able dict."""

    def __init__(self, journey: JourneyMap, source: str = "", date_column: str = "submitted_at") -> None:
        self.journey = journey
        self.source = source
        self.date_column = date_column
        self.comments = 0
        self.dated = 0
        self.stages: dict[str, _Tally] = defaultdict(_Tally)
        self.touchpoints: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
        self.unassigned = _Tally()
        self.personas: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
        self.days: dict[tuple[date, str], _Tally] = defaultdict(_Tally)

    def add(self, record: Record, result: CommentAnalysis) -> None:
        self.comments += 1
        comment = self.comments
        persona = _text(record.fields.get("persona"))
        day = _day(record.fields.get(self.date_column))
        if day is not None:
            self.dated += 1
        for sentence in result.sentences:
            if sentence.sentiment is None:
                continue
            if sentence.stage is None:
                self.unassigned.add(comment, sentence)
                continue
            self.stages[sentence.stage].add(comment, sentence)
            if sentence.touchpoint is not None:
                self.touchpoints[(sentence.stage, sentence.touchpoint)].add(comment, sentence, keep_example=True)
            if persona is not None:
                self.personas[persona][sentence.stage].add(comment, sentence)
            if day is not None:
                self.days[(day, sentence.stage)].add(comment, sentence)

    def build(self, summary: RunSummary) -> dict[str, Any]:
        stages = []
        for stage in self.journey.stages:
            point = self.stages[stage.id].point(stage.id, stage.name)
            point["touchpoints"] = []
            for touchpoint in stage.touchpoints:
                tally = self.touchpoints[(stage.id, touchpoint.id)]
                tp = tally.point(touchpoint.id, touchpoint.name)
                tp["examples"] = tally.pick_examples()
                point["touchpoints"].append(tp)
            stages.append(point)
        return {
            "journey": self.journey.name,
            "source": self.source,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "min_sentences": MIN_SENTENCES,
            "totals": {
                "rows": summary.rows,
                "analysed": summary.rows - summary.errors - summary.unscored,
                "not_scored": summary.unscored,
                "errors": summary.errors,
                "sentences": sum(s["sentences"] for s in stages) + self.unassigned.point("", "")["sentences"],
                "unassigned_sentences": self.unassigned.point("", "")["sentences"],
            },
            "stages": stages,
            "personas": self._personas(),
            "moments": self._moments(stages),
            "trends": self._trends(),
        }

    def _personas(self) -> list[dict[str, Any]]:
        personas = []
        for persona in sorted(self.personas):
            tallies = self.personas[persona]
            points = [tallies[s.id].point(s.id, s.name) for s in self.journey.stages]
            personas.append({"persona": persona, "sentences": sum(p["sentences"] for p in points), "stages": points})
        return personas

    def _moments(self, stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Touchpoints with volume, by impact (negative sentences), then neutral risk, then journey order."""
        rows = []
        for order, (stage, tp) in enumerate((s, tp) for s in stages for tp in s["touchpoints"]):
            if not tp["sentences"]:
                continue
            sentiment = tp["sentiment"]
            rows.append({
                "stage": stage["id"], "stage_name": stage["name"], "touchpoint": tp["id"], "touchpoint_name": tp["name"],
                "sentences": tp["sentences"], "net_sentiment": tp["net_sentiment"], "moment": tp["moment"],
                "impact": sentiment["negative"], "neutral_risk": sentiment["neutral"],
                "negative_share": sentiment["negative_share"], "_order": order,
            })  # fmt: skip
        rows.sort(key=lambda r: (-r["impact"], -r["neutral_risk"], r["_order"]))
        for row in rows:
            del row["_order"]
        return rows[:MOMENTS]

    def _trends(self) -> dict[str, Any] | None:
        if not self.days:
            return None
        first = min(day for day, _ in self.days)
        last = max(day for day, _ in self.days)
        interval = "day" if (last - first).days <= DAILY_UP_TO else "week"
        periods: dict[tuple[date, str], _Tally] = defaultdict(_Tally)
        for (day, stage_id), tally in self.days.items():
            start = day if interval == "day" else day - timedelta(days=day.weekday())
            merged = periods[(start, stage_id)]
            merged.sentiment.update(tally.sentiment)
            merged.comments |= tally.comments
        starts = sorted({start for start, _ in periods})
        overall: dict[date, _Tally] = defaultdict(_Tally)
        for (start, _), tally in periods.items():
            overall[start].sentiment.update(tally.sentiment)
            overall[start].comments |= tally.comments
        totals = [overall[start].point("", "") for start in starts]
        series = [{
            "stage": None, "name": "All stages",
            "net_sentiment": [p["net_sentiment"] for p in totals], "sentences": [p["sentences"] for p in totals],
        }]  # fmt: skip
        for stage in self.journey.stages:
            points = [periods[(start, stage.id)].point(stage.id, stage.name) if (start, stage.id) in periods else None
                      for start in starts]  # fmt: skip
            if any(points):
                series.append({
                    "stage": stage.id, "name": stage.name,
                    "net_sentiment": [p["net_sentiment"] if p else None for p in points],
                    "sentences": [p["sentences"] if p else 0 for p in points],
                })  # fmt: skip
        return {"interval": interval, "periods": [s.isoformat() for s in starts], "series": series}


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _day(value: Any) -> date | None:
    """The UTC day of an ISO 8601 date or timestamp (naive means UTC); None when absent or unreadable."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


def stage_counts(data: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(stage name, scored sentences) in journey order: what the report shows first."""
    return [(s["name"], s["sentences"]) for s in data["stages"]]
