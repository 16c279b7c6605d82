"""Batched inference: one encoder pass per sentence yields its embedding and every head's output."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from vocengine.model.artifact import ModelConfig, load_model
from vocengine.model.network import FeedbackNetwork


@dataclass
class Predictions:
    emotions: np.ndarray  # (n, 28) sigmoid probabilities
    ekman: np.ndarray  # (n, 7) sigmoid probabilities
    sentiment: np.ndarray  # (n, 3) softmax probabilities
    embeddings: np.ndarray  # (n, hidden) L2-normalised

    @classmethod
    def empty(cls, config: ModelConfig) -> Predictions:
        return cls(
            np.zeros((0, len(config.emotion_labels)), np.float32),
            np.zeros((0, len(config.ekman_labels)), np.float32),
            np.zeros((0, len(config.sentiment_labels)), np.float32),
            np.zeros((0, config.hidden_size), np.float32),
        )


class Predictor:
    def __init__(
        self, network: FeedbackNetwork, tokenizer: PreTrainedTokenizerBase, config: ModelConfig, batch_size: int = 64
    ) -> None:
        self.network = network.eval()
        self.tokenizer = tokenizer
        self.config = config
        self.batch_size = batch_size
        self.emotion_thresholds = np.array(config.emotion_thresholds, dtype=np.float32)
        self.ekman_thresholds = np.array(config.ekman_thresholds, dtype=np.float32)
        # Counts texts through the encoder, so the benchmark can show one pass per sentence.
        self.texts_encoded = 0
        self._lock = threading.Lock()
        # Where it was loaded from, so that a sibling version loads on the same base encoder.
        self.model_dir: Path | None = None
        self.base_path: Path | None = None

    @classmethod
    def load(cls, model_dir: Path, base_path: str | Path | None = None, batch_size: int = 64) -> Predictor:
        network, tokenizer, config = load_model(model_dir, base_path)
        predictor = cls(network, tokenizer, config, batch_size)
        predictor.model_dir = Path(model_dir)
        predictor.base_path = Path(base_path) if base_path is not None else None
        return predictor

    @property
    def model_version(self) -> str:
        return self.config.model_version

    @torch.inference_mode()
    def predict(self, texts: list[str]) -> Predictions:
        if not texts:
            return Predictions.empty(self.config)
        n = len(texts)
        result = Predictions(
            np.empty((n, len(self.config.emotion_labels)), np.float32),
            np.empty((n, len(self.config.ekman_labels)), np.float32),
            np.empty((n, len(self.config.sentiment_labels)), np.float32),
            np.empty((n, self.config.hidden_size), np.float32),
        )
        # Sorting by length keeps padding, the main waste of a batched CPU pass, small.
        order = sorted(range(n), key=lambda i: len(texts[i]))
        with self._lock:
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.config.max_length,
                    return_tensors="pt",
                )
                out = self.network(batch["input_ids"], batch["attention_mask"])
                result.emotions[idx] = torch.sigmoid(out.emotion_logits).numpy()
                result.ekman[idx] = torch.sigmoid(out.ekman_logits).numpy()
                result.sentiment[idx] = torch.softmax(out.sentiment_logits, -1).numpy()
                result.embeddings[idx] = out.embedding.numpy()
            self.texts_encoded += n
        return result

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.predict(texts).embeddings
