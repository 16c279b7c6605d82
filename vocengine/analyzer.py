"""The analysis pipeline: text -> clean -> redact -> language -> sentences -> one encoder pass ->
sentiment, emotions and touchpoints per sentence -> comment-level roll-up.

`predict` here has no side effects: writing results anywhere is the caller's step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from vocengine.journey.assign import Assignment, TouchpointAssigner
from vocengine.journey.learned import LearnedTouchpoints
from vocengine.journey.maps import JourneyMap, load_journey_map
from vocengine.model.decision import ranked_labels
from vocengine.model.predictor import Predictions, Predictor
from vocengine.schemas import CommentAnalysis, Flag, SentenceAnalysis, Sentiment, TouchpointRef
from vocengine.settings import Settings, get_settings
from vocengine.text.clean import CleanText, decode_bytes
from vocengine.text.emoji import emoji_sentiment
from vocengine.text.language import LanguageDetector
from vocengine.text.redact import Redactor, clean_and_redact
from vocengine.text.segment import Sentence, SentenceSplitter, truncate_by_sentences

log = logging.getLogger(__name__)
ROUND = 4


@dataclass
class _Prepared:
    id: str | None
    text: str
    language: str
    sentences: list[Sentence]
    flags: list[Flag] = field(default_factory=list)
    redactions: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    scored: bool = True


@lru_cache(maxsize=4)
def _cached_predictor(model_dir: Path, base_path: Path | None, batch_size: int) -> Predictor:
    log.info("loading model from %s", model_dir)
    return Predictor.load(model_dir, base_path, batch_size)


def load_ner(name: str | None) -> object | None:
    """The spaCy pipeline `name` (an installed package or a folder), for the redactor's person names."""
    if not name:
        return None
    import spacy

    return spacy.load(name)


