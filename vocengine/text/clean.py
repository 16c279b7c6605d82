"""Normalise raw feedback text: markup out, Unicode folded, whitespace tidied, and flags for what was changed.

Cleaning is also what makes redaction reliable: the patterns in `vocengine.text.redact` read the cleaned
text, so an e-mail address hidden by entities (`jane&#64;example.com`), empty tags (`jane@<b></b>x.com`),
zero-width characters or fullwidth letters (`ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ`) is plain by the time they look.
Every step runs in time linear in the text: markup is found with RE2, not with `html.parser`, whose
handling of unclosed tags is quadratic (3.5 s for 20,000 characters of `<a `).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

import re2

# Comments and script/style bodies run to their end or, unclosed, to the end of the text: a browser would
# not show what follows either, and leaving it in would leave markup in stored text.
MARKUP = re2.compile(
    r"(?i)<!--[\s\S]*?(?:-->|$)"
    r"|<script\b[^>]*>[\s\S]*?(?:</script\s*>|$)"
    r"|<style\b[^>]*>[\s\S]*?(?:</style\s*>|$)"
    r"|</?([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?/?>"
    r"|<[!?][^<>]*>"
)
# Tags after which a reader sees a new line, so the sentence splitter should too.
BLOCK_TAGS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote"}
# Decoding markup can reveal more markup (`&lt;b&gt;` is `<b>`, `&amp;#64;` is `&#64;`): text is decoded
# again until it stops changing. Three rounds cover text encoded twice (HTML in JSON in HTML); more
# nesting than that is not what a survey or ticket tool sends.
DECODE_ROUNDS = 3
# Format characters (zero-width spaces and joiners, soft hyphens, direction marks, BOM) are invisible
# and can split a word or a number so that no pattern sees it; a zero-width joiner between two
# non-ASCII characters is kept, because it builds emoji (👩‍💻) and some scripts' letters.
FORMAT_CHARS = re2.compile(r"[^\P{Cf}\x{200D}]+")
LONE_JOINER = re.compile(r"(?<=[\x00-\x7f])\u200d|\u200d(?=[\x00-\x7f])|^\u200d|\u200d$")
SPACES = re.compile(r"[ \t\f\v\u00a0]+")
# RE2: Python's `re` takes quadratic time on `\s*\n\s*` over a long run of spaces without a line break.
BLANK_LINES = re2.compile(r"[\s\p{Z}\x{85}]*\n[\s\p{Z}\x{85}]*")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass
class CleanText:
    text: str
    flags: list[str] = field(default_factory=list)


def strip_html(text: str) -> str:
    """Text without tags, comments, scripts and styles, entities decoded; block tags become line breaks."""
    parts = []
    position = 0
    for match in MARKUP.finditer(text):
        parts.append(text[position : match.start()])
        tag = match.group(1)
        if tag is not None and tag.lower() in BLOCK_TAGS:
            parts.append("\n")
        position = match.end()
    parts.append(text[position:])
    return html.unescape("".join(parts))


def fold_unicode(text: str) -> str:
    """NFKC (fullwidth letters and digits, ligatures and the many Unicode spaces become their plain
    forms) without invisible format characters."""
    text = FORMAT_CHARS.sub("", unicodedata.normalize("NFKC", text))
    return LONE_JOINER.sub("", text) if "\u200d" in text else text


def decode_bytes(raw: bytes) -> CleanText:
    """Decode UTF-8, replacing what is not UTF-8 rather than failing the whole row."""
    try:
        return CleanText(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return CleanText(raw.decode("utf-8", errors="replace"), ["W404"])


def clean_text(text: str) -> CleanText:
    flags = ["W404"] if "\ufffd" in text else []
    # Folding comes first and again after each decoding: `＜b＞` is `<b>` once folded, `&#xFF20;` is `＠`.
    text = fold_unicode(text)
    for _ in range(DECODE_ROUNDS):
        if MARKUP.search(text):
            decoded = strip_html(text)
            if "W405" not in flags:
                flags.append("W405")
        elif "&" in text:
            decoded = html.unescape(text)
        else:
            break
        decoded = fold_unicode(decoded)
        if decoded == text:
            break
        text = decoded
    text = CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = BLANK_LINES.sub("\n", SPACES.sub(" ", text)).strip()
    if not text:
        flags.append("W401")
    elif not any(ch.isalpha() for ch in text):
        flags.append("W406")
    return CleanText(text, flags)
