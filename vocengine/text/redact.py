"""Redact personal data before anything is stored or printed.

Patterns cover what survey and ticket text carries most: e-mail addresses, phone numbers, payment
card numbers (Luhn-checked, so order numbers survive) and URLs that carry a secret. Person names need
a statistical NER model; they are redacted only when a spaCy pipeline with NER is configured.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,}\d(?!\w)")
SECRET_PARAM = re.compile(
    r"[?&#;](?:[\w-]*(?:token|key|secret|sig|signature|auth|session|sid|code|password|pwd|otp|jwt))=",
    re.IGNORECASE,
)
# A long run mixing letters and digits reads as a generated secret rather than a word or an id.
RANDOM_RUN = re.compile(r"(?=[A-Za-z0-9_-]{20,})(?=[A-Za-z_-]*\d)(?=[0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "url": "[URL]", "person": "[NAME]"}


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return PLACEHOLDERS["card"] if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    digits = re.sub(r"\D", "", found)
    international = found.startswith(("+", "("))
    if ISO_DATE.match(found.strip()) or not (9 if not international else 7) <= len(digits) <= 15:
        return found
    # A plain number without separators is more often an order or ticket number than a phone.
    if not international and not re.search(r"[\s.-]", found):
        return found
    return PLACEHOLDERS["phone"]


def _url(match: re.Match[str]) -> str:
    url = match.group()
    trailing = ""
    while url and url[-1] in ".,;:!?)]}":
        trailing, url = url[-1] + trailing, url[:-1]
    if SECRET_PARAM.search(url) or RANDOM_RUN.search(url):
        return PLACEHOLDERS["url"] + trailing
    return url + trailing


class Redactor:
    """Replaces personal data with placeholders. `ner` is an optional spaCy pipeline with an NER."""

    def __init__(self, ner: Any | None = None) -> None:
        self.ner = ner
        self.steps: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]] = [
            (URL, _url),
            (EMAIL, PLACEHOLDERS["email"]),
            (CARD, _card),
            (PHONE, _phone),
        ]

    def __call__(self, text: str) -> tuple[str, dict[str, int]]:
        counts: dict[str, int] = {}
        for pattern, replacement in self.steps:
            before = text
            text = pattern.sub(replacement, text)
            if text != before:
                for kind, placeholder in PLACEHOLDERS.items():
                    added = text.count(placeholder) - before.count(placeholder)
                    if added > 0:
                        counts[kind] = counts.get(kind, 0) + added
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
