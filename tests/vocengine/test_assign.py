import numpy as np

from training.evaluate_touchpoints import accuracy
from vocengine.journey.assign import TouchpointAssigner, touchpoint_prototypes
from vocengine.journey.maps import parse_journey_map

JOURNEY = parse_journey_map(
    {
        "name": "Two",
        "stages": [
            {"id": "buy", "name": "Buy", "touchpoints": [{"id": "checkout", "name": "Checkout", "description": "Paying.", "examples": ["a", "b"]}]},
            {"id": "use", "name": "Use", "touchpoints": [{"id": "app", "name": "App", "description": "The app.", "examples": ["c"]}]},
        ],
    }
)  # fmt: skip


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def assigner(threshold: float = 0.5, top_k: int = 2) -> TouchpointAssigner:
    # Prototypes: checkout = description, "a", "b"; app = description, "c".
    prototypes = np.stack([unit(1, 0, 0), unit(1, 0.2, 0), unit(1, -0.2, 0), unit(0, 1, 0), unit(0, 1, 0.1)])
    texts, owners = touchpoint_prototypes(JOURNEY)
    assert texts == ["Checkout: Paying.", "a", "b", "App: The app.", "c"] and owners == [0, 0, 0, 1, 1]
    return TouchpointAssigner(JOURNEY, prototypes, owners, threshold, top_k)


def test_best_touchpoint_wins_and_weak_matches_are_unassigned():
    result = assigner().assign(np.stack([unit(1, 0.1, 0), unit(0.1, 1, 0), unit(0, 0, 1)]))
    assert (result[0].stage, result[0].touchpoint) == ("buy", "checkout")
    assert (result[1].stage, result[1].touchpoint) == ("use", "app")
    assert result[2] is None


def test_score_is_the_mean_of_the_k_closest_prototypes():
    sentence = unit(1, 0, 0)
    sims = np.array([unit(1, 0, 0) @ sentence, unit(1, 0.2, 0) @ sentence, unit(1, -0.2, 0) @ sentence])
    scores = assigner(top_k=2).scores(sentence[None, :])
    assert np.isclose(scores[0, 0], np.sort(sims)[-2:].mean())


def test_extra_prototypes_can_pull_a_sentence_to_a_touchpoint():
    sentence = unit(0, 0, 1)
    assert assigner().assign(sentence[None, :]) == [None]
    taught = assigner().with_extra_prototypes(np.stack([unit(0, 0, 1), unit(0, 0.1, 1)]), [1, 1])
    assert taught.assign(sentence[None, :])[0].touchpoint == "app"


def test_touchpoint_accuracy_counts_none_as_a_class():
    rows = [
        {"stage": "buy", "touchpoint": "checkout"},
        {"stage": "use", "touchpoint": "app"},
        {"stage": None, "touchpoint": None},
        {"stage": "use", "touchpoint": "app"},
    ]
    embeddings = np.stack([unit(1, 0.1, 0), unit(0.1, 1, 0), unit(0, 0, 1), unit(1, 0, 0)])
    result = accuracy(assigner(), embeddings, rows)
    assert result["touchpoint_accuracy"] == 0.75
    assert result["on_map_touchpoint_accuracy"] == 2 / 3
    assert result["none_recall"] == 1.0 and result["none_precision"] == 1.0
