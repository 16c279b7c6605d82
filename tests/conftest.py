"""Shared fixtures: a tiny random BERT for fast model tests, the real default analyzer loaded once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT = Path(__file__).resolve().parents[1]
DATASETS = PROJECT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with random weights and the real MiniLM tokenizer, saved like a HF model folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from vocengine.model.base import packaged_base_model_path

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-bert")
    config = BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=128,
    )  # fmt: skip
    BertModel(config, add_pooling_layer=False).save_pretrained(path)
    packaged = packaged_base_model_path()
    for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        shutil.copy(packaged / name, path / name)
    BertTokenizerFast.from_pretrained(path)  # fails here, not in a test, if the folder is unusable
    return path


@pytest.fixture(scope="session")
def default_analyzer():
    """The real default models and the default B2B SaaS map, loaded once for the whole run."""
    from vocengine.analyzer import Analyzer

    return Analyzer.default()
