import pytest

from vocengine.text.clean import clean_text, decode_bytes


def test_html_is_removed_and_flagged_with_block_tags_as_line_breaks():
    cleaned = clean_text("<p>The <b>export</b> is broken</p><br><p>Support &amp; docs are fine</p>")
    assert cleaned.text == "The export is broken\nSupport & docs are fine"
    assert cleaned.flags == ["W405"]


def test_script_content_is_dropped_not_analysed():
    assert clean_text("<script>alert(1)</script>Great tool").text == "Great tool"


def test_text_without_markup_is_not_flagged_and_entities_are_unescaped():
    cleaned = clean_text("Price &lt; competitors, 3 < 5 and 7 > 2")
    assert cleaned.text == "Price < competitors, 3 < 5 and 7 > 2"
    assert cleaned.flags == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n"])
def test_empty_or_whitespace_text_is_flagged_empty(text):
    cleaned = clean_text(text)
    assert cleaned.text == ""
    assert cleaned.flags == ["W401"]


@pytest.mark.parametrize("text", ["👍👍", "😡 !!!", "12345"])
def test_text_without_letters_is_flagged(text):
    assert clean_text(text).flags == ["W406"]


def test_invalid_utf8_is_replaced_and_flagged():
    decoded = decode_bytes(b"Support was \xff\xfe slow")
    assert "\ufffd" in decoded.text
    assert decoded.flags == ["W404"]
    assert "W404" in clean_text(decoded.text).flags


def test_whitespace_and_control_characters_are_normalised():
    assert clean_text("Too   slow\x00 to\r\n\r\n load").text == "Too slow to\nload"
