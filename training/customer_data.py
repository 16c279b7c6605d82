"""Customer-domain sentiment training data, taken from the train parts that `training.benchmark` leaves to its
probes, so the default model learns how customers write without ever seeing a benchmark test item.

The splits are not re-derived here: every set comes from the loader in `training.benchmark_data` that the
benchmark itself uses (Hu & Liu folds 0-7, SemEval ABSA train sentences whose aspects share one polarity,
Women's e-commerce and Blitzer folds 0-7 with stars 1-2 / 3 / 4-5, SST-5 train mapped to 3 classes). On top of
that, any text equal (lower-cased, whitespace collapsed) to a held-out text of any benchmark set is dropped:
the SemEval restaurant sets share one corpus across years, so an official train split can hold another
year's test sentence.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from training.benchmark_data import absa_sets, blitzer, goemotions, hu_liu, label_sets, sentiment_sets, sst5
from training.benchmark_data import womens_ecommerce as womens
from training.datasets import Example

# The sets whose train parts join the mix. semeval15_hotels is left out by name: its "train" part is the
# SemEval-2016 restaurants train split, already taken once.
ABSA_TRAIN = ("semeval14_restaurants", "semeval16_restaurants", "semeval16_laptops")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def held_out_texts(dataset_dir: Path) -> set[str]:
    """Every text any benchmark section tests on: sentiment sets, GoEmotions test, the touchpoint label sets."""
    texts = {normalise(t) for s in sentiment_sets(dataset_dir) for t, _ in s.test}
    texts |= {normalise(e.text) for e in goemotions(dataset_dir)["test"]}
    texts |= {normalise(t) for s in label_sets(dataset_dir, min_train=1, seed=13) for t, _ in s.test}
    return texts


def customer_sentiment(dataset_dir: Path, cap: int | None = None, seed: int = 13) -> dict[str, list[Example]]:
    """Per source, the training examples (at most `cap` per source, a seeded sample), test texts removed."""
    sources = {
        "hu_liu": hu_liu(dataset_dir).train,
        **{s.name: s.train for s in absa_sets(dataset_dir) if s.name in ABSA_TRAIN},
        "womens_ecommerce": womens(dataset_dir).train,
        "blitzer": blitzer(dataset_dir).train,
        "sst5": sst5(dataset_dir).train,
    }
    banned = held_out_texts(dataset_dir)
    seen: set[str] = set()
    out: dict[str, list[Example]] = {}
    for name, rows in sources.items():
        kept = []
        for text, label in rows:
            key = normalise(text)
            if not key or key in banned or key in seen:
                continue
            seen.add(key)
            kept.append(Example(text=text, sentiment=label, source=name))
        if cap is not None and len(kept) > cap:
            kept = random.Random(f"{seed}-{name}").sample(kept, cap)
        out[name] = kept
    return out
