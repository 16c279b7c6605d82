"""Touchpoints learnt from labelled sentences, stored beside the model weights (safetensors + JSON).

A team's journey map describes each touchpoint in a line or two; the sentences CX leads label say it
in the customers' words ("the Paw Plan", "VetLine"). Two things are learnt from them:

- a **head**: a multinomial logistic regression on the sentence embedding over the map's touchpoints
  (and "none of these" when such labels exist), trained on the labelled sentences and the map's own
  descriptions and examples. With few labels per touchpoint it beats nearest-prototype similarity
  clearly (measured in the learning demonstration, see the README). It is tied to the touchpoint ids
  it was trained on and is used only while the active map has exactly those touchpoints;
- **prototypes**: each labelled sentence joins its touchpoint's prototypes (and "none" labels form a
  "no touchpoint" group that a sentence must beat). They serve any later map that keeps some of the
  touchpoints, where the head no longer fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

NONE = "none"  # the label for "none of these touchpoints"; journey maps may not use it as an id
# Not "touchpoints.json": the bundled model keeps its touchpoint evaluation report under that name.
EMBEDDINGS_FILE = "learned_touchpoints.safetensors"
META_FILE = "learned_touchpoints.json"
# Cosine similarities live in [-1, 1]; the head's logits are scaled so that softmax can be confident.
HEAD_SCALE = 10.0


@dataclass(frozen=True)
class TouchpointHead:
    weights: np.ndarray  # (hidden, classes)
    bias: np.ndarray  # (classes,)
    classes: list[str]  # touchpoint ids, and NONE last when "none of these" was labelled

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = HEAD_SCALE * (embeddings @ self.weights) + self.bias
        logits -= logits.max(1, keepdims=True)
        exp = np.exp(logits)
        probs: np.ndarray = exp / exp.sum(1, keepdims=True)
        return probs

    def fits(self, touchpoint_ids: list[str]) -> bool:
        return [c for c in self.classes if c != NONE] == touchpoint_ids


@dataclass(frozen=True)
class LearnedTouchpoints:
    embeddings: np.ndarray  # (n, hidden) L2-normalised, from the encoder of the model they are stored with
    touchpoints: list[str]  # touchpoint id (or NONE) of each row
    head: TouchpointHead | None = None

    def __post_init__(self) -> None:
        if len(self.embeddings) != len(self.touchpoints):
            raise ValueError(f"{len(self.embeddings)} embeddings but {len(self.touchpoints)} touchpoint ids")

    def __len__(self) -> int:
        return len(self.touchpoints)

    def save(self, model_dir: Path) -> None:
        tensors = {"embeddings": np.ascontiguousarray(self.embeddings, dtype=np.float32)}
        meta: dict[str, object] = {"touchpoints": self.touchpoints, "count": len(self)}
        if self.head is not None:
            tensors["head_weights"] = np.ascontiguousarray(self.head.weights, dtype=np.float32)
            tensors["head_bias"] = np.ascontiguousarray(self.head.bias, dtype=np.float32)
            meta["head_classes"] = self.head.classes
        save_file(tensors, str(model_dir / EMBEDDINGS_FILE))
        (model_dir / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(cls, model_dir: Path) -> LearnedTouchpoints | None:
        """What a model learnt from labels, or None for a model trained without any."""
        meta_path, tensors_path = model_dir / META_FILE, model_dir / EMBEDDINGS_FILE
        if not (meta_path.is_file() and tensors_path.is_file()):
            return None
        meta = json.loads(meta_path.read_text())
        tensors = load_file(str(tensors_path))
        head = None
        if "head_classes" in meta:
            head = TouchpointHead(tensors["head_weights"], tensors["head_bias"], list(meta["head_classes"]))
        return cls(tensors["embeddings"], list(meta["touchpoints"]), head)


def train_head(
    embeddings: np.ndarray, labels: list[str], touchpoint_ids: list[str], l2: float = 1e-2, seed: int = 13
) -> TouchpointHead:
    """Fit the head by L-BFGS on cross-entropy + L2. `labels` are touchpoint ids or NONE; a NONE class is
    made only when some label is NONE (otherwise "none" stays the similarity threshold's call)."""
    import torch

    classes = touchpoint_ids + ([NONE] if NONE in labels else [])
    unknown = sorted({label for label in labels if label not in classes})
    if unknown:
        raise ValueError(f"labels name touchpoints the map does not have: {', '.join(unknown)}")
    torch.manual_seed(seed)
    x = torch.tensor(np.asarray(embeddings, dtype=np.float32))
    y = torch.tensor([classes.index(label) for label in labels])
    weights = torch.zeros(x.shape[1], len(classes), requires_grad=True)
    bias = torch.zeros(len(classes), requires_grad=True)
    optimizer = torch.optim.LBFGS([weights, bias], max_iter=300)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(HEAD_SCALE * (x @ weights) + bias, y) + l2 * (weights**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return TouchpointHead(weights.detach().numpy().copy(), bias.detach().numpy().copy(), classes)
