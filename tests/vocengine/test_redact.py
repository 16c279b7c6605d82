import pytest

from vocengine.text.redact import Redactor, luhn_valid


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("mail jane.doe@example.com today", "mail [EMAIL] today", "email"),
        ("call me at +1 415 555 0132.", "call me at [PHONE].", "phone"),
        ("office (415) 555-0132 please", "office [PHONE] please", "phone"),
        ("ring 020 7946 0958 after 5", "ring [PHONE] after 5", "phone"),
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged", "card"),
        ("card 4111-1111-1111-1111", "card [CARD]", "card"),
        ("link https://app.example.com/reset?token=abc123def456, thanks", "link [URL], thanks", "url"),
        ("see https://x.io/share/a8F3kQ9zL2mN7pR4sT6v", "see [URL]", "url"),
    ],
)
def test_personal_data_is_replaced_by_a_placeholder(text, expected, kind):
    redacted, counts = Redactor()(text)
    assert redacted == expected
    assert counts == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "Order 123456789 arrived on 2026-11-22",
        "It cost $12,000 for 250 seats",
        "Version 2.3.1 fixed ticket #4521",
        "Docs at https://example.com/docs/getting-started were helpful",
        "Card ending 4111 1111 1111 1112 is not a valid number",
    ],
)
def test_ordinary_numbers_and_plain_urls_are_kept(text):
    assert Redactor()(text) == (text, {})


def test_luhn_check():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_person_names_are_redacted_when_a_spacy_ner_pipeline_is_configured(tmp_path):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Maria Lopez"}])
    nlp.to_disk(tmp_path / "ner")
    redactor = Redactor(spacy.load(tmp_path / "ner"))
    assert redactor("Our CSM Maria Lopez was brilliant") == ("Our CSM [NAME] was brilliant", {"person": 1})


def test_without_ner_names_stay():
    assert Redactor()("Our CSM Maria Lopez was brilliant")[0] == "Our CSM Maria Lopez was brilliant"
