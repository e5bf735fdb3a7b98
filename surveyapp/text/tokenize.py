"""A regex tokenizer (no NLTK corpus): words, numbers and sentence breaks.

Works on folded text (see ``normalize.fold``). English "n't" becomes the token
"not" so negation cues are plain words; French elisions ("n'", "l'", "qu'")
become their own short tokens. A sentence break is returned as the token ".", a comma as ",".
"""

from __future__ import annotations

import re

__all__ = ["CLAUSE_BREAK", "SENTENCE_BREAK", "tokenize", "words"]

SENTENCE_BREAK = "."
# Kept as a token because a comma ends a negation scope ("no delay, but rude staff").
CLAUSE_BREAK = ","

# Letters are ASCII after folding; digits kept because "4 weeks" and "24h" carry meaning.
_NOT_RE = re.compile(r"n't\b")
_TOKEN_RE = re.compile(r"[a-z0-9]+|[.!?;:\n]+|\s-\s|[(),]")
_WORD_RE = re.compile(r"[a-z0-9]+")


def tokenize(folded: str) -> list[str]:
    """Split folded text into word tokens, "," clause breaks and "." sentence breaks.

    >>> tokenize("i didn't get it, sadly. l'installation!")
    ['i', 'did', 'not', 'get', 'it', ',', 'sadly', '.', 'l', 'installation', '.']
    """
    tokens: list[str] = []
    for token in _TOKEN_RE.findall(_NOT_RE.sub(" not", folded)):
        if token[0].isalnum():
            tokens.append(token)
        elif token == CLAUSE_BREAK:
            if tokens and tokens[-1] not in (SENTENCE_BREAK, CLAUSE_BREAK):
                tokens.append(CLAUSE_BREAK)
        elif tokens and tokens[-1] != SENTENCE_BREAK:
            tokens.append(SENTENCE_BREAK)
    return tokens


def words(folded: str) -> list[str]:
    """Return only the word tokens of folded text (no sentence breaks)."""
    return _WORD_RE.findall(folded)
