from vocengine.text.segment import Sentence, SentenceSplitter, truncate_by_sentences

splitter = SentenceSplitter()


def test_sentences_carry_offsets_into_the_text():
    text = "Sales were great. But onboarding was painful!\n- CSV import broke\nSupport fixed it."
    sentences = splitter.split(text)
    assert [s.text for s in sentences] == [
        "Sales were great.",
        "But onboarding was painful!",
        "- CSV import broke",
        "Support fixed it.",
    ]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_split_many_keeps_inputs_apart_including_empty_ones():
    assert splitter.split_many(["", "One. Two."]) == [[], [Sentence("One.", 0, 4), Sentence("Two.", 5, 9)]]


def test_truncation_keeps_whole_sentences_within_the_limit():
    text = "First sentence here. Second sentence here. Third one."
    sentences = splitter.split(text)
    cut, kept = truncate_by_sentences(text, sentences, limit=45)
    assert cut == "First sentence here. Second sentence here."
    assert [s.text for s in kept] == ["First sentence here.", "Second sentence here."]


def test_truncation_of_one_giant_sentence_cuts_at_a_word():
    text = "word " * 100
    cut, kept = truncate_by_sentences(text, splitter.split(text), limit=52)
    assert len(cut) <= 52 and cut.endswith("word")
    assert kept == [Sentence(cut, 0, len(cut))]
