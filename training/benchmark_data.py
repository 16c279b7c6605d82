"""Held-out evaluation sets for `python -m training.benchmark`, read from ../shared/datasets (see its README).

Every loader returns the test part it evaluates on and the train part a baseline may learn from, and says
in `rule` how the labels and the split were made. Sets without an official split are split by a stable hash
(md5 of an id, mod 10: 9 is the test fold, 0-7 train; 8 is left unused as a spare dev fold).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from training.datasets import load_feedback_sentiment, load_goemotions, load_tweet_sentiment
from training.evaluate_feedback import CHECK_FILE
from vocengine.model.labels import SENTIMENT_LABELS

NEG, NEU, POS = (SENTIMENT_LABELS.index(x) for x in ("negative", "neutral", "positive"))
TEST_FOLD = 9
TRAIN_FOLDS = range(8)
POLARITY = {"negative": NEG, "neutral": NEU, "positive": POS}


T = TypeVar("T")


@dataclass
class SentimentSet:
    name: str
    rule: str
    customer_domain: bool
    test: list[tuple[str, int]]
    train: list[tuple[str, int]]
    train_source: str
    level: str = "sentence"  # or "review": several sentences, one label


@dataclass
class LabelSet:
    """A label set turned into a journey map: one stage per group, one touchpoint per label."""

    name: str
    rule: str
    labels: list[str]  # touchpoint ids, in map order
    names: dict[str, str]
    descriptions: dict[str, str]
    groups: dict[str, str]  # label -> stage
    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)


def stable_fold(key: str) -> int:
    return int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) % 10


def capped(rows: list[T], cap: int | None, seed: int, salt: str) -> list[T]:
    """A seeded sample of at most `cap` rows, in their original order (the same sample every run)."""
    if cap is None or len(rows) <= cap:
        return rows
    keep = sorted(random.Random(f"{seed}-{salt}").sample(range(len(rows)), cap))
    return [rows[i] for i in keep]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# -- sentiment -----------------------------------------------------------------------------------


def hu_liu(root: Path) -> SentimentSet:
    rows = _csv(root / "hu-liu-customer-reviews" / "sentences.csv")
    test, train = [], []
    for row in rows:
        if row["polarity"] not in ("positive", "negative"):
            continue
        fold = stable_fold(f"{row['product']}|{row['review_index']}")
        item = (row["text"], POLARITY[row["polarity"]])
        if fold == TEST_FOLD:
            test.append(item)
        elif fold in TRAIN_FOLDS:
            train.append(item)
    return SentimentSet(
        "hu_liu_sentences",
        "sentences with annotated features of one sign (positive / negative; mixed and unannotated left out); "
        "test = reviews with md5(product|review_index) mod 10 = 9",
        True,
        test,
        train,
        "the same set, folds 0-7 (whole reviews per fold)",
    )


def _absa_sentence(categories: Iterable[dict[str, Any]]) -> int | None:
    """The polarity shared by every aspect category of a sentence, or None (mixed, conflict, no aspect)."""
    polarities = {c["polarity"] for c in categories}
    if len(polarities) != 1:
        return None
    only = polarities.pop()
    return POLARITY.get(only)


def _absa_rows(path: Path, key: str) -> list[tuple[str, int]]:
    out = []
    for row in _jsonl(path):
        label = _absa_sentence(row.get(key, []))
        if label is not None:
            out.append((row["text"], label))
    return out


ABSA_RULE = "sentences whose aspect categories all share one polarity (conflict, mixed and no-opinion left out)"


def absa_sets(root: Path) -> list[SentimentSet]:
    s14 = root / "semeval2014-absa-restaurants"
    s15, s16, mams = root / "semeval2015-absa", root / "semeval2016-absa", root / "mams-acsa"
    sets = [
        SentimentSet(
            "semeval14_restaurants",
            f"SemEval-2014 restaurants test (filtered), {ABSA_RULE}",
            True,
            _absa_rows(s14 / "test.jsonl", "aspect_categories"),
            _absa_rows(s14 / "train.jsonl", "aspect_categories"),
            "SemEval-2014 restaurants train, same rule",
        ),
        SentimentSet(
            "semeval16_restaurants",
            f"SemEval-2016 restaurants test (filtered), {ABSA_RULE}",
            True,
            _absa_rows(s16 / "restaurants_test.jsonl", "opinions"),
            _absa_rows(s16 / "restaurants_train.jsonl", "opinions"),
            "SemEval-2016 restaurants train, same rule",
        ),
        SentimentSet(
            "semeval16_laptops",
            f"SemEval-2016 laptops test (filtered), {ABSA_RULE}",
            True,
            _absa_rows(s16 / "laptops_test.jsonl", "opinions"),
            _absa_rows(s16 / "laptops_train.jsonl", "opinions"),
            "SemEval-2016 laptops train, same rule",
        ),
        SentimentSet(
            "semeval15_hotels",
            f"SemEval-2015 hotels test (out of domain, filtered), {ABSA_RULE}",
            True,
            _absa_rows(s15 / "hotels_test.jsonl", "opinions"),
            _absa_rows(s16 / "restaurants_train.jsonl", "opinions"),
            "SemEval-2016 restaurants train (no hotel train split exists)",
        ),
        SentimentSet(
            "mams",
            f"MAMS-ACSA test (filtered), {ABSA_RULE}",
            True,
            _absa_rows(mams / "test.jsonl", "aspect_categories"),
            _absa_rows(mams / "train.jsonl", "aspect_categories"),
            "MAMS-ACSA train, same rule",
        ),
    ]
    # MAMS is built from sentences with at least two categories of different polarity: next to nothing is left.
    return [s for s in sets if len(s.test) >= 30]


def _star_label(rating: int) -> int:
    return NEG if rating <= 2 else NEU if rating == 3 else POS


def womens_ecommerce(root: Path) -> SentimentSet:
    rows = _csv(root / "womens-ecommerce-clothing-reviews" / "reviews.csv")
    test = [(r["text"], _star_label(int(r["rating"]))) for r in rows if int(r["fold"]) == TEST_FOLD]
    train = [(r["text"], _star_label(int(r["rating"]))) for r in rows if int(r["fold"]) in TRAIN_FOLDS]
    return SentimentSet(
        "womens_ecommerce_reviews",
        "review text (title left out), rating 1-2 / 3 / 4-5 -> negative / neutral / positive; test = the set's "
        "fold column (md5 of id mod 10) = 9",
        True,
        test,
        train,
        "the same set, folds 0-7",
        level="review",
    )


def blitzer(root: Path) -> SentimentSet:
    rows = _csv(root / "blitzer-multidomain-sentiment" / "reviews.csv")
    test = [(r["text"].strip(), POLARITY[r["label"]]) for r in rows if int(r["fold"]) == TEST_FOLD]
    train = [(r["text"].strip(), POLARITY[r["label"]]) for r in rows if int(r["fold"]) in TRAIN_FOLDS]
    return SentimentSet(
        "blitzer_amazon_reviews",
        "review text (title left out), 4 domains, labelled positive (4-5 stars) / negative (1-2 stars), no 3-star "
        "part; test = the set's fold column = 9",
        True,
        test,
        train,
        "the same set, folds 0-7",
        level="review",
    )


SST5_TO_3 = {0: NEG, 1: NEG, 2: NEU, 3: POS, 4: POS}


def sst5(root: Path) -> SentimentSet:
    def read(split: str) -> list[tuple[str, int]]:
        return [(r["text"], SST5_TO_3[int(r["label"])]) for r in _csv(root / "sst5" / f"{split}.csv")]

    return SentimentSet(
        "sst5_movies",
        "SST-5 test (filtered), labels 0-1 / 2 / 3-4 -> negative / neutral / positive; movie reviews",
        False,
        read("test"),
        read("train"),
        "SST-5 train, same mapping",
    )


def feedback_check() -> SentimentSet:
    rows = _jsonl(CHECK_FILE)
    train = [(e.text, int(e.sentiment)) for e in load_feedback_sentiment() if e.sentiment is not None]
    return SentimentSet(
        "feedback_check_150",
        "training/data/feedback_sentiment_check.jsonl: 150 project-written B2B SaaS / retail sentences, 50 per "
        "class (same authors as the training feedback: a direction, not a benchmark)",
        True,
        [(r["text"], SENTIMENT_LABELS.index(r["sentiment"])) for r in rows],
        train,
        "training/data/feedback_sentiment_train (600 project-written sentences)",
    )


def tweets(root: Path) -> SentimentSet:
    splits = load_tweet_sentiment(root)
    return SentimentSet(
        "tweets_heldout",
        "the 2,500 tweets training.datasets.load_tweet_sentiment holds out (TweetEval val+test pooled, seed 13); "
        "not a TweetEval result",
        False,
        [(e.text, int(e.sentiment)) for e in splits.test if e.sentiment is not None],
        [(e.text, int(e.sentiment)) for e in splits.train if e.sentiment is not None],
        "the pooled tweets' training part (the default model trained on it too)",
    )


def sentiment_sets(root: Path) -> list[SentimentSet]:
    return [
        hu_liu(root),
        *absa_sets(root),
        womens_ecommerce(root),
        blitzer(root),
        feedback_check(),
        sst5(root),
        tweets(root),
    ]


def goemotions(root: Path) -> dict[str, list[Any]]:
    return {split: load_goemotions(root, split) for split in ("train", "dev", "test")}


# -- label sets for touchpoints ------------------------------------------------------------------


def touchpoint_id(label: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return cleaned if cleaned[:1].isalpha() else f"t_{cleaned}"


def _label_set(
    name: str,
    rule: str,
    train: list[tuple[str, str]],
    test: list[tuple[str, str]],
    names: dict[str, str],
    descriptions: dict[str, str],
    groups: dict[str, str],
    min_train: int,
) -> LabelSet:
    """Keep the labels with enough train sentences for the few-shot budget and at least one test sentence."""
    counts = Counter(label for _, label in train)
    in_test = {label for _, label in test}
    labels = [label for label in names if counts[label] >= min_train and label in in_test]
    keep = set(labels)
    dropped = sorted(set(names) - keep)
    notes = []
    if dropped:
        shown = ", ".join(dropped[:12]) + (f" and {len(dropped) - 12} more" if len(dropped) > 12 else "")
        notes.append(f"{len(dropped)} labels left out (fewer than {min_train} train or no test sentences): {shown}")
    return LabelSet(
        name,
        rule,
        labels,
        {k: names[k] for k in labels},
        {k: descriptions[k] for k in labels},
        {k: groups[k] for k in labels},
        [(t, y) for t, y in train if y in keep],
        [(t, y) for t, y in test if y in keep],
        notes,
    )


HWU_SCENARIOS = ("alarm", "calendar", "email", "iot", "takeaway", "transport")


def hwu64(root: Path, min_train: int) -> LabelSet:
    train_rows, test_rows = _csv(root / "hwu64" / "train.csv"), _csv(root / "hwu64" / "test.csv")
    text_of = {r["label"]: r["label_text"] for r in _csv(root / "hwu64" / "labels.csv")}

    def pick(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(r["text"], r["label"]) for r in rows if r["scenario"] in HWU_SCENARIOS]

    labels = sorted({y for _, y in pick(train_rows)})
    return _label_set(
        "hwu64_scenarios",
        f"HWU64 fold 1, intents of the scenarios {', '.join(HWU_SCENARIOS)}; stage = scenario; description = the "
        "intent's label text (the set has no descriptions)",
        pick(train_rows),
        pick(test_rows),
        {k: text_of.get(k, k.replace("_", " ")) for k in labels},
        {k: f"{k.split('_', 1)[0]} request: {text_of.get(k, k)}" for k in labels},
        {k: k.split("_", 1)[0] for k in labels},
        min_train,
    )


def nlupp_hotels(root: Path, min_train: int) -> LabelSet:
    intents = {r["intent"]: r for r in _csv(root / "nlupp" / "intents.csv") if "hotels" in r["domain"].split("|")}
    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for row in _jsonl(root / "nlupp" / "hotels.jsonl"):
        own = [i for i in row["intents"] if i in intents]
        if len(own) != 1:
            continue
        (train if row["fold"] < 10 else test).append((row["text"], own[0]))
    labels = sorted(intents)
    return _label_set(
        "nlupp_hotels",
        "NLU++ hotels, domain intents only (generic modules such as how/why/change left out), utterances with "
        "exactly one of them; folds 0-9 train, 10-19 test; description = the official ontology description",
        train,
        test,
        {k: k.replace("_", " ") for k in labels},
        {k: intents[k]["description"] for k in labels},
        {k: "hotel" for k in labels},
        min_train,
    )


S14_DESCRIPTIONS = {
    "food": "the food and drinks: dishes, taste, freshness, portions, the menu",
    "service": "the staff and the service: waiters, friendliness, speed, attention",
    "price": "prices and value for money",
    "ambience": "the atmosphere, decor, music, noise and seating of the place",
    "anecdotes/miscellaneous": "the visit in general and anything else about the restaurant",
}


def semeval14_categories(root: Path, min_train: int) -> LabelSet:
    base = root / "semeval2014-absa-restaurants"

    def read(split: str) -> list[tuple[str, str]]:
        out = []
        for row in _jsonl(base / f"{split}.jsonl"):
            categories = {c["category"] for c in row["aspect_categories"]}
            if len(categories) == 1:
                out.append((row["text"], touchpoint_id(categories.pop())))
        return out

    ids = {touchpoint_id(k): k for k in S14_DESCRIPTIONS}
    return _label_set(
        "semeval14_restaurant_categories",
        "SemEval-2014 restaurants, sentences with exactly one aspect category; descriptions written for this "
        "benchmark (one line each)",
        read("train"),
        read("test"),
        {k: v for k, v in ids.items()},
        {k: S14_DESCRIPTIONS[v] for k, v in ids.items()},
        {k: "restaurant" for k in ids},
        min_train,
    )


def semeval16_laptop_categories(root: Path, min_train: int) -> LabelSet:
    base = root / "semeval2016-absa"

    def read(split: str) -> list[tuple[str, str]]:
        out = []
        for row in _jsonl(base / f"laptops_{split}.jsonl"):
            categories = {o["category"] for o in row["opinions"]}
            if len(categories) == 1:
                out.append((row["text"], touchpoint_id(categories.pop())))
        return out

    train, test = read("train"), read("test")
    raw = sorted({c["category"] for row in _jsonl(base / "laptops_train.jsonl") for c in row["opinions"]})
    ids = {touchpoint_id(c): c for c in raw}

    def describe(category: str) -> str:
        entity, attribute = (part.lower().replace("_", " ") for part in category.split("#"))
        return f"what the customer says about the {entity}: {attribute}"

    return _label_set(
        "semeval16_laptop_categories",
        "SemEval-2016 laptops, sentences with exactly one ENTITY#ATTRIBUTE category; description = 'what the "
        "customer says about the <entity>: <attribute>'",
        train,
        test,
        {k: v.replace("#", " ").replace("_", " ").lower() for k, v in ids.items()},
        {k: describe(v) for k, v in ids.items()},
        {k: touchpoint_id(v.split("#")[0]) for k, v in ids.items()},
        min_train,
    )


CLINC_DOMAINS = ("banking", "credit_cards")


def clinc150(root: Path, min_train: int) -> LabelSet:
    intents = {r["intent"]: r for r in _csv(root / "clinc150" / "intents.csv") if r["domain"] in CLINC_DOMAINS}

    def read(split: str) -> list[tuple[str, str]]:
        return [(r["text"], r["intent"]) for r in _csv(root / "clinc150" / f"{split}.csv") if r["intent"] in intents]

    labels = sorted(intents)
    return _label_set(
        "clinc150_banking_cards",
        f"CLINC150 intents of the domains {', '.join(CLINC_DOMAINS)} (out-of-scope queries left out); "
        "description = the intent's label text",
        read("train"),
        read("test"),
        {k: intents[k]["label_text"] for k in labels},
        {k: f"{intents[k]['domain'].replace('_', ' ')} request: {intents[k]['label_text']}" for k in labels},
        {k: intents[k]["domain"] for k in labels},
        min_train,
    )


def banking77(root: Path, min_train: int, seed: int, n_intents: int = 20) -> LabelSet:
    train_rows, test_rows = _csv(root / "banking77" / "train.csv"), _csv(root / "banking77" / "test.csv")
    all_labels = sorted({r["label"] for r in train_rows})
    chosen = set(random.Random(f"{seed}-banking77").sample(all_labels, n_intents))
    labels = sorted(chosen)
    return _label_set(
        "banking77_subset",
        f"BANKING77, {n_intents} intents drawn with seed {seed}; description = the label id with _ as spaces",
        [(r["text"], r["label"]) for r in train_rows if r["label"] in chosen],
        [(r["text"], r["label"]) for r in test_rows if r["label"] in chosen],
        {k: k.replace("_", " ") for k in labels},
        {k: f"banking customer request: {k.replace('_', ' ')}" for k in labels},
        {k: "banking" for k in labels},
        min_train,
    )


def label_sets(root: Path, min_train: int, seed: int) -> list[LabelSet]:
    return [
        hwu64(root, min_train),
        # NLU++ hotels is small (477 utterances with exactly one hotel intent): labels with 8 train sentences
        # stay in, and their few-shot budget is what the train folds have (up to 20).
        nlupp_hotels(root, min(min_train, 8)),
        semeval14_categories(root, min_train),
        semeval16_laptop_categories(root, min_train),
        clinc150(root, min_train),
        banking77(root, min_train, seed),
    ]


def per_label_sample(rows: list[tuple[str, str]], n: int, seed: int, salt: str) -> dict[str, list[str]]:
    """Per label, a seeded shuffle of its distinct train texts cut at n: the first k are the map's examples,
    the first 20 the few-shot labels (so the few-shot labels include the map's examples)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in rows:
        if text not in by_label[label]:
            by_label[label].append(text)
    out = {}
    for label, texts in sorted(by_label.items()):
        random.Random(f"{seed}-{salt}-{label}").shuffle(texts)
        out[label] = texts[:n]
    return out
