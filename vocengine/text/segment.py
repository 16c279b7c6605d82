"""Sentence segmentation with spaCy, keeping character offsets into the (redacted) text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


class SentenceSplitter:
    """spaCy's rule-based sentencizer on each line: survey answers often use a line per point, so a
    line break always ends a sentence. A configured spaCy pipeline with a parser may replace it."""

    def __init__(self, nlp: Any | None = None) -> None:
        self._nlp = nlp

    @cached_property
    def nlp(self) -> Any:
        if self._nlp is not None:
            return self._nlp
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp

    def split(self, text: str) -> list[Sentence]:
        return self.split_many([text])[0]

    def split_many(self, texts: list[str]) -> list[list[Sentence]]:
        lines = [(t, m.start(), m.group()) for t, text in enumerate(texts) for m in LINE.finditer(text)]
        result: list[list[Sentence]] = [[] for _ in texts]
        docs = self.nlp.pipe(line for _, _, line in lines)
        for (t, offset, _), doc in zip(lines, docs, strict=True):
            for sent in doc.sents:
                stripped = sent.text.strip()
                if not stripped:
                    continue
                start = offset + sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
                result[t].append(Sentence(stripped, start, start + len(stripped)))
        return result


def truncate_by_sentences(text: str, sentences: list[Sentence], limit: int) -> tuple[str, list[Sentence]]:
    """Keep whole sentences that end within `limit` characters; cut a lone giant sentence at a word."""
    kept = [s for s in sentences if s.end <= limit]
    if not kept:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        first = text[:cut].strip()
        return first, [Sentence(first, 0, len(first))] if first else []
    return text[: kept[-1].end], kept
