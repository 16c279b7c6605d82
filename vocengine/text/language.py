"""Language identification: English is scored, anything else is flagged and left unscored."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

# Candidate languages: the ones feedback most often arrives in. A closed set keeps short English
# comments from being read as a rare language that happens to share a few character n-grams.
CANDIDATES = [
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "ru", "uk", "tr",
    "ar", "he", "hi", "zh", "ja", "ko", "id", "vi", "th", "el", "hu", "ro",
]  # fmt: skip
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
ENGLISH_FUNCTION_WORDS = frozenset(
    "the a an and or but is are was were be been it this that to of in on for with not no we i you they "
    "our my your their have has had do does did can could will would should very so too just".split()
)


class LanguageDetector:
    """py3langid (its model ships in the package) with guards for short text."""

    def __init__(self, min_confidence: float = 0.60) -> None:
        self.min_confidence = min_confidence

    @cached_property
    def _identifier(self) -> Any:
        from py3langid.langid import _load_identifier

        return _load_identifier(norm_probs=True, langs=CANDIDATES)

    def detect(self, text: str) -> str:
        words = WORD.findall(text)
        if not words:
            return "und"
        latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
        letters = sum(1 for ch in text if ch.isalpha())
        english_words = sum(1 for w in words if w.lower() in ENGLISH_FUNCTION_WORDS)
        language, confidence = self._identifier.classify(text)
        if language == "en":
            return "en"
        # Non-Latin script is a strong signal even in a short text.
        if letters and latin / letters < 0.5:
            return str(language)
        # Short Latin-script text ("ok", "lol", "Support was slow") is too little evidence to
        # refuse scoring, unless the identifier is confident and English function words are absent.
        if len(words) < 3 or english_words * 4 >= len(words) or confidence < self.min_confidence:
            return "en"
        return str(language)
