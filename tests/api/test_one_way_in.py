"""One way in: the API, the command line and a connector calling the use case store the same cleaned and
redacted text for the same input, with and without a spaCy NER model configured (they once did not: the
import command redacted without the NER model the API used)."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from tests.support.personal_data import DISGUISED
from vocengine.cli import main
from vocengine.ingest import ResponseCreate
from vocengine.runtime import Runtime
from vocengine.settings import get_settings
from vocengine.store.tables import Label, Response
from vocengine.usecases.responses import store_responses

TEXT = (
    "Maria Lopez wrote from maria.lopez@example.com: the <b>invoice</b> for card 4111&nbsp;1111 1111 1111 "
    "was wrong, call +1 415 555 0132."
)
LABEL_TEXT = "Maria Lopez says the <i>invoice</i> reached maria.lopez@example.com late."


@pytest.fixture
def ner_model(tmp_path):
    """A real spaCy pipeline whose entity ruler tags one person's name, saved like any pipeline folder."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Maria Lopez"}])
    nlp.to_disk(tmp_path / "ner")
    return tmp_path / "ner"


@pytest.fixture(params=["without NER", "with NER"])
def configured(request, database_url, tmp_path, monkeypatch, tiny_model_dir, tiny_base, ner_model):
    """The VOCENGINE_* settings every entry point reads: the tiny model, and the NER model or none."""
    env = {
        "VOCENGINE_DATABASE_URL": database_url,
        "VOCENGINE_DATA_DIR": str(tmp_path),
        "VOCENGINE_MODEL_DIR": str(tiny_model_dir),
        "VOCENGINE_BASE_MODEL_PATH": str(tiny_base),
        "VOCENGINE_TOUCHPOINT_THRESHOLD": "-1",
    }
    if request.param == "with NER":
        env["VOCENGINE_SPACY_NER_MODEL"] = str(ner_model)
    else:
        monkeypatch.delenv("VOCENGINE_SPACY_NER_MODEL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield request.param == "with NER"
    get_settings.cache_clear()


def test_the_api_the_import_command_and_a_connector_store_the_same_redacted_text(configured, tmp_path):
    from tests.support.service import serve

    with_ner = configured
    service, stop = serve(Runtime(get_settings()))
    try:
        with service.client("ingest", "read", "label") as client:
            reply = client.post("/v1/responses", json={"source": "survey", "external_id": "api", "text": TEXT})
            assert reply.status_code == 202, reply.text
            analysed = client.post("/v1/analyze", json={"texts": [TEXT]}).json()["results"][0]["text"]
            label = client.post("/v1/labels", json={"text": LABEL_TEXT, "sentiment": "negative"})
            assert label.status_code == 201, label.text
    finally:
        stop()
        service.runtime.close()

    responses = tmp_path / "responses.csv"
    with responses.open("w", newline="") as handle:
        csv.writer(handle).writerows([["id", "text", "source"], ["cli", TEXT, "ticket"]])
    assert main(["import", str(responses), "--progress", "never"]) == 0
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"text": LABEL_TEXT, "sentiment": "neutral", "labelled_by": "cli"}) + "\n")
    assert main(["labels", "import", str(labels)]) == 0

    connector = Runtime(get_settings())  # e.g. a webhook receiver: its own process, the same use case
    try:
        store_responses(connector, [ResponseCreate(source="chat", external_id="connector", text=TEXT)])
        with connector.engine.connect() as connection:
            stored = dict(connection.execute(select(Response.external_id, Response.text)).all())
            label_texts = connection.execute(select(Label.text).order_by(Label.id)).scalars().all()
    finally:
        connector.close()

    expected = "wrote from [EMAIL]: the invoice for card [CARD] was wrong, call [PHONE]."
    expected = ("[NAME] " if with_ner else "Maria Lopez ") + expected
    assert stored == {"api": expected, "cli": expected, "connector": expected}
    assert analysed == expected  # what the engine reads is what is stored
    label_expected = ("[NAME]" if with_ner else "Maria Lopez") + " says the invoice reached [EMAIL] late."
    assert label_texts == [label_expected, label_expected]


def frame(text: str) -> str:
    """A disguise inside English sentences, so that labels (English only) accept it."""
    return f"The invoice was wrong again. {text}. Support answered within minutes."


def test_the_import_commands_redact_disguised_personal_data(configured, tmp_path):
    responses = tmp_path / "responses.csv"
    with responses.open("w", newline="") as handle:
        rows = [[f"r{i}", text, "ticket", "jane&#64;example.com"] for i, (_, text, _) in enumerate(DISGUISED)]
        csv.writer(handle).writerows([["id", "text", "source", "owner"], *rows])
    assert main(["import", str(responses), "--progress", "never"]) == 0
    labels = tmp_path / "labels.jsonl"
    records = [{"text": frame(text), "sentiment": "negative", "labelled_by": "cli"} for _, text, _ in DISGUISED]
    labels.write_text("".join(json.dumps(record) + "\n" for record in records))
    assert main(["labels", "import", str(labels)]) == 0

    runtime = Runtime(get_settings())
    try:
        with runtime.engine.connect() as connection:
            stored = connection.execute(select(Response.text, Response.segments).order_by(Response.id)).all()
            label_texts = connection.execute(select(Label.text).order_by(Label.id)).scalars().all()
    finally:
        runtime.close()
    assert [text for text, _ in stored] == [expected for _, _, expected in DISGUISED]
    assert {segments["owner"] for _, segments in stored} == {"[EMAIL]"}
    assert label_texts == [frame(expected) for _, _, expected in DISGUISED]
