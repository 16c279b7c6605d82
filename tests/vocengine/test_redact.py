import pytest

from tests.support.personal_data import DISGUISED
from vocengine.text import clean, redact
from vocengine.text.redact import Redactor, clean_and_redact, luhn_valid, personal_data_in


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


@pytest.mark.parametrize(("why", "text", "stored"), DISGUISED, ids=[d[0] for d in DISGUISED])
def test_disguised_personal_data_is_cleaned_then_redacted(why, text, stored):
    assert clean_and_redact(text, Redactor()).text == stored


@pytest.mark.parametrize(
    "text",
    [
        "Team 👩\u200d💻 loves the export",  # the joiner that builds an emoji stays
        "Scored 9 / 10 and 8 / 10 for 3 years",
        "Order 12345678901234 shipped",  # 14 digits, not Luhn-valid
    ],
)
def test_cleaning_keeps_what_is_not_personal_data(text):
    assert "[" not in clean_and_redact(text, Redactor()).text


def test_a_phone_number_glued_to_a_word_loses_only_the_glued_group():
    assert Redactor()("call 415 555 0132 1234abc now") == ("call [PHONE] 1234abc now", {"phone": 1})


def test_each_kind_is_counted_once_per_item():
    text = "a@example.com, b@example.com, 4111 1111 1111 1111, +1 415 555 0132"
    assert Redactor()(text) == ("[EMAIL], [EMAIL], [CARD], [PHONE]", {"email": 2, "card": 1, "phone": 1})


def test_personal_data_in_a_short_value_is_named_by_kind():
    assert personal_data_in("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ") == ["email"]
    assert personal_data_in("crm-00042") == []


class CountingPattern:
    """A compiled RE2 pattern that counts the characters it is asked to scan."""

    def __init__(self, pattern, meter):
        self.pattern, self.meter = pattern, meter

    def _scan(self, text, pos=0):
        self.meter[0] += len(text) - pos

    def finditer(self, text, pos=0, *rest):
        self._scan(text, pos)
        return self.pattern.finditer(text, pos, *rest)

    def search(self, text, *rest):
        self._scan(text)
        return self.pattern.search(text, *rest)

    def fullmatch(self, text, *rest):
        self._scan(text)
        return self.pattern.fullmatch(text, *rest)

    def sub(self, repl, text, *rest):
        self._scan(text)
        return self.pattern.sub(repl, text, *rest)


PATTERN_NAMES = ["URL", "SECRET_PARAM", "WORD_RUN", "EMAIL", "NUMBER_RUN", "DIGIT_GROUP", "PHONE", "PHONE_ALONE"]
CLEAN_PATTERN_NAMES = ["MARKUP", "FORMAT_CHARS", "BLANK_LINES"]

# Inputs of each pattern's worst shape: long runs the old backtracking patterns rescanned from every start.
ADVERSARIAL = {
    "digits and spaces": lambda n: "1 " * (n // 2),
    "digits": lambda n: "1" * n,
    "digits and dashes": lambda n: "1-" * (n // 2) + "x",
    "word dots": lambda n: "a." * (n // 2),
    "at signs": lambda n: "a@" * (n // 2),
    "local part without @": lambda n: "a" * n + "@",
    "long URL": lambda n: "https://example.com/" + "a" * n,
    "long URL query": lambda n: "https://example.com/?" + "a" * n,
    "international prefixes": lambda n: "+1 " * (n // 3),
    "open tags": lambda n: "<b>" + "<a " * (n // 3),
    "open comments": lambda n: "<!--" * (n // 4),
    "spaces without a line break": lambda n: " " * n + "x",
    "nested entities": lambda n: "&amp;" * (n // 5),
}


def test_redaction_patterns_run_on_re2():
    for module, names in ((redact, PATTERN_NAMES), (clean, CLEAN_PATTERN_NAMES)):
        for name in names:
            assert type(getattr(module, name)).__module__ == "re2", name


@pytest.mark.parametrize("shape", list(ADVERSARIAL))
def test_cleaning_and_redaction_scan_linearly_on_adversarial_input(shape, monkeypatch):
    """RE2 matches in time linear in what it scans (no backtracking), so the work is the characters handed to
    its patterns: doubling the input must not more than double them, as rescanning from each match or each
    start would. Counted, not timed (`python -m vocengine.bench_redact` has the times)."""
    meter = [0]
    for module, names in ((redact, PATTERN_NAMES), (clean, CLEAN_PATTERN_NAMES)):
        for name in names:
            monkeypatch.setattr(module, name, CountingPattern(getattr(module, name), meter))

    def work(size):
        meter[0] = 0
        clean_and_redact(ADVERSARIAL[shape](size), Redactor())
        return meter[0]

    small, large = work(20_000), work(40_000)
    assert 0 < large <= 2.2 * small, (small, large)
    assert large <= 40 * 40_000  # a constant number of passes, not one per match
