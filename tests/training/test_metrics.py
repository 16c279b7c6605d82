import numpy as np

from training.metrics import f1_per_label, macro_f1_multiclass, tune_thresholds
from vocengine.model.decision import multilabel_predictions, ranked_labels


def test_f1_per_label_by_hand():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    p = np.array([[1, 0], [0, 0], [1, 1]])
    assert np.allclose(f1_per_label(y, p), [1.0, 2 / 3])


def test_macro_f1_multiclass_by_hand():
    macro, per_class = macro_f1_multiclass(np.array([0, 1, 2, 2]), np.array([0, 1, 2, 1]), 3)
    assert np.allclose(per_class, [1.0, 2 / 3, 2 / 3])
    assert np.isclose(macro, 7 / 9)


def test_thresholds_are_tuned_per_label():
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    probs = np.array([[0.3, 0.9], [0.35, 0.2], [0.1, 0.85], [0.05, 0.6]])
    thresholds = tune_thresholds(y, probs)
    assert 0.1 < thresholds[0] <= 0.3
    assert 0.6 < thresholds[1] <= 0.85


def test_a_row_with_no_label_over_threshold_gets_its_relatively_strongest():
    pred = multilabel_predictions(np.array([[0.2, 0.1]]), np.array([0.5, 0.15]))
    assert pred.tolist() == [[0.0, 1.0]]


def test_ranked_labels_strongest_first():
    assert ranked_labels(np.array([0.6, 0.9, 0.1]), np.array([0.5, 0.5, 0.5]), ["a", "b", "c"]) == ["b", "a"]
