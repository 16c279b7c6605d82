from pathlib import Path

import pytest
import yaml

from vocengine.errors import JourneyMapError
from vocengine.journey.maps import load_journey_map, parse_journey_map
from vocengine.settings import MODELS_DIR

DEFAULT_MAPS = {
    "b2b_saas.yaml": ["awareness", "evaluation", "purchase", "onboarding", "usage", "support", "renewal"],
    "retail_ecommerce.yaml": ["discovery", "checkout", "delivery", "product_use", "returns", "support"],
}


@pytest.mark.parametrize(("file", "stages"), DEFAULT_MAPS.items())
def test_default_maps_load_with_stages_in_journey_order(file, stages):
    journey = load_journey_map(MODELS_DIR / "journeys" / file)
    assert [s.id for s in journey.stages] == stages
    for _, touchpoint in journey.touchpoints():
        assert len(touchpoint.examples) >= 5


def valid_map() -> dict:
    return {
        "name": "Test",
        "stages": [
            {
                "id": "onboarding",
                "name": "Onboarding",
                "touchpoints": [
                    {"id": "kickoff", "name": "Kick-off", "description": "First calls.", "examples": ["x"]}
                ],
            }
        ],
    }


def broken(path: str, value) -> dict:
    data = valid_map()
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (broken("name", KeyError), "name"),
        (broken("stages", []), "stages"),
        (broken("stages.0.id", "Bad Id"), "stages.0.id"),
        (broken("stages.0.touchpoints", []), "stages.0.touchpoints"),
        (broken("stages.0.touchpoints.0.description", KeyError), "stages.0.touchpoints.0.description"),
        (broken("stages.0.touchpoints.0.examples", ["fine", "  "]), "stages.0.touchpoints.0.examples"),
        (broken("stages.0.colour", "red"), "stages.0.colour"),
    ],
)
def test_invalid_map_error_names_the_field(data, field):
    with pytest.raises(JourneyMapError) as error:
        parse_journey_map(data, "map.yaml")
    assert error.value.code == "E201"
    assert f"at {field}:" in str(error.value)


def test_duplicate_touchpoint_ids_are_rejected_with_their_place():
    data = valid_map()
    data["stages"].append(
        {"id": "usage", "name": "Usage", "touchpoints": [{"id": "kickoff", "name": "Again", "description": "d"}]}
    )
    with pytest.raises(JourneyMapError, match=r"at stages\.1\.touchpoints\.0\.id: 'kickoff' is used twice"):
        parse_journey_map(data, "map.yaml")


def test_unreadable_yaml_is_reported_with_the_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(JourneyMapError, match=r"E202.*bad\.yaml"):
        load_journey_map(path)


def test_fingerprint_changes_with_content_not_with_formatting(tmp_path: Path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(yaml.safe_dump(valid_map()))
    second.write_text(yaml.safe_dump(valid_map(), default_flow_style=True))
    assert load_journey_map(first).fingerprint() == load_journey_map(second).fingerprint()
    assert parse_journey_map(broken("name", "Other")).fingerprint() != load_journey_map(first).fingerprint()


def test_owners_and_targets_are_optional_and_a_touchpoint_inherits_its_stages_owner():
    data = valid_map()
    data["stages"][0]["owner"] = "onboarding-team"
    data["stages"][0]["target"] = {"min_net_sentiment": 20}
    data["stages"][0]["touchpoints"].append(
        {"id": "training", "name": "Training", "description": "Courses.", "owner": "academy",
         "target": {"moment": "positive", "min_net_sentiment": 30}}
    )  # fmt: skip
    journey = parse_journey_map(data)
    assert journey.owner_of("kickoff") == "onboarding-team"
    assert journey.owner_of("training") == "academy"
    assert journey.owner_of("nowhere") is None
    assert journey.stages[0].touchpoints[1].target.moment == "positive"
    assert parse_journey_map(valid_map()).stages[0].touchpoints[0].target is None


@pytest.mark.parametrize(
    ("target", "field"),
    [({}, "stages.0.touchpoints.0.target"), ({"moment": "negative"}, "stages.0.touchpoints.0.target.moment"),
     ({"min_net_sentiment": 150}, "stages.0.touchpoints.0.target.min_net_sentiment")],
)  # fmt: skip
def test_an_invalid_target_is_refused_naming_the_field(target, field):
    data = valid_map()
    data["stages"][0]["touchpoints"][0]["target"] = target
    with pytest.raises(JourneyMapError, match=f"invalid at {field.replace('.', '[.]')}"):
        parse_journey_map(data)


def test_owners_and_targets_change_the_fingerprint_but_not_what_assignment_reads():
    plain = parse_journey_map(valid_map())
    data = valid_map()
    data["stages"][0]["touchpoints"][0]["owner"] = "onboarding-team"
    planned = parse_journey_map(data)
    assert planned.fingerprint() != plain.fingerprint()
    assert planned.assignment_fingerprint() == plain.assignment_fingerprint()


@pytest.mark.parametrize(
    ("file", "fingerprint"), [("b2b_saas.yaml", "9121e546eb5f"), ("retail_ecommerce.yaml", "eb3b502b341c")]
)
def test_maps_without_owners_or_targets_keep_the_fingerprint_they_had(file, fingerprint):
    # Stored analyses and map versions name the map by this fingerprint: a new optional field must not move it.
    assert load_journey_map(MODELS_DIR / "journeys" / file).fingerprint() == fingerprint
