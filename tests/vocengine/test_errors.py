"""Every error and warning code used in the source is in the one message table, and every code there is used."""

from __future__ import annotations

import re
from pathlib import Path

from vocengine.errors import MESSAGES

PROJECT = Path(__file__).resolve().parents[2]
# A code as a string ("E302", 'W401') or as the start of a message ("[E303] ...").
CODE = re.compile(r"""["'\[]([EW]\d{3})["'\]]""")


def used_codes() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for folder in ("vocengine", "api", "training"):
        for path in sorted((PROJECT / folder).rglob("*.py")):
            if path == PROJECT / "vocengine" / "errors.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for code in CODE.findall(line):
                    used.setdefault(code, []).append(f"{path.relative_to(PROJECT)}:{number}")
    return used


def test_every_code_used_in_the_source_is_in_the_table():
    unknown = {code: places for code, places in used_codes().items() if code not in MESSAGES}
    assert unknown == {}


def test_every_code_in_the_table_is_used():
    assert sorted(set(MESSAGES) - set(used_codes())) == []


def test_a_message_carries_its_code_and_the_same_text_everywhere():
    from vocengine.errors import message

    assert message("E305", line=3, source="labels.jsonl", detail="invalid JSON") == (
        "[E305] Line 3 of labels.jsonl: invalid JSON."
    )


def test_no_code_is_written_by_hand_in_a_message():
    """"[E302] Row ..." typed out drifts from the table (it did: label import lines said E303, the code of a
    missing column); messages are made with `message(code, ...)`."""
    by_hand = re.compile(r"""f?["']\[[EW]\d{3}\] """)
    found = [
        f"{path.relative_to(PROJECT)}:{number}"
        for folder in ("vocengine", "api")
        for path in sorted((PROJECT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert found == []
