"""A regex tokenizer (no NLTK corpus): words, numbers and sentence breaks.

Works on folded text (see ``normalize.fold``). English "n't" becomes the token
"not" so negation cues are plain words; French elisions ("n'", "l'", "qu'")
become their own short tokens. A sentence break is returned as the token ".", a comma as ",".

``chunks`` cuts raw text at whitespace once; ``chunk_tokens`` gives the same tokens
as ``tokenize(fold(text))`` from those chunks, remembering each distinct chunk, so
the tagger and the sentiment analyser share one pass over the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from surveyapp.text.normalize import fold

__all__ = [
    "CLAUSE_BREAK",
    "SENTENCE_BREAK",
    "chunk_tokens",
    "chunks",
    "forget_chunks",
    "tokenize",
    "words",
]

SENTENCE_BREAK = "."
# Kept as a token because a comma ends a negation scope ("no delay, but rude staff").
CLAUSE_BREAK = ","

# Letters are ASCII after folding; digits kept because "4 weeks" and "24h" carry meaning.
_NOT_RE = re.compile(r"n't\b")
_TOKEN_RE = re.compile(r"[a-z0-9]+|[.!?;:\n]+|\s-\s|[(),]")
_WORD_RE = re.compile(r"[a-z0-9]+")
# Whitespace-free runs, and line breaks (a sentence break for the tagger).
_CHUNK_RE = re.compile(r"\S+|\n")
_BREAKS = (SENTENCE_BREAK, CLAUSE_BREAK)
# Marks that _TOKEN_RE returns as a token of their own when one follows a word.
_MARKS = frozenset(".!?;:(),")
# Distinct chunks remembered before the memory is cleared (comment words repeat).
_CHUNK_MEMORY = 200_000
_memory: dict[str, tuple[tuple[str, ...], bool]] = {}


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


def chunks(text: str) -> list[str]:
    """Cut raw ``text`` into whitespace-free chunks and "\\n" line breaks.

    >>> chunks("Not  good,\\nsorry")
    ['Not', 'good,', '\\n', 'sorry']
    """
    return _CHUNK_RE.findall(text)


def _plain(folded: str) -> bool:
    """Whether folded text is one word token: ASCII letters and digits, none upper-case."""
    return folded.isalnum() and (folded.islower() or folded.isdigit())


def _chunk(chunk: str) -> tuple[tuple[str, ...], bool]:
    """Return the tokens of one chunk and whether any of them is a break."""
    if chunk.isalpha() and chunk.isascii():
        # A bare ASCII word, the usual case: folding is lower-casing.
        result: tuple[tuple[str, ...], bool] = ((chunk.lower(),), False)
    elif chunk == "-":
        result = ((SENTENCE_BREAK,), True)
    elif chunk == "\n":
        result = (("\n",), True)
    else:
        folded = fold(chunk)
        word = folded[:-1]
        if _plain(folded):
            # An accented word ("reçu"): one token, what the regexes would find.
            result = ((folded,), False)
        elif folded[-1:] in _MARKS and _plain(word):
            # A word and one mark ("reçu," "fast."): the word, then the mark.
            result = ((word, folded[-1]), True)
        else:
            if "n't" in folded:
                folded = _NOT_RE.sub(" not", folded)
            tokens = tuple(_TOKEN_RE.findall(folded))
            result = (tokens, any(not token[0].isalnum() for token in tokens))
    if len(_memory) >= _CHUNK_MEMORY:
        _memory.clear()
    _memory[chunk] = result
    return result


def chunk_tokens(parts: Sequence[str]) -> list[str]:
    """Return ``tokenize(fold(text))`` for a text already cut by ``chunks``.

    >>> chunk_tokens(chunks("I didn't get it, sadly. L'installation!"))
    ['i', 'did', 'not', 'get', 'it', ',', 'sadly', '.', 'l', 'installation', '.']
    """
    tokens: list[str] = []
    memory = _memory
    for chunk in parts:
        found = memory.get(chunk) or _chunk(chunk)
        if not found[1]:
            tokens += found[0]
            continue
        for token in found[0]:
            if token[0].isalnum():
                tokens.append(token)
            elif token == CLAUSE_BREAK:
                if tokens and tokens[-1] not in _BREAKS:
                    tokens.append(CLAUSE_BREAK)
            elif tokens and tokens[-1] != SENTENCE_BREAK:
                tokens.append(SENTENCE_BREAK)
    return tokens


def forget_chunks() -> None:
    """Empty the memory of chunks (to measure a cold start)."""
    _memory.clear()