class Analyzer:
    def __init__(
        self,
        predictor: Predictor,
        journey: JourneyMap,
        settings: Settings | None = None,
        redactor: Redactor | None = None,
        splitter: SentenceSplitter | None = None,
        language_detector: LanguageDetector | None = None,
        learned: LearnedTouchpoints | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.predictor = predictor
        self.redactor = redactor or Redactor(load_ner(self.settings.spacy_ner_model))
        self.splitter = splitter or SentenceSplitter()
        self.language_detector = language_detector or LanguageDetector()
        self.journey = journey
        # Labelled sentences embedded by this model's encoder (stored with the model by `vocengine train`).
        self.learned = learned
        self.assigner = TouchpointAssigner.build(
            journey, predictor.embed, self.settings.touchpoint_threshold, self.settings.touchpoint_top_k
        ).with_learned(learned)
        self.journey_label = f"{journey.name}@{journey.fingerprint()}"

    @classmethod
    def default(
        cls,
        journey_map: str | Path | JourneyMap | None = None,
        settings: Settings | None = None,
        *,
        redactor: Redactor | None = None,
        language_detector: LanguageDetector | None = None,
    ) -> Analyzer:
        """The default models (loaded once per process and shared) with a journey map; the redactor and the
        language detector of the caller's runtime when given."""
        settings = settings or get_settings()
        if settings.torch_threads:
            import torch

            torch.set_num_threads(settings.torch_threads)
        predictor = _cached_predictor(settings.model_dir, settings.base_model_path, settings.batch_size)
        if journey_map is None:
            journey_map = settings.journey_map
        journey = journey_map if isinstance(journey_map, JourneyMap) else load_journey_map(journey_map)
        return cls(
            predictor,
            journey,
            settings,
            redactor=redactor,
            language_detector=language_detector,
            learned=LearnedTouchpoints.load(settings.model_dir),
        )

    def with_journey_map(self, journey: JourneyMap) -> Analyzer:
        """Same models and text handling, another map: only the map's prototypes are embedded."""
        return Analyzer(
            self.predictor, journey, self.settings, self.redactor, self.splitter, self.language_detector, self.learned
        )

    def with_model(self, model_dir: Path, journey: JourneyMap | None = None) -> Analyzer:
        """Same text handling, the model stored in `model_dir` (loaded once per process), with `journey`
        (default: this analyzer's map); only that map's prototypes go through the new encoder."""
        base_path = self.predictor.base_path or self.settings.base_model_path
        predictor = _cached_predictor(Path(model_dir), base_path, self.predictor.batch_size)
        return Analyzer(
            predictor,
            journey or self.journey,
            self.settings,
            self.redactor,
            self.splitter,
            self.language_detector,
            LearnedTouchpoints.load(model_dir),
        )

    @property
    def model_version(self) -> str:
        return self.predictor.model_version

    def analyze(self, texts: Sequence[str | bytes], ids: Sequence[str | None] | None = None) -> list[CommentAnalysis]:
        return self.analyze_with_embeddings(texts, ids)[0]

    def analyze_with_embeddings(
        self, texts: Sequence[str | bytes], ids: Sequence[str | None] | None = None
    ) -> tuple[list[CommentAnalysis], list[np.ndarray]]:
        """As `analyze`, plus each comment's sentence embeddings (sentences x hidden; none when not scored),
        which the service stores so a new journey map can re-assign touchpoints without the encoder."""
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(ids)} ids")
        prepared = [self._prepare(text, None if ids is None else ids[i]) for i, text in enumerate(texts)]
        return self._score(prepared)

    def analyze_stream(
        self, items: Iterable[tuple[str | None, str | bytes]], chunk_size: int = 256
    ) -> Iterator[CommentAnalysis]:
        """Analyse (id, text) pairs chunk by chunk, so a long file never sits in memory at once."""
        chunk: list[tuple[str | None, str | bytes]] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= chunk_size:
                yield from self.analyze([t for _, t in chunk], [i for i, _ in chunk])
                chunk = []
        if chunk:
            yield from self.analyze([t for _, t in chunk], [i for i, _ in chunk])

    # -- text handling ---------------------------------------------------------------------------

    def _prepare(self, raw: str | bytes, item_id: str | None) -> _Prepared:
        decoded = decode_bytes(raw) if isinstance(raw, bytes) else CleanText(raw)
        cleaned = clean_and_redact(decoded.text, self.redactor)
        flags = [Flag.of(code) for code in dict.fromkeys(decoded.flags + cleaned.flags)]
        text, redactions = cleaned.text, cleaned.counts
        codes = {f.code for f in flags}
        if "W401" in codes:
            return _Prepared(item_id, text, "und", [], flags, redactions, scored=False)
        limit = self.settings.max_text_chars
        truncated = False
        if len(text) > limit:
            sentences = self.splitter.split(text[: limit + 1])
            text, sentences = truncate_by_sentences(text, sentences, limit)
            truncated = True
            flags.append(Flag.of("W402", limit=limit))
        else:
            sentences = self.splitter.split(text)
        if "W406" in codes:
            return _Prepared(item_id, text, "und", sentences, flags, redactions, truncated, scored=False)
        language = self.language_detector.detect(text)
        scored = language == "en"
        if not scored:
            flags.append(Flag.of("W403", language=language))
        return _Prepared(item_id, text, language, sentences, flags, redactions, truncated, scored)

    # -- scoring ---------------------------------------------------------------------------------

    def _score(self, prepared: list[_Prepared]) -> tuple[list[CommentAnalysis], list[np.ndarray]]:
        batch = [s.text for p in prepared if p.scored for s in p.sentences]
        predictions = self.predictor.predict(batch)
        assignments = self.assigner.assign(predictions.embeddings)
        results = []
        embeddings = []
        cursor = 0
        for item in prepared:
            if item.scored:
                rows = slice(cursor, cursor + len(item.sentences))
                cursor += len(item.sentences)
                results.append(self._scored_comment(item, predictions, rows, assignments[rows]))
                embeddings.append(predictions.embeddings[rows])
            else:
                results.append(self._unscored_comment(item))
                embeddings.append(predictions.embeddings[:0])
        return results, embeddings

    def _labels(self) -> tuple[list[str], list[str], list[str]]:
        config = self.predictor.config
        return config.emotion_labels, config.ekman_labels, config.sentiment_labels

    def _sentiment(self, scores: np.ndarray, method: str = "model") -> Sentiment:
        _, _, sentiment_labels = self._labels()
        return Sentiment(
            label=sentiment_labels[int(scores.argmax())],
            scores={label: round(float(v), ROUND) for label, v in zip(sentiment_labels, scores, strict=True)},
            method=method,
        )

    def _scored_comment(
        self, item: _Prepared, predictions: Predictions, rows: slice, assignments: list[Assignment | None]
    ) -> CommentAnalysis:
        emotion_labels, ekman_labels, _ = self._labels()
        emotions, ekman, sentiment = predictions.emotions[rows], predictions.ekman[rows], predictions.sentiment[rows]
        sentences = []
        for i, (sentence, assignment) in enumerate(zip(item.sentences, assignments, strict=True)):
            sentences.append(
                SentenceAnalysis(
                    text=sentence.text,
                    start=sentence.start,
                    end=sentence.end,
                    sentiment=self._sentiment(sentiment[i]),
                    top_emotions=ranked_labels(emotions[i], self.predictor.emotion_thresholds, emotion_labels),
                    emotions=_rounded(emotion_labels, emotions[i]),
                    ekman=_rounded(ekman_labels, ekman[i]),
                    stage=assignment.stage if assignment else None,
                    touchpoint=assignment.touchpoint if assignment else None,
                    touchpoint_score=assignment.score if assignment else None,
                )
            )
        lengths = np.array([len(s.text) for s in item.sentences], dtype=np.float32)
        comment_emotions = roll_up_multilabel(emotions, emotion_labels)
        comment_ekman = roll_up_multilabel(ekman, ekman_labels)
        touchpoints = distinct_touchpoints(assignments)
        return CommentAnalysis(
            id=item.id,
            text=item.text,
            language=item.language,
            scored=True,
            sentiment=self._sentiment(roll_up_sentiment(sentiment, lengths, self._labels()[2])),
            emotions=_rounded(emotion_labels, comment_emotions),
            top_emotions=ranked_labels(comment_emotions, self.predictor.emotion_thresholds, emotion_labels),
            ekman=_rounded(ekman_labels, comment_ekman),
            touchpoints=touchpoints,
            primary_touchpoint=max(touchpoints, key=lambda t: t.score) if touchpoints else None,
            sentences=sentences,
            flags=item.flags,
            redactions=item.redactions,
            truncated=item.truncated,
            model_version=self.model_version,
            journey_map=self.journey_label,
        )

    def _unscored_comment(self, item: _Prepared) -> CommentAnalysis:
        emoji = emoji_sentiment(item.text) if any(f.code == "W406" for f in item.flags) else None
        _, _, sentiment_labels = self._labels()
        sentiment = (
            self._sentiment(np.array([emoji[label] for label in sentiment_labels]), method="emoji_lexicon")
            if emoji
            else None
        )
        return CommentAnalysis(
            id=item.id,
            text=item.text,
            language=item.language,
            scored=False,
            sentiment=sentiment,
            emotions=None,
            top_emotions=[],
            ekman=None,
            touchpoints=[],
            primary_touchpoint=None,
            sentences=[
                SentenceAnalysis(
                    text=s.text,
                    start=s.start,
                    end=s.end,
                    sentiment=None,
                    top_emotions=[],
                    stage=None,
                    touchpoint=None,
                    touchpoint_score=None,
                )  # fmt: skip
                for s in item.sentences
            ],
            flags=item.flags,
            redactions=item.redactions,
            truncated=item.truncated,
            model_version=self.model_version,
            journey_map=self.journey_label,
        )


