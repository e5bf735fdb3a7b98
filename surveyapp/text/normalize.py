"""Case and accent folding, so "Problème", "PROBLEME" and "probleme" compare equal."""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]

# Typographic variants that would otherwise split words ("n’ai") or hide elisions.
_TRANSLATE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
    }
)


def fold(text: str) -> str:
    """Return ``text`` lower-cased and ASCII: accents removed, apostrophes unified.

    >>> fold("Problème d’ÉTÉ, cœur")
    "probleme d'ete, coeur"
    """
    text = text.translate(_TRANSLATE).casefold()
    if text.isascii():
        return text
    # Letters lose their accents; symbols with no ASCII form (emoji, "€") are dropped,
    # which the tokenizer would do anyway.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
