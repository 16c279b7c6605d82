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


def test_none_labels_keep_a_sentence_unassigned():
    from vocengine.journey.learned import LearnedTouchpoints

    # Close enough to "app" to pass the threshold, but closer still to sentences labelled "none of these".
    sentence = unit(0.2, 1, 0.9)
    assert assigner(threshold=0.3).assign(sentence[None, :])[0].touchpoint == "app"
    learned = LearnedTouchpoints(np.stack([unit(0.2, 1, 1), unit(0.2, 0.9, 1)]), ["none", "none"])
    assert assigner(threshold=0.3).with_learned(learned).assign(sentence[None, :]) == [None]


def test_a_learnt_head_decides_for_its_own_map_only():
    from vocengine.journey.learned import LearnedTouchpoints, train_head

    # Labels say: sentences along the third axis are about the app, whatever the map's prototypes say.
    x = np.stack([unit(0, 0, 1), unit(0.1, 0, 1), unit(1, 0, 0), unit(1, 0.1, 0), unit(0, 0.2, -1), unit(0.1, 0, -1)])
    labels = ["app", "app", "checkout", "checkout", "none", "none"]
    head = train_head(x, labels, ["checkout", "app"])
    assert head.classes == ["checkout", "app", "none"]
    learned = LearnedTouchpoints(x, labels, head)
    taught = assigner().with_learned(learned)
    assert taught.head is head
    result = taught.assign(np.stack([unit(0.05, 0, 1), unit(1, 0, 0.05), unit(0, 0.1, -1)]))
    assert result[0].touchpoint == "app" and 0.5 < result[0].score <= 1.0  # a probability now
    assert result[1].touchpoint == "checkout" and result[2] is None
    assert np.all(taught.margins(x) >= 0)
    # Another map with other touchpoints: the head does not fit, the labelled sentences still help.
    other = parse_journey_map(
        {"name": "Other", "stages": [{"id": "use", "name": "Use", "touchpoints": [
            {"id": "app", "name": "App", "description": "The app."}]}]}
    )  # fmt: skip
    elsewhere = TouchpointAssigner(other, unit(0, 1, 0)[None, :], [0], 0.5, 2).with_learned(learned)
    assert elsewhere.head is None and elsewhere.prototype_count == 1 + 2 + 2  # map + "app" labels + "none"


def test_a_reserved_touchpoint_id_is_refused():
    import pytest

    from vocengine.errors import JourneyMapError

    with pytest.raises(JourneyMapError, match="reserved"):
        parse_journey_map({"name": "x", "stages": [{"id": "s", "name": "S", "touchpoints": [
            {"id": "none", "name": "None", "description": "d"}]}]})  # fmt: skip
