"""Training code on a tiny random BERT: it must be able to learn, save, reload and agree."""

import numpy as np
import torch
from transformers import AutoTokenizer

from training.datasets import Example, load_goemotions, load_tweet_sentiment
from training.train_default import TrainSettings, predict, seed_everything, train
from vocengine.model.artifact import build_network, encode_base
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS


def one_hot(label: str, labels: tuple[str, ...]) -> list[int]:
    return [int(x == label) for x in labels]


def test_tiny_network_overfits_two_examples(tiny_base):
    seed_everything(0)
    examples = [
        Example(
            "I love this, thank you so much", one_hot("gratitude", EMOTION_LABELS), one_hot("joy", EKMAN_LABELS), 2
        ),
        Example("This is broken and I am furious", one_hot("anger", EMOTION_LABELS), one_hot("anger", EKMAN_LABELS), 0),
    ] * 8
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    network = build_network(tiny_base, n_labels=(len(EMOTION_LABELS), len(EKMAN_LABELS), len(SENTIMENT_LABELS)))
    teacher = encode_base([e.text for e in examples], tiny_base)
    train(network, tokenizer, examples, teacher, TrainSettings(epochs=40, batch_size=4, encoder_lr=1e-3, head_lr=1e-2))

    out = predict(network, tokenizer, [examples[0].text, examples[1].text])
    assert out["sentiment"].argmax(1).tolist() == [2, 0]
    assert EMOTION_LABELS[out["emotions"][0].argmax()] == "gratitude"
    assert EMOTION_LABELS[out["emotions"][1].argmax()] == "anger"
    assert EKMAN_LABELS[out["ekman"][1].argmax()] == "anger"
    # Frozen embeddings really stay frozen.
    base = build_network(tiny_base, n_labels=(28, 7, 3))
    assert torch.equal(
        base.encoder.embeddings.word_embeddings.weight, network.encoder.embeddings.word_embeddings.weight
    )


def test_goemotions_splits_are_aligned_and_labelled(datasets_dir):
    dev = load_goemotions(datasets_dir, "dev")
    assert len(dev) == 5426
    assert all(sum(e.emotions) >= 1 and sum(e.ekman) >= 1 for e in dev)
    sentiments = {e.sentiment for e in dev}
    assert sentiments == {0, 1, 2, None}


def test_tweet_holdout_is_fixed_and_disjoint_from_training(datasets_dir):
    first, second = load_tweet_sentiment(datasets_dir), load_tweet_sentiment(datasets_dir)
    assert [e.text for e in first.test] == [e.text for e in second.test]
    held_out = {e.text for e in first.test}
    overlap = sum(1 for e in first.train if e.text in held_out)
    # A few tweets occur twice in the source data; by position the splits are disjoint.
    assert overlap / len(first.test) < 0.01
    assert np.bincount([e.sentiment for e in first.test]).min() > 100
