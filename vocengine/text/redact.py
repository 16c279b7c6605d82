"""Redact personal data before anything is stored or printed.

Patterns cover what survey and ticket text carries most: e-mail addresses, phone numbers, payment
card numbers (Luhn-checked, so order numbers survive) and URLs that carry a secret. Person names need
a statistical NER model; they are redacted only when a spaCy pipeline with NER is configured.

The patterns read cleaned text (`clean_and_redact`: markup, entities, fullwidth forms and zero-width
characters out first), and they run on RE2, whose matching time is linear in the text: with Python's
backtracking `re` one of them once took tens of seconds on a long run of digits and spaces. RE2 has no
lookaround, so boundaries and checks (Luhn, digit counts) are made in Python on each match, in time
bounded by the match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import re2

from vocengine.text.clean import clean_text

Redact = Callable[[str], tuple[str, dict[str, int]]]
Span = tuple[int, int]

URL = re2.compile(r"(?i)\b(?:https?://|www\.)[^\s\p{Z}<>\"']+")
SECRET_PARAM = re2.compile(
    r"(?i)[?&#;][\w-]*(?:token|key|secret|sig|signature|auth|session|sid|code|password|pwd|otp|jwt)="
)
# A long run mixing letters and digits reads as a generated secret rather than a word or an id.
WORD_RUN = re2.compile(r"[A-Za-z0-9_-]{20,}")
# The character before an address or a number is consumed by the pattern (group 1 is what is redacted):
# RE2 has no lookbehind, and consuming one boundary character never hides the next match, which cannot
# start with it.
EMAIL = re2.compile(r"(?:^|[^\pL\pN_.+-])([\pL\pN_.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)")
# Digit groups joined by up to three separators: spaces (NFKC has made NBSP and thin spaces plain ones),
# dashes of any kind, dots, slashes, underscores and bullets.
CARD_SEPARATORS = r"[ \t._/\p{Pd}\x{00B7}\x{2022}\x{2219}]"
# Groups of 1 or 2 digits start no card (see CARD_MIN_GROUP), so runs are of groups of 3 and more: text full of
# small numbers then costs RE2's scan, not a Python step per number.
NUMBER_RUN = re2.compile(rf"\d{{3,}}(?:{CARD_SEPARATORS}{{1,3}}\d{{3,}})*")
DIGIT_GROUP = re2.compile(r"\d+")
PHONE_BODY = r"(?:\+\d{1,3}[\s.\p{Pd}]?)?(?:\(\d{1,4}\)[\s.\p{Pd}]?)?\d[\d\s.\p{Pd}]{5,}\d"
PHONE = re2.compile(rf"(?:^|[^\pL\pN_+])({PHONE_BODY})")
PHONE_ALONE = re2.compile(PHONE_BODY)
# Digits of other scripts (Arabic-Indic, Devanagari, ...) are read as ASCII ones; one character for one,
# so spans found in that view are spans of the text.
OTHER_DIGIT = re2.compile(r"[^\P{Nd}0-9]")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CARD_DIGITS = (13, 19)
# Cards are written as one block or in groups of 4 to 6; a window of shorter groups is a list of small
# numbers (scores, quantities), and one in ten of those would pass the Luhn check by chance.
CARD_MIN_GROUP = 3

PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "url": "[URL]", "person": "[NAME]"}


# Every second digit from the right is doubled, its digits summed: 7 -> 14 -> 1 + 4 = 5.
LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_valid(digits: str) -> bool:
    backwards = digits[::-1]
    return (sum(map(int, backwards[0::2])) + sum(map(int, backwards[1::2].translate(LUHN_DOUBLED)))) % 10 == 0


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_separator(char: str) -> bool:
    return char.isspace() or char == "." or unicodedata.category(char) == "Pd"


def find_urls(text: str) -> Iterator[Span]:
    """URLs that carry a secret: a token-like query parameter or a long generated-looking path part."""
    for match in URL.finditer(text):
        url = match.group().rstrip(".,;:!?)]}")
        if SECRET_PARAM.search(url) or any(_looks_generated(run.group()) for run in WORD_RUN.finditer(url)):
            yield match.start(), match.start() + len(url)


def _looks_generated(run: str) -> bool:
    return any(c.isdigit() for c in run) and any(c.isalpha() for c in run)


def find_emails(text: str) -> Iterator[Span]:
    for match in EMAIL.finditer(text):
        yield match.span(1)


def find_cards(text: str) -> Iterator[Span]:
    """Luhn-valid runs of 13 to 19 digits, found in each run of digit groups: the longest valid window of
    whole groups from each group on, so a card next to an order number is still found."""
    for run in NUMBER_RUN.finditer(text):
        groups = [(g.start() + run.start(), g.end() + run.start()) for g in DIGIT_GROUP.finditer(run.group())]
        first = 0
        while first < len(groups):
            end = _card_window(text, groups, first)
            if end is None:
                first += 1
                continue
            yield groups[first][0], groups[end][1]
            first = end + 1


def _card_window(text: str, groups: list[Span], first: int) -> int | None:
    """The last group of the longest card starting at group `first`, if any; at most 19 groups are read."""
    digits = ""
    shortest = CARD_DIGITS[1]
    found = None
    for last in range(first, len(groups)):
        start, end = groups[last]
        digits += text[start:end]
        shortest = min(shortest, end - start)
        if len(digits) > CARD_DIGITS[1] or (last > first and shortest < CARD_MIN_GROUP):
            break
        if len(digits) >= CARD_DIGITS[0] and luhn_valid(digits):
            found = last
    return found


def find_phones(text: str) -> Iterator[Span]:
    for match in PHONE.finditer(text):
        start, end = match.span(1)
        found = match.group(1)
        if end < len(text) and _is_word(text[end]):
            # Python's `re` would backtrack to the last group that ends before a separator; so do we, once.
            found = found.rstrip("0123456789")
            while found and _is_separator(found[-1]):
                found = found[:-1]
            if not PHONE_ALONE.fullmatch(found):
                continue
        if _is_phone(found):
            yield start, start + len(found)


def _is_phone(found: str) -> bool:
    digits = sum(c.isdigit() for c in found)
    international = found.startswith(("+", "("))
    if ISO_DATE.match(found) or not (7 if international else 9) <= digits <= 15:
        return False
    # A plain number without separators is more often an order or ticket number than a phone.
    return international or any(_is_separator(c) for c in found)


FINDERS: list[tuple[str, Callable[[str], Iterator[Span]]]] = [
    ("url", find_urls),
    ("email", find_emails),
    ("card", find_cards),
    ("phone", find_phones),
]


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    ascii_digits: str = OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)
    return ascii_digits


def _replace(text: str, spans: list[Span], placeholder: str) -> str:
    parts = []
    position = 0
    for start, end in spans:
        parts += [text[position:start], placeholder]
        position = end
    parts.append(text[position:])
    return "".join(parts)


class Redactor:
    """Replaces personal data with placeholders. `ner` is an optional spaCy pipeline with an NER."""

    def __init__(self, ner: Any | None = None) -> None:
        self.ner = ner

    def __call__(self, text: str) -> tuple[str, dict[str, int]]:
        counts: dict[str, int] = {}
        for kind, find in FINDERS:
            spans = list(find(_ascii_digits(text)))
            if spans:
                text = _replace(text, spans, PLACEHOLDERS[kind])
                counts[kind] = len(spans)
        if self.ner is not None:
            text, people = _redact_people(self.ner, text)
            if people:
                counts["person"] = people
        return text, counts


def _redact_people(ner: Any, text: str) -> tuple[str, int]:
    doc = ner(text)
    people = [ent for ent in doc.ents if ent.label_ == "PERSON"]
    for ent in reversed(people):
        text = text[: ent.start_char] + PLACEHOLDERS["person"] + text[ent.end_char :]
    return text, len(people)


@dataclass
class Redacted:
    text: str
    flags: list[str] = field(default_factory=list)  # the cleaning's W4xx codes
    counts: dict[str, int] = field(default_factory=dict)  # how many of each kind were redacted


def clean_and_redact(text: str, redact: Redact) -> Redacted:
    """Text as vocengine stores, analyses and shows it: cleaned, then redacted. Every path that takes text in
    (ingest by the API, `vocengine import` and connectors; labels; `/v1/analyze` and `vocengine analyze`)
    calls this one function, so that none can redact text that markup, entities or Unicode tricks still
    disguise, and none redacts differently."""
    cleaned = clean_text(text)
    redacted, counts = redact(cleaned.text)
    return Redacted(redacted, cleaned.flags, counts)


def personal_data_in(value: str) -> list[str]:
    """The kinds of personal data the patterns find in a short value such as an id (names are not looked for:
    an NER model reads sentences, not ids)."""
    return list(Redactor()(clean_text(value).text)[1])
