"""Save and load the trained network: `config.json` plus `weights.safetensors`, never a pickle."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from pydantic import BaseModel, Field
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, BertModel, PreTrainedTokenizerBase

from vocengine.errors import ModelLoadError
from vocengine.model.base import resolve_base_model_path
from vocengine.model.network import FeedbackNetwork

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
FORMAT_VERSION = 1


class ModelConfig(BaseModel):
    format_version: int = FORMAT_VERSION
    model_version: str
    base_model: str = Field(description="name of the base encoder the weights were trained on")
    hidden_size: int
    max_length: int = 128
    emotion_labels: list[str]
    emotion_thresholds: list[float]
    ekman_labels: list[str]
    ekman_thresholds: list[float]
    sentiment_labels: list[str]
    metrics: dict[str, float] = Field(default_factory=dict)


def build_network(
    base_path: Path, config: ModelConfig | None = None, *, n_labels: tuple[int, int, int] | None = None
) -> FeedbackNetwork:
    encoder = BertModel.from_pretrained(str(base_path), add_pooling_layer=False)
    if config is not None:
        if int(encoder.config.hidden_size) != config.hidden_size:
            raise ModelLoadError(
                "E104",
                detail=f"weights expect hidden size {config.hidden_size}, {base_path} has {encoder.config.hidden_size}",
            )
        n_labels = (len(config.emotion_labels), len(config.ekman_labels), len(config.sentiment_labels))
    assert n_labels is not None
    return FeedbackNetwork(encoder, *n_labels)


def save_model(network: FeedbackNetwork, config: ModelConfig, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    # Fine-tuned layers are stored in half precision: it halves the artifact, and the round trip
    # changes predictions by far less than the run-to-run noise of training (checked in tests).
    state = {
        name: (t.half() if name.startswith("encoder.") else t.float()).contiguous()
        for name, t in network.trained_state().items()
    }
    save_file(state, str(out_dir / WEIGHTS_FILE), metadata={"model_version": config.model_version})
    (out_dir / CONFIG_FILE).write_text(json.dumps(config.model_dump(), indent=2) + "\n")


def load_config(model_dir: Path) -> ModelConfig:
    path = model_dir / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError("E103", detail=f"{path} is missing")
    try:
        config = ModelConfig.model_validate_json(path.read_text())
    except ValueError as exc:
        raise ModelLoadError("E103", detail=f"{path}: {exc}") from exc
    if config.format_version != FORMAT_VERSION:
        raise ModelLoadError("E103", detail=f"{path} has format_version {config.format_version}")
    return config


def load_model(
    model_dir: Path, base_path: str | Path | None = None
) -> tuple[FeedbackNetwork, PreTrainedTokenizerBase, ModelConfig]:
    config = load_config(model_dir)
    base = resolve_base_model_path(base_path)
    network = build_network(base, config)
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelLoadError("E103", detail=f"{weights} is missing")
    try:
        network.load_trained_state(load_file(str(weights)))
    except ValueError as exc:
        raise ModelLoadError("E104", detail=str(exc)) from exc
    network.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    return network, tokenizer, config


@torch.inference_mode()
def encode_base(texts: list[str], base_path: Path, batch_size: int = 64, max_length: int = 128) -> torch.Tensor:
    """Embeddings of the untouched base model: the teacher for the distillation loss."""
    encoder = BertModel.from_pretrained(str(base_path), add_pooling_layer=False).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(base_path))
    from vocengine.model.network import mean_pool

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), int(encoder.config.hidden_size))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        hidden = encoder(**batch).last_hidden_state
        out[idx] = torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1)
    return out
