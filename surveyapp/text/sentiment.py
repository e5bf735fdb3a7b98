"""Sentiment polarity in [-1, 1]: TextBlob's pattern analyser (en), textblob-fr's (fr).

The only module of the project that imports TextBlob. Only the lexicon-based
sentiment is used: it needs no corpus (``.words``, ``.tags`` and the like would).

Speed without changing the numbers: TextBlob's analyser tokenizes each text
itself, which cost more than the scoring. Here a text is cut once into
whitespace chunks (``tokenize.chunks``, shared with the tagger); each distinct
chunk is split into the analyser's own tokens once, by the analyser's own
rules (contractions, quotes, leading and trailing punctuation, abbreviations),
and remembered. Tokens that cannot change the score (an unknown word right
after another unknown word that already ended every negation and modifier
scope) are left out, and the list is scored by the steps of pattern's
``Sentiment.assessments`` run on plain dicts (``_Language.polarity``): the
analyser's lazy lexicon answers each lookup through Python methods, which cost
more than the scoring. The polarity is TextBlob's own, to the last bit: tests
compare them on real texts and on sentences that exercise every rule.

Polarity is a weak signal for complaints: TextBlob reads "The price was way too
high and support never answered my tickets" as +0.16. ``python -m
surveyapp.text.evaluation`` measures how often a detractor's comment comes out
positive; never use the polarity alone to decide that a comment is a complaint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from surveyapp.text import TextAnalyticsError
from surveyapp.text.language import detect_language
from surveyapp.text.tokenize import chunks

__all__ = [
    "MAX_SENTIMENT_LENGTH",
    "chunk_polarity",
    "forget_chunks",
    "reference_polarity",
    "sentiment",
]

# Polarity of a survey comment is decided by its opening; this bounds the cost of huge input.
MAX_SENTIMENT_LENGTH = 5_000
# Chunks remembered per language before the memory is cleared (words of comments repeat).
_CHUNK_MEMORY = 200_000
# Token kinds for the scorer: words it knows or that act on their neighbours are kept;
# an unknown word of 3+ characters ends every negation and modifier scope ("reset");
# a shorter unknown word may still matter, once.
_KEEP, _RESET, _SHORT = 0, 1, 2


def _glue(match: re.Match[str]) -> str:
    return match.group(1).replace(" ", "") + match.group(2)


class _Language:
    """One language's pattern analyser and its tokenizer settings, loaded on first use."""

    def __init__(self, language: str) -> None:
        if language == "en":
            from textblob import _text as text_module
            from textblob.en import sentiment as analyser

            abbreviations = text_module.ABBREVIATIONS
            replacements = text_module.replacements
        else:
            from textblob_fr import _text as text_module
            from textblob_fr import fr as french
            from textblob_fr.fr import sentiment as analyser

            abbreviations = french.ABBREVIATIONS
            replacements = french.replacements
        self.analyser: Any = analyser
        self.module: Any = text_module
        len(analyser)  # loads the lexicon, so dict lookups below see it
        self.negations = frozenset(analyser.negations)
        self.punctuation = text_module.PUNCTUATION
        self.leading = tuple(text_module.PUNCTUATION.replace(".", ""))
        self.trailing = (*self.leading, ".")
        # Marks that end a word ("fast," "great!"): a word and one of them splits simply.
        self.closing = frozenset(",;:!?.").intersection(self.trailing)
        self.abbreviations = abbreviations
        # The analyser applies these in order with re.sub. Its keys are plain text
        # ("l'", "n't"), so a key absent from the chunk is skipped and a present one
        # replaced as text: the same result without 26 regex passes per French elision.
        self.replacements: list[tuple[Any, str]] = [
            (key if re.escape(key) == key else re.compile(key), value)
            for key, value in replacements.items()
        ]
        self.replace_keys = replacements
        self.french = language == "fr"
        self.memory: dict[str, tuple[tuple[str, int], ...]] = {}
        # The remembered chunks with no token the scorer always needs: while every scope
        # is closed they change nothing, so they are skipped without reading their tokens.
        self.quiet: set[str] = set()
        # The analyser's lexicon as plain dicts: its lazy dict answers every lookup
        # through a Python method, which cost more than the scoring itself.
        entries = dict.items(analyser)
        self.scores: dict[str, tuple[float, float]] = {
            word: (float(entry[None][0]), float(entry[None][2]))
            for word, entry in entries
            if None in entry
        }
        self.modifying = frozenset(
            word for word, entry in entries if any(pos in entry for pos in analyser.modifiers)
        )
        self.modifier = analyser.modifier
        # Emoticon -> polarity; the first group that holds it wins, as in the analyser's loop.
        self.emoticons: dict[str, float] = {}
        for (_group, polarity), faces in text_module.EMOTICONS.items():
            for face in faces:
                self.emoticons.setdefault(face.lower(), polarity)
        # The analyser joins an emoticon or "(!)" back where a space cuts it; its regexes
        # change a chunk only where a space lies between two characters that follow each
        # other in one of them (": )", "( !"), so only such a chunk is given to them.
        pairs = {"(!", "!)"}
        for faces in text_module.EMOTICONS.values():
            pairs.update(face[i : i + 2] for face in faces for i in range(len(face) - 1))
        self.cut = re.compile(
            "|".join(re.escape(pair[0]) + " " + re.escape(pair[1]) for pair in sorted(pairs))
        )

    def split_piece(self, t: str, out: list[str]) -> None:
        """Split one space-free piece as pattern's ``find_tokens`` does (same loop)."""
        replace = self.replace_keys
        tail: list[str] = []
        while t.startswith(self.leading) and t not in replace:
            out.append(t[0])
            t = t[1:]
        while t.endswith(self.trailing) and t not in replace:
            if t.endswith(self.leading):
                tail.append(t[-1])
                t = t[:-1]
            if t.endswith("..."):
                tail.append("...")
                t = t[:-3].rstrip(".")
            if t.endswith("."):
                if self.abbreviation(t):
                    break
                tail.append(t[-1])
                t = t[:-1]
        if t != "":
            out.append(t)
        out.extend(reversed(tail))

    def abbreviation(self, t: str) -> bool:
        """Whether the analyser keeps the final period of ``t`` ("Mr.", "U.S.", "a.")."""
        module = self.module
        return (
            t in self.abbreviations
            or module.RE_ABBR1.match(t) is not None
            or module.RE_ABBR2.match(t) is not None
            or module.RE_ABBR3.match(t) is not None
        )

    def kind(self, word: str) -> int:
        """Whether the scorer needs ``word`` always, as a scope reset, or maybe once."""
        if (
            word in self.scores
            or word in self.negations
            or word in ("!", "(!)")
            or (not word.isalpha() and len(word) <= 5 and word not in self.punctuation)
        ):
            return _KEEP
        if len(word.strip("'")) > 1 and len(word) > 2:
            return _RESET
        return _SHORT

    def split_chunk(self, chunk: str) -> list[str]:
        """Split one whitespace chunk into the analyser's tokens, as its tokenizer does."""
        text = chunk
        if "'" in text or "’" in text:
            # Every contraction or elision the analyser splits has an apostrophe.
            for key, value in self.replacements:
                if isinstance(key, str):
                    if key in text:
                        text = text.replace(key, value)
                else:
                    text = key.sub(value, text)
        for quote in ("“", "”", "‘", "’", "'", '"'):
            text = text.replace(quote, f" {quote} ")
        pieces: list[str] = []
        for piece in text.split():
            self.split_piece(piece, pieces)
        return pieces

    def chunk_tokens(self, chunk: str) -> tuple[tuple[str, int], ...]:
        """Return the analyser's lower-cased tokens of one whitespace chunk, with their kind."""
        found = self.memory.get(chunk)
        if found is not None:
            return found
        if chunk.isalpha():
            # A bare word, the usual case: nothing for the analyser's tokenizer to split.
            word = chunk.lower()
            tokens: tuple[tuple[str, int], ...] = ((word, self.kind(word)),)
            self.remember(chunk, tokens)
            return tokens
        word, last = chunk[:-1], chunk[-1]
        if last in self.closing and word.isalpha() and chunk not in self.replace_keys:
            # A word and one closing mark ("fast," "great!"), the next most usual case:
            # ``split_piece`` cuts the mark off, or keeps an abbreviation's period.
            pieces = [chunk] if last == "." and self.abbreviation(chunk) else [word, last]
        else:
            pieces = self.split_chunk(chunk)
        joined = " ".join(pieces)
        if self.french and "&rsquo ;" in joined:
            # textblob-fr turns its "&rsquo;" placeholder back into an apostrophe.
            joined = joined.replace("&rsquo ;", "’")
        if self.cut.search(joined):
            # Emoticons and "(!)" that the splitting cut apart are joined back, as the
            # analyser does on each sentence.
            joined = self.module.RE_SARCASM.sub("(!)", joined)
            joined = self.module.RE_EMOTICONS.sub(_glue, joined)
        lowered = [w.lower() for w in joined.split() if w != "END-OF-SENTENCE"]
        tokens = tuple([(w, self.kind(w)) for w in lowered])
        self.remember(chunk, tokens)
        return tokens

    def polarity(self, words: list[str]) -> float:
        """The analyser's polarity of a list of lower-cased words (``Sentiment(words)[0]``).

        The same steps as pattern's ``Sentiment.assessments`` (negation on, no
        part of speech) and its average, on plain dicts: a known word opens an
        assessment [polarity, intensity, negated], a modifier ("very") multiplies
        the next known word, a negation flips it to -0.5 times its polarity, "!"
        boosts the last one, "(!)" and emoticons add their own.
        """
        scores, negations, punctuation = self.scores, self.negations, self.punctuation
        found: list[list[float]] = []
        modifier: str | None = None
        negation: str | None = None
        for word in words:
            score = scores.get(word)
            if score is not None:
                polarity, intensity = score
                if modifier is None:
                    found.append([polarity, intensity, 1.0])
                else:
                    last = found[-1]
                    last[0] = max(-1.0, min(polarity * last[1], +1.0))
                    last[1] = intensity
                if negation is not None:
                    last = found[-1]
                    last[1] = 1.0 / last[1]
                    last[2] = -1.0
                modifier = word if word in self.modifying else None
                negation = word if word in negations else None
                continue
            if word in negations:
                negation = word
            elif negation and len(word.strip("'")) > 1:
                negation = None
            if negation is not None and modifier is not None and self.modifier(modifier):
                found[-1][2] = -1.0
                negation = None
            elif modifier and len(word) > 2:
                modifier = None
            if word == "!" and found:
                found[-1][0] = max(-1.0, min(found[-1][0] * 1.25, +1.0))
            if word == "(!)":
                found.append([0.0, 1.0, 1.0])
            if not word.isalpha() and len(word) <= 5 and word not in punctuation:
                face = self.emoticons.get(word)
                if face is not None:
                    found.append([face, 1.0, 1.0])
        total = 0.0
        for polarity, _intensity, sign in found:
            total += polarity * -0.5 if sign < 0 else polarity
        return total / float(len(found) or 1)

    def remember(self, chunk: str, tokens: tuple[tuple[str, int], ...]) -> None:
        """Keep the tokens of a chunk, within the memory's bound."""
        if len(self.memory) >= _CHUNK_MEMORY:
            self.memory.clear()
            self.quiet.clear()
        self.memory[chunk] = tokens
        if _KEEP not in [kind for _word, kind in tokens]:
            self.quiet.add(chunk)


