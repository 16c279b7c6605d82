import json

import pytest
import torch

from tests.conftest import tiny_config
from vocengine.errors import ModelLoadError
from vocengine.model.artifact import build_network, load_model, save_model
from vocengine.model.predictor import Predictor


def test_save_and_load_round_trip_gives_the_same_predictions(tiny_base, tmp_path):
    torch.manual_seed(1)
    network = build_network(tiny_base, tiny_config()).eval()
    save_model(network, tiny_config(), tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["config.json", "weights.safetensors"]

    loaded = Predictor.load(tmp_path / "model", tiny_base)
    original = Predictor(network, loaded.tokenizer, tiny_config())
    texts = ["The onboarding call was a mess.", "Great support!"]
    a, b = original.predict(texts), loaded.predict(texts)
    # Layers are stored in half precision: predictions move by rounding noise, nothing more.
    assert abs(a.sentiment - b.sentiment).max() < 1e-2
    assert abs(a.emotions - b.emotions).max() < 1e-2
    assert abs(a.embeddings - b.embeddings).max() < 1e-2


def test_saved_weights_leave_out_the_frozen_embeddings(tiny_base, tmp_path):
    from safetensors.torch import load_file

    save_model(build_network(tiny_base, tiny_config()), tiny_config(), tmp_path)
    names = load_file(str(tmp_path / "weights.safetensors")).keys()
    assert not any(n.startswith("encoder.embeddings.") for n in names)
    assert {"emotion_head.weight", "ekman_head.weight", "sentiment_head.weight"} <= set(names)


def test_missing_config_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="E103"):
        load_model(tmp_path)


def test_weights_for_another_base_are_refused(tiny_base, tmp_path):
    save_model(build_network(tiny_base, tiny_config()), tiny_config(), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["hidden_size"] = 384
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="E104.*hidden size 384"):
        load_model(tmp_path, tiny_base)


def test_predictor_batches_and_counts_one_pass_per_text(tiny_base, tmp_path):
    save_model(build_network(tiny_base, tiny_config()), tiny_config(), tmp_path)
    predictor = Predictor.load(tmp_path, tiny_base, batch_size=2)
    texts = ["a", "a much longer sentence than the others", "b c", "d"]
    out = predictor.predict(texts)
    assert out.sentiment.shape == (4, 3) and out.emotions.shape == (4, 28) and out.embeddings.shape == (4, 32)
    assert abs(out.sentiment.sum(1) - 1).max() < 1e-5
    assert predictor.texts_encoded == 4
    # Order must be restored after the length sort: each row equals the text predicted alone.
    alone = predictor.predict([texts[1]])
    assert abs(alone.emotions[0] - out.emotions[1]).max() < 1e-5
