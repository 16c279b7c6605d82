"""Normalise raw feedback text: markup out, whitespace tidied, and flags for what was changed."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
# Tags after which a reader sees a new line, so the sentence splitter should too.
BLOCK_TAGS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote"}
SPACES = re.compile(r"[ \t\f\v\u00a0]+")
BLANK_LINES = re.compile(r"\s*\n\s*")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass
class CleanText:
    text: str
    flags: list[str] = field(default_factory=list)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    return "".join(extractor.parts)


def decode_bytes(raw: bytes) -> CleanText:
    """Decode UTF-8, replacing what is not UTF-8 rather than failing the whole row."""
    try:
        return CleanText(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return CleanText(raw.decode("utf-8", errors="replace"), ["W404"])


def clean_text(text: str) -> CleanText:
    flags = ["W404"] if "\ufffd" in text else []
    if TAG.search(text):
        text = strip_html(text)
        flags.append("W405")
    elif "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")))
    text = BLANK_LINES.sub("\n", SPACES.sub(" ", text)).strip()
    if not text:
        flags.append("W401")
    elif not any(ch.isalpha() for ch in text):
        flags.append("W406")
    return CleanText(text, flags)