@cache
def _language(language: str) -> _Language:
    # Loaded on first use: reading the XML lexicons takes a noticeable moment.
    return _Language(language)


def _check(language: str | None, text: str) -> str:
    if language in (None, "auto"):
        return detect_language(text)
    if language not in ("en", "fr"):
        raise TextAnalyticsError(f"unknown language {language!r}: use en, fr or auto")
    return language


def chunk_polarity(parts: Sequence[str], language: str) -> float:
    """Return TextBlob's polarity of a text already cut by ``tokenize.chunks``.

    ``language`` must be "en" or "fr"; the text must be at most MAX_SENTIMENT_LENGTH long.
    """
    lang = _language(language)
    memory, quiet = lang.memory, lang.quiet
    kept: list[str] = []
    cleared = True
    for chunk in parts:
        if cleared and chunk in quiet:
            continue
        for word, kind in memory.get(chunk) or lang.chunk_tokens(chunk):
            if kind == _KEEP:
                kept.append(word)
                cleared = False
            elif not cleared:
                # After an unknown word that ended every scope, more unknown words change
                # nothing: the analyser would skip them.
                kept.append(word)
                cleared = kind == _RESET
    if not kept:
        return 0.0
    return max(-1.0, min(1.0, lang.polarity(kept)))


def sentiment(text: str, language: str | None = None) -> float:
    """Return the polarity of ``text`` in [-1, 1] (0.0 for empty or wordless text).

    ``language`` is "en", "fr", or None/"auto" to detect it. Raises TextAnalyticsError
    for any other language.
    """
    text = (text or "")[:MAX_SENTIMENT_LENGTH]
    language = _check(language, text)
    if not any(ch.isalpha() for ch in text):
        return 0.0
    return chunk_polarity(chunks(text), language)


def reference_polarity(text: str, language: str) -> float:
    """Return the polarity TextBlob itself computes (its own tokenizer), for comparison.

    Raises TextAnalyticsError for a language other than "en" or "fr".
    """
    language = _check(language, text)
    text = (text or "")[:MAX_SENTIMENT_LENGTH]
    if not any(ch.isalpha() for ch in text):
        return 0.0
    return max(-1.0, min(1.0, float(_language(language).analyser(text)[0])))


def forget_chunks() -> None:
    """Empty the memories of chunks of both languages (to measure a cold start)."""
    for language in ("en", "fr"):
        _language(language).memory.clear()
        _language(language).quiet.clear()
