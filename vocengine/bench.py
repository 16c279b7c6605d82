"""`vocengine bench`: throughput, latency and memory of the engine, against the naive way, in one run.

Figures from one run are compared as ratios: the machines are shared and noisy, so an absolute number
from one moment means little, and a ratio measured side by side means more.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from vocengine.analyzer import Analyzer

SUBJECTS = [
    "The onboarding call", "Our account manager", "The CSV import", "The renewal quote", "Support",
    "The new dashboard", "The sales demo", "The invoice", "SSO setup", "The Salesforce integration",
    "The documentation", "The mobile app", "Your pricing", "The trial", "The kickoff meeting",
    "The export feature", "The training session", "Ticket response time", "The contract process", "Search",
]  # fmt: skip
PREDICATES = [
    "was a complete mess", "was great, thank you", "took three weeks longer than promised",
    "is confusing for our new hires", "works fine", "saved our team hours every week",
    "keeps failing with an error", "was clear and well organised", "doubled without any explanation",
    "made me want to cancel", "was okay, nothing special", "exceeded our expectations",
    "is slower than it was last month", "answered all of our questions", "still has not been fixed",
]  # fmt: skip
TAILS = ["", " again", " this quarter", " for the third time", " as far as I can tell"]


def generate_corpus(n: int, seed: int = 7) -> list[str]:
    """Typical survey comments of one to three sentences, the same for every run."""
    rng = random.Random(seed)
    comments = []
    for _ in range(n):
        sentences = [
            f"{rng.choice(SUBJECTS)} {rng.choice(PREDICATES)}{rng.choice(TAILS)}." for _ in range(rng.randint(1, 3))
        ]
        comments.append(" ".join(sentences))
    return comments


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _naive(analyzer: Analyzer, comments: list[str]) -> dict[str, float]:
    """The same models, one task at a time: sentence-transformers for the touchpoint embedding, then
    a separate transformer pass for each classifier head, one sentence at a time, no batching."""
    from sentence_transformers import SentenceTransformer

    from vocengine.model.base import resolve_base_model_path

    predictor = analyzer.predictor
    embedder = SentenceTransformer(str(resolve_base_model_path(analyzer.settings.base_model_path)), device="cpu")
    network, tokenizer = predictor.network, predictor.tokenizer
    heads = ("sentiment_logits", "emotion_logits", "ekman_logits")
    sentences = passes = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for comment in comments:
            for sentence in analyzer.splitter.split(comment):
                sentences += 1
                embedding = embedder.encode([sentence.text], normalize_embeddings=True)
                analyzer.assigner.assign(np.asarray(embedding))
                passes += 1
                for head in heads:
                    batch = tokenizer(sentence.text, return_tensors="pt")
                    getattr(network(batch["input_ids"], batch["attention_mask"]), head)
                    passes += 1
    seconds = time.perf_counter() - start
    return {
        "comments": len(comments),
        "comments_per_s": len(comments) / seconds,
        "sentences_per_s": sentences / seconds,
        "encoder_passes_per_sentence": passes / max(sentences, 1),
    }


def run_benchmark(
    comments: int = 2000,
    latency_samples: int = 200,
    naive: bool = True,
    naive_comments: int = 200,
    out: Path | None = None,
    load: Callable[[], Analyzer] | None = None,
) -> dict[str, object]:
    """`load` builds the analyzer (the command's runtime does); its time is the model load time."""
    from vocengine.analyzer import Analyzer

    load_start = time.perf_counter()
    analyzer = load() if load is not None else Analyzer.default()
    load_seconds = time.perf_counter() - load_start
    corpus = generate_corpus(comments)
    analyzer.analyze(corpus[:64])  # warm-up: first calls pay for lazy initialisation

    encoded_before = analyzer.predictor.texts_encoded
    start = time.perf_counter()
    sentence_count = 0
    for i in range(0, len(corpus), 256):
        sentence_count += sum(len(r.sentences) for r in analyzer.analyze(corpus[i : i + 256]))
    seconds = time.perf_counter() - start
    passes = (analyzer.predictor.texts_encoded - encoded_before) / max(sentence_count, 1)

    latencies = []
    for text in generate_corpus(latency_samples, seed=11):
        t0 = time.perf_counter()
        analyzer.analyze([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()

    engine: dict[str, float] = {
        "comments": len(corpus),
        "sentences": sentence_count,
        "comments_per_s": round(len(corpus) / seconds, 1),
        "sentences_per_s": round(sentence_count / seconds, 1),
        "encoder_passes_per_sentence": round(passes, 2),
        "single_comment_latency_ms_p50": round(statistics.median(latencies), 1),
        "single_comment_latency_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
    }
    figures: dict[str, object] = {
        "torch_threads": torch.get_num_threads(),
        "model_load_s": round(load_seconds, 2),
        "engine": engine,
    }
    if naive:
        naive_figures = _naive(analyzer, corpus[:naive_comments])
        figures["naive"] = {k: round(v, 2) for k, v in naive_figures.items()}
        figures["speedup_comments_per_s"] = round(engine["comments_per_s"] / naive_figures["comments_per_s"], 2)
    figures["peak_rss_mib"] = round(_peak_rss_mib(), 1)
    text = json.dumps(figures, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
    return figures
