"""The feedback network: one transformer pass feeds the sentence embedding and every classifier head.

The encoder starts as the base sentence-transformers model (all-MiniLM-L6-v2 by default). Training
fine-tunes its transformer layers for emotion and sentiment while a distillation loss keeps the
mean-pooled embedding close to the base model's, so the same pass still serves touchpoint similarity.
Word, position and token-type embeddings stay frozen: they are read from the base model and never
stored by this project, which keeps the committed artifact small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import BertModel

FROZEN_PREFIXES = ("embeddings.",)


@dataclass
class NetworkOutput:
    embedding: torch.Tensor  # mean-pooled, L2-normalised: the sentence-transformers embedding
    emotion_logits: torch.Tensor
    ekman_logits: torch.Tensor
    sentiment_logits: torch.Tensor


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class FeedbackNetwork(nn.Module):
    def __init__(
        self, encoder: BertModel, n_emotions: int, n_ekman: int, n_sentiment: int, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        # Heads read [CLS] and the mean together: the mean is tied to the base embedding by the
        # distillation loss, while [CLS] is free to specialise for classification.
        features = 2 * hidden
        self.dropout = nn.Dropout(dropout)
        self.emotion_head = nn.Linear(features, n_emotions)
        self.ekman_head = nn.Linear(features, n_ekman)
        self.sentiment_head = nn.Linear(features, n_sentiment)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> NetworkOutput:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = mean_pool(hidden, attention_mask)
        features = self.dropout(torch.cat([hidden[:, 0], pooled], dim=-1))
        return NetworkOutput(
            embedding=nn.functional.normalize(pooled, dim=-1),
            emotion_logits=self.emotion_head(features),
            ekman_logits=self.ekman_head(features),
            sentiment_logits=self.sentiment_head(features),
        )

    def freeze_embeddings(self) -> None:
        for name, param in self.encoder.named_parameters():
            if name.startswith(FROZEN_PREFIXES):
                param.requires_grad_(False)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The parameters this project owns: fine-tuned layers and heads, never the frozen embeddings."""
        return {
            name: tensor.detach().clone().contiguous()
            for name, tensor in self.state_dict().items()
            if not name.startswith(tuple("encoder." + p for p in FROZEN_PREFIXES))
        }

    def load_trained_state(self, state: dict[str, Any]) -> None:
        expected = set(self.trained_state())
        missing = expected - set(state)
        unexpected = set(state) - expected
        if missing or unexpected:
            raise ValueError(
                f"model weights do not fit the network: missing {sorted(missing)[:5]}, "
                f"unexpected {sorted(unexpected)[:5]}"
            )
        own = self.state_dict()
        for name, tensor in state.items():
            if own[name].shape != tensor.shape:
                raise ValueError(f"weight {name} has shape {tuple(tensor.shape)}, expected {tuple(own[name].shape)}")
        self.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=False)
