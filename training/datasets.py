"""Readers for the public datasets in ../shared/datasets (see its README for what each one is)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS

DEFAULT_DATASET_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
# The project's own small set of customer-feedback sentences with sentiment labels (see its README).
FEEDBACK_TRAIN_DIR = Path(__file__).resolve().parent / "data" / "feedback_sentiment_train"

# GoEmotions' sentiment groups; "ambiguous" (surprise, confusion, curiosity, realization) has no
# sentiment label of its own, so those comments train the emotion heads only.
GROUP_TO_SENTIMENT = {"negative": "negative", "neutral": "neutral", "positive": "positive"}


@dataclass
class Example:
    text: str
    emotions: list[int] | None = None  # multi-hot over EMOTION_LABELS
    ekman: list[int] | None = None  # multi-hot over EKMAN_LABELS
    sentiment: int | None = None  # index into SENTIMENT_LABELS
    source: str = ""


@dataclass
class Splits:
    train: list[Example] = field(default_factory=list)
    dev: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _check_labels(path: Path, expected: tuple[str, ...]) -> None:
    found = tuple(_read_lines(path))
    if found != expected:
        raise ValueError(f"{path} lists {found}, expected {expected}")


def _multi_hot(ids: str, size: int) -> list[int]:
    vector = [0] * size
    for label_id in ids.split(","):
        vector[int(label_id)] = 1
    return vector


def load_goemotions(dataset_dir: Path, split: str) -> list[Example]:
    root = dataset_dir / "goemotions"
    _check_labels(root / "original" / "labels.txt", EMOTION_LABELS)
    _check_labels(root / "ekman" / "labels.txt", EKMAN_LABELS)
    groups = tuple(_read_lines(root / "group" / "labels.txt"))
    original = [line.split("\t") for line in _read_lines(root / "original" / f"{split}.tsv")]
    ekman = [line.split("\t") for line in _read_lines(root / "ekman" / f"{split}.tsv")]
    group = [line.split("\t") for line in _read_lines(root / "group" / f"{split}.tsv")]
    examples = []
    for orig, ekm, grp in zip(original, ekman, group, strict=True):
        if not (orig[2] == ekm[2] == grp[2]):
            raise ValueError(f"GoEmotions {split}: rows out of step at comment {orig[2]}")
        group_names = {groups[int(i)] for i in grp[1].split(",")}
        sentiments = {GROUP_TO_SENTIMENT[g] for g in group_names if g in GROUP_TO_SENTIMENT}
        sentiment = SENTIMENT_LABELS.index(sentiments.pop()) if len(sentiments) == 1 else None
        examples.append(
            Example(
                text=orig[0],
                emotions=_multi_hot(orig[1], len(EMOTION_LABELS)),
                ekman=_multi_hot(ekm[1], len(EKMAN_LABELS)),
                sentiment=sentiment,
                source="goemotions",
            )
        )
    return examples


def load_tweet_sentiment(dataset_dir: Path, seed: int = 13, dev_size: int = 1000, test_size: int = 2500) -> Splits:
    """TweetEval's val and test tweets, pooled and re-split with a fixed seed.

    The dataset README says these splits are provided as training data, so the held-out part here is
    our own: figures on it are not TweetEval benchmark results.
    """
    root = dataset_dir / "tweeteval-sentiment"
    mapping = [line.split("\t")[1] for line in _read_lines(root / "mapping.txt")]
    if tuple(mapping) != SENTIMENT_LABELS:
        raise ValueError(f"{root}/mapping.txt lists {mapping}, expected {SENTIMENT_LABELS}")
    examples = []
    for part in ("val", "test"):
        texts = _read_lines(root / f"{part}_text.txt")
        labels = _read_lines(root / f"{part}_labels.txt")
        examples += [
            Example(text=t.strip(), sentiment=int(y), source="tweets") for t, y in zip(texts, labels, strict=True)
        ]
    random.Random(seed).shuffle(examples)
    return Splits(
        test=examples[:test_size],
        dev=examples[test_size : test_size + dev_size],
        train=examples[test_size + dev_size :],
    )


def load_feedback_sentiment(directory: Path = FEEDBACK_TRAIN_DIR) -> list[Example]:
    """Customer-feedback sentences written and labelled by the project team, all for training: tweets
    and Reddit carry sentiment in explicit words, while customers often state a fact ("I had to reopen
    the ticket three times") and mean a complaint. training/data/feedback_sentiment_check.jsonl, written
    separately, is the held-out check."""
    examples = []
    for path in sorted(directory.glob("*.jsonl")):
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("sentiment") not in SENTIMENT_LABELS:
                raise ValueError(f"{path}:{line_number}: sentiment must be one of {SENTIMENT_LABELS}")
            examples.append(
                Example(text=row["text"], sentiment=SENTIMENT_LABELS.index(row["sentiment"]), source="feedback")
            )
    return examples


def load_all(dataset_dir: Path) -> dict[str, Splits]:
    return {
        "goemotions": Splits(
            train=load_goemotions(dataset_dir, "train"),
            dev=load_goemotions(dataset_dir, "dev"),
            test=load_goemotions(dataset_dir, "test"),
        ),
        "tweets": load_tweet_sentiment(dataset_dir),
        "feedback": Splits(train=load_feedback_sentiment()),
    }
