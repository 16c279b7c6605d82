import pytest

from tests.support.personal_data import fullwidth
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


def test_fullwidth_forms_and_unicode_spaces_are_folded_to_plain_ones():
    text = fullwidth("Support") + "\u3000was\u2009" + fullwidth("10") + "/10"
    assert clean_text(text).text == "Support was 10/10"


def test_invisible_format_characters_are_removed_but_emoji_joiners_kept():
    assert clean_text("ex\u200bport\u00ad is\u2060 bro\ufeffken").text == "export is broken"
    assert clean_text("Dev 👩\u200d💻 happy").text == "Dev 👩\u200d💻 happy"


def test_markup_revealed_by_decoding_is_removed_too():
    cleaned = clean_text("Great &lt;b&gt;export&lt;/b&gt; and AT&amp;amp;T support")
    assert cleaned.text == "Great export and AT&T support"
    assert cleaned.flags == ["W405"]


def test_an_unclosed_comment_or_script_hides_the_rest_as_a_browser_would():
    assert clean_text("Fine <!-- jane@example.com").text == "Fine"
    assert clean_text("Fine <script>alert(1)").text == "Fine"