def _rounded(labels: Sequence[str], values: np.ndarray) -> dict[str, float]:
    return {label: round(float(v), ROUND) for label, v in zip(labels, values, strict=True)}


def roll_up_multilabel(probs: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """A comment shows an emotion if any of its sentences does (max); it is neutral only as far as
    all of its sentences are (min)."""
    if len(probs) == 1:
        single: np.ndarray = probs[0]
        return single
    rolled: np.ndarray = probs.max(0)
    if "neutral" in labels:
        i = list(labels).index("neutral")
        rolled[i] = probs[:, i].min()
    return rolled


def roll_up_sentiment(probs: np.ndarray, lengths: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Length-weighted mean of sentence sentiment, where opinionated sentences weigh more than
    factual ones: "We signed in March. Onboarding was a nightmare." reads as negative."""
    if len(probs) == 1:
        single: np.ndarray = probs[0]
        return single
    neutral = probs[:, list(labels).index("neutral")] if "neutral" in labels else np.zeros(len(probs))
    weights = lengths * (1.0 - 0.7 * neutral)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(probs), 1 / len(probs))
    rolled: np.ndarray = (probs * weights[:, None]).sum(0)
    return rolled


def distinct_touchpoints(assignments: Iterable[Assignment | None]) -> list[TouchpointRef]:
    """Each touchpoint once, with the best score any sentence gave it, in order of first mention."""
    best: dict[tuple[str, str], float] = {}
    for a in assignments:
        if a is not None:
            key = (a.stage, a.touchpoint)
            best[key] = max(best.get(key, -1.0), a.score)
    return [TouchpointRef(stage=s, touchpoint=t, score=score) for (s, t), score in best.items()]
