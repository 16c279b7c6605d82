import pytest

from vocengine.text.language import LanguageDetector

detector = LanguageDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The onboarding call was a mess and nobody followed up.", "en"),
        ("It works.", "en"),
        ("ok", "en"),
        ("SSO setup failed", "en"),
        ("Die Einrichtung war umständlich und der Support hat nie geantwortet.", "de"),
        ("La livraison était rapide mais le colis était abîmé.", "fr"),
        ("El soporte fue muy lento y nadie nos ayudó con la factura.", "es"),
        ("サポートの対応がとても遅いです", "ja"),
        ("Поддержка отвечает очень медленно", "ru"),
        ("👍👍", "und"),
    ],
)
def test_language_is_detected_and_short_english_is_not_mistaken(text, language):
    assert detector.detect(text) == language
