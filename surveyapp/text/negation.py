"""Negation scope: which tokens a "not", "never", "pas", "aucun" or "sans" applies to.

"not expensive at all", "never had a problem with support", "no issues with",
"pas cher du tout", "aucun problème avec le support", "sans problème": the
complaint word sits within a few tokens after the cue, in the same clause. A
scope stops at a comma or a sentence break, at a contrast word ("but", "mais") or after
``SCOPE`` word tokens. Lexicon phrases that contain a cue themselves ("not
working", "pas reçu") describe a complaint and are matched as written.
"""

from __future__ import annotations

from surveyapp.text.language import Language
from surveyapp.text.tokenize import CLAUSE_BREAK, SENTENCE_BREAK

__all__ = ["NEGATION_CUES", "SCOPE", "SCOPE_ENDS", "negated_flags"]

SCOPE = 4
NEGATION_CUES: dict[Language, frozenset[str]] = {
    "en": frozenset(
        [
            "not",
            "no",
            "never",
            "without",
            "nothing",
            "none",
            "nobody",
            "neither",
            "nor",
            "cannot",
            "hardly",
            "zero",
        ]
    ),
    "fr": frozenset(
        [
            "ne",
            "n",
            "pas",
            "jamais",
            "aucun",
            "aucune",
            "sans",
            "rien",
            "ni",
            "personne",
            "non",
            "guere",
        ]
    ),
}
# Breaks and contrast words: a negation scope stops there.
SCOPE_ENDS = frozenset(
    [
        "but",
        "however",
        "though",
        "although",
        "yet",
        "whereas",
        "except",
        "apart",
        "mais",
        "cependant",
        "pourtant",
        "sauf",
        "neanmoins",
        "toutefois",
        "alors",
        SENTENCE_BREAK,
        CLAUSE_BREAK,
    ]
)


def negated_flags(tokens: list[str], language: Language) -> list[bool]:
    """Return, for each token, whether it lies in the scope of an earlier negation cue.

    >>> negated_flags(["not", "expensive", "at", "all"], "en")
    [False, True, True, True]
    >>> negated_flags(["pas", "cher", "mais", "lent"], "fr")
    [False, True, False, False]
    """
    cues = NEGATION_CUES[language]
    flags = [False] * len(tokens)
    remaining = 0
    for index, token in enumerate(tokens):
        if token in SCOPE_ENDS:
            remaining = 0
        elif token in cues:
            remaining = SCOPE
        elif remaining:
            flags[index] = True
            remaining -= 1
    return flags
