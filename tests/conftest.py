"""Shared fixtures: a tiny random BERT for fast model tests, the real default analyzer loaded once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.components import REGISTRY, Component, Unavailable, count_skip, register, summary_lines

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("VOCENGINE_DATASET_DIR", PROJECT.parent / "shared" / "datasets"))


def _find_datasets() -> tuple[Path, str]:
    if not (DATASETS / "goemotions").is_dir():
        raise Unavailable(
            f"the public datasets are not at {DATASETS} (they are not part of the repository; "
            "set VOCENGINE_DATASET_DIR to a copy)"
        )
    return DATASETS, f"the public datasets in {DATASETS}"


DATASETS_COMPONENT = register(Component("public datasets", _find_datasets))


@pytest.fixture
def datasets_dir() -> Path:
    """../shared/datasets: used when present; without it the tests that train on it are skipped (CI: failed)."""
    path: Path = DATASETS_COMPONENT.get()
    return path


CHROMIUM = Path(os.environ.get("VOCENGINE_CHROMIUM", "/usr/bin/chromium"))


def _find_chromium() -> tuple[Path, str]:
    if not CHROMIUM.is_file():
        raise Unavailable(f"no browser at {CHROMIUM} (apt-get install -y chromium, as .ci/run does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"the playwright package is not installed (the dev extra has it): {exc}") from exc
    return CHROMIUM, f"Debian's Chromium at {CHROMIUM} through Playwright"


CHROMIUM_COMPONENT = register(Component("chromium", _find_chromium))


@pytest.fixture
def chromium_path() -> Path:
    """/usr/bin/chromium and Playwright: used when present; without them the browser tests are skipped (CI: failed)."""
    path: Path = CHROMIUM_COMPONENT.get()
    return path


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    count_skip(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = summary_lines()
    if lines:
        terminalreporter.section("real components used by the tests")
        for line in lines:
            terminalreporter.write_line(line, yellow="NOT AVAILABLE" in line, bold="NOT AVAILABLE" in line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for component in REGISTRY.values():
        component.close()


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


# -- databases: every storage test runs on the embedded SQLite and on a real PostgreSQL -------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database: a SQLite file (WAL), or a new schema in the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vocengine.db'}"
        return
    from tests.databases import postgres_schema

    with postgres_schema() as url:
        yield url


@pytest.fixture
def db_engine(database_url: str):
    """A migrated engine on `database_url`."""
    from vocengine.store.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def tiny_config(**overrides):
    """The config of a model on the tiny random BERT: every label, flat thresholds."""
    from vocengine.model.artifact import ModelConfig
    from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS

    fields = dict(
        model_version="test-1",
        base_model="tiny",
        hidden_size=32,
        emotion_labels=list(EMOTION_LABELS),
        emotion_thresholds=[0.5] * len(EMOTION_LABELS),
        ekman_labels=list(EKMAN_LABELS),
        ekman_thresholds=[0.5] * len(EKMAN_LABELS),
        sentiment_labels=list(SENTIMENT_LABELS),
    )
    return ModelConfig(**{**fields, **overrides})


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete model folder (config + safetensors) on the tiny random BERT: a real model, fast."""
    import torch

    from vocengine.model.artifact import build_network, save_model
    from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS

    torch.manual_seed(1)
    network = build_network(tiny_base, n_labels=(len(EMOTION_LABELS), len(EKMAN_LABELS), len(SENTIMENT_LABELS)))
    config = tiny_config(model_version="tiny-test")
    out = tmp_path_factory.mktemp("tiny-model")
    save_model(network, config, out)
    return out


@pytest.fixture(scope="session")
def tiny_analyzer(tiny_model_dir: Path, tiny_base: Path):
    """The real pipeline (cleaning, redaction, segmentation, assignment) on the tiny model, with the default map.
    Random weights make every touchpoint score alike, so the threshold is set low enough to assign."""
    from vocengine.analyzer import Analyzer
    from vocengine.journey.maps import load_journey_map
    from vocengine.model.predictor import Predictor
    from vocengine.settings import Settings

    settings = Settings(touchpoint_threshold=-1.0)
    predictor = Predictor.load(tiny_model_dir, tiny_base)
    return Analyzer(predictor, load_journey_map(settings.journey_map), settings)
