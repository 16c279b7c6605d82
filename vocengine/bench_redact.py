"""`vocengine bench-redact`: the time cleaning and redaction take on adversarial text, before and after RE2.

"Before" is the cleaning and the patterns as they were until issue 9 (Python's backtracking `re` and
`html.parser`), kept here only as the reference: one request with a long run of digits and spaces stalled
the API for tens of seconds on them. Each shape is the worst case of one old pattern; the times at 10k,
20k and 40k characters show the growth: about x2 per doubling is linear, about x4 quadratic. A slow
"before" is measured once and stops growing past `--cap` seconds; "after" is the best of three runs.
"""

from __future__ import annotations

import html
import json
import re
import time
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from vocengine.text.clean import clean_text
from vocengine.text.redact import Redactor

# -- before: the patterns and the cleaning as they were ---------------------------------------------------

OLD_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
OLD_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
OLD_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
OLD_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,}\d(?!\w)")
OLD_SECRET_PARAM = re.compile(
    r"[?&#;](?:[\w-]*(?:token|key|secret|sig|signature|auth|session|sid|code|password|pwd|otp|jwt))=",
    re.IGNORECASE,
)
OLD_RANDOM_RUN = re.compile(r"(?=[A-Za-z0-9_-]{20,})(?=[A-Za-z_-]*\d)(?=[0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}")
OLD_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
OLD_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
OLD_BLANK_LINES = re.compile(r"\s*\n\s*")


def _old_url(match: re.Match[str]) -> str:
    url = match.group().rstrip(".,;:!?)]}")
    if OLD_SECRET_PARAM.search(url) or OLD_RANDOM_RUN.search(url):
        return "[URL]" + match.group()[len(url) :]
    return match.group()


def old_redact(text: str) -> str:
    """The four old patterns in their old order; the callbacks' checks cost little beside the matching."""
    text = OLD_URL.sub(_old_url, text)
    text = OLD_EMAIL.sub("[EMAIL]", text)
    text = OLD_CARD.sub(lambda m: m.group(), text)
    return OLD_PHONE.sub(lambda m: m.group(), text)


class _OldTextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def old_clean(text: str) -> str:
    if OLD_TAG.search(text):
        extractor = _OldTextExtractor()
        extractor.feed(text)
        extractor.close()
        text = "".join(extractor.parts)
    elif "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    return OLD_BLANK_LINES.sub("\n", OLD_SPACES.sub(" ", text)).strip()


# -- the shapes ------------------------------------------------------------------------------------------

SHAPES: dict[str, Callable[[int], str]] = {
    "digits and spaces (PHONE, CARD)": lambda n: "1 " * (n // 2) + "x",
    "digits and dots (PHONE)": lambda n: "1." * (n // 2) + "x",
    "groups of four digits (CARD)": lambda n: "1234 " * (n // 5),
    "international prefixes (PHONE)": lambda n: "+1 " * (n // 3),
    "word characters and dots (EMAIL)": lambda n: "a." * (n // 2),
    "a@ repeated (EMAIL)": lambda n: "a@" * (n // 2),
    "long URL path (URL secret run)": lambda n: "https://example.com/" + "a" * n,
    "open tags <a (cleaning)": lambda n: "<b>" + "<a " * (n // 3),
    "open comments <!-- (cleaning)": lambda n: "<!--" * (n // 4),
    "ideographic spaces, no line break (cleaning)": lambda n: "\u3000" * n + "x",
}
SIZES = (10_000, 20_000, 40_000)


def _seconds(step: Callable[[str], object], text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        step(text)
        best = min(best, time.perf_counter() - started)
    return best


def _new_redact(text: str) -> str:
    return Redactor()(text)[0]


def _new_clean(text: str) -> str:
    return clean_text(text).text


Figures = dict[str, dict[str, dict[str, float | None]]]  # shape -> step -> size -> seconds (None: skipped)


def run_redaction_benchmark(sizes: tuple[int, ...] = SIZES, cap: float = 20.0, out: Path | None = None) -> Figures:
    figures: Figures = {}
    steps = {
        "redact before": (old_redact, 1),
        "redact after": (_new_redact, 3),
        "clean before": (old_clean, 1),
        "clean after": (_new_clean, 3),
    }
    for shape, make in SHAPES.items():
        figures[shape] = {}
        for name, (step, repeats) in steps.items():
            row: dict[str, float | None] = {}
            too_slow = False
            for size in sizes:
                row[str(size)] = None if too_slow else _seconds(step, make(size), repeats)
                too_slow = too_slow or (row[str(size)] or 0) > cap
            figures[shape][name] = row
    lines = [f"{'shape':<44} {'step':<14} " + " ".join(f"{s:>10,}" for s in sizes)]
    for shape, rows in figures.items():
        for name, row in rows.items():
            cells = " ".join(f"{v:>9.4f}s" if v is not None else f"{'skipped':>10}" for v in row.values())
            lines.append(f"{shape:<44} {name:<14} {cells}")
    text = "\n".join(lines)
    print(text)
    if out is not None:
        out.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    run_redaction_benchmark()
