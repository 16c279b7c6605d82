"""Personal data in the disguises an audit found getting past redaction, with the text that must be stored.

Shared by the unit tests of the redactor and the tests of every way in (API, `vocengine import`, labels),
so that each way in is held to the same list.
"""

from __future__ import annotations


def fullwidth(text: str) -> str:
    """`jane@example.com` as ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ: the fullwidth forms of ASCII sit 0xFEE0 above it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def arabic_indic(digits: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in digits)


# (why it once got through, the text sent, the text stored)
DISGUISED = [
    ("entity-encoded @", "Write to jane&#64;example.com please", "Write to [EMAIL] please"),
    ("named entity @", "Write to jane&commat;example.com please", "Write to [EMAIL] please"),
    ("tag-split e-mail", "Write to jane@<b></b>example.com please", "Write to [EMAIL] please"),
    ("entity-encoded tags", "Write to jane@&lt;b&gt;&lt;/b&gt;example.com please", "Write to [EMAIL] please"),
    ("doubly encoded @", "Write to jane&amp;#64;example.com please", "Write to [EMAIL] please"),
    ("tag-split card", "Card 4111<span>1111</span>1111<!-- x -->1111 was charged", "Card [CARD] was charged"),
    ("entity-encoded card", "Card 4111&#32;1111&#32;1111&#32;1111 was charged", "Card [CARD] was charged"),
    ("dots", "Card 4111.1111.1111.1111 was charged", "Card [CARD] was charged"),
    ("slashes", "Card 4111/1111/1111/1111 was charged", "Card [CARD] was charged"),
    ("underscores", "Card 4111_1111_1111_1111 was charged", "Card [CARD] was charged"),
    ("en dashes", "Card 4111\u20131111\u20131111\u20131111 was charged", "Card [CARD] was charged"),
    ("spaced dashes", "Card 4111 - 1111 - 1111 - 1111 was charged", "Card [CARD] was charged"),
    ("thin spaces", "Card 4111\u20091111\u20091111\u20091111 was charged", "Card [CARD] was charged"),
    ("narrow no-break spaces", "Card 4111\u202f1111\u202f1111\u202f1111 was charged", "Card [CARD] was charged"),
    ("zero-width space in e-mail", "Write to ja\u200bne@exam\u200bple.com please", "Write to [EMAIL] please"),
    ("word joiner in e-mail", "Write to jane\u2060@example.com please", "Write to [EMAIL] please"),
    ("zero-width joiner in e-mail", "Write to jane@\u200dexample.com please", "Write to [EMAIL] please"),
    ("soft hyphens in card", "Card 4111\u00ad1111\u00ad1111\u00ad1111 was charged", "Card [CARD] was charged"),
    ("BOM in card", "Card 4111 1111\ufeff 1111 1111 was charged", "Card [CARD] was charged"),
    ("fullwidth e-mail", f"Write to {fullwidth('jane@example.com')} please", "Write to [EMAIL] please"),
    ("fullwidth card", f"Card {fullwidth('4111 1111 1111 1111')} was charged", "Card [CARD] was charged"),
    ("Arabic-Indic digits", f"Card {arabic_indic('4111 1111 1111 1111')} was charged", "Card [CARD] was charged"),
    ("card after an order number", "Order 12345 4111 1111 1111 1111 was charged", "Order 12345 [CARD] was charged"),
    ("phone with thin spaces", "Call +1\u2009415\u2009555\u20090132 today", "Call [PHONE] today"),
]
