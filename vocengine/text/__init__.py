"""Text handling before any model sees it: cleaning, redaction, language, sentences."""
