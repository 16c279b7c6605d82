"""The customer-domain training mix never holds a text the benchmark tests on."""

import random

from training.benchmark_data import blitzer, hu_liu, sentiment_sets, womens_ecommerce
from training.customer_data import customer_sentiment, held_out_texts, normalise


def test_customer_training_texts_are_disjoint_from_every_benchmark_test_set(datasets_dir):
    mix = customer_sentiment(datasets_dir, cap=500)
    assert {"hu_liu", "semeval14_restaurants", "womens_ecommerce", "blitzer", "sst5"} <= set(mix)
    trained = {normalise(e.text) for rows in mix.values() for e in rows}
    for s in sentiment_sets(datasets_dir):
        tested = {normalise(t) for t, _ in s.test}
        assert not trained & tested, s.name
    assert not trained & held_out_texts(datasets_dir)


def test_fold_sets_take_train_folds_only(datasets_dir):
    """Hu & Liu, Women's e-commerce and Blitzer: a sample of test items is absent from the training mix,
    and the training mix keeps the benchmark's own train rows (same labels)."""
    mix = customer_sentiment(datasets_dir)
    for source, loaded in (
        ("hu_liu", hu_liu(datasets_dir)),
        ("womens_ecommerce", womens_ecommerce(datasets_dir)),
        ("blitzer", blitzer(datasets_dir)),
    ):
        trained = {(e.text, e.sentiment) for e in mix[source]}
        assert trained <= set(loaded.train), source
        sample = random.Random(0).sample(loaded.test, min(50, len(loaded.test)))
        assert not {normalise(t) for t, _ in sample} & {normalise(t) for t, _ in trained}, source
