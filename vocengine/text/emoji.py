"""Sentiment of text that has no words, only emoji: the encoder reads emoji as unknown tokens, so
a small lexicon of the emoji customers use most is more honest than a model guess."""

from __future__ import annotations

POSITIVE = set("👍👏🙌💯🎉🥳😀😃😄😁😊🙂😍🥰😘❤💖💕💙💚💛🧡💜🤩😎✅⭐🌟🔥🚀👌🤗☺😇")
NEGATIVE = set("👎😡😠🤬😤😞😟😢😭😩😫😖😣🙁☹😕💩🤮🤢😱😨😰❌⛔🐌🤦😒🙄💔")


def emoji_sentiment(text: str) -> dict[str, float] | None:
    """Share of negative, neutral and positive emoji, or None if the text has none we know."""
    positive = sum(1 for ch in text if ch in POSITIVE)
    negative = sum(1 for ch in text if ch in NEGATIVE)
    if positive + negative == 0:
        return None
    symbols = sum(1 for ch in text if not ch.isspace() and ord(ch) > 0x2000 and ch not in "\ufe0f\u200d")
    neutral = max(0, symbols - positive - negative)
    total = positive + negative + neutral
    return {"negative": negative / total, "neutral": neutral / total, "positive": positive / total}
