"""Emerging terms: the phrases of recent complaints that no reason tag covers yet.

A phrase is a run of one to ``MAX_WORDS`` words within a clause, compared on
folded Snowball stems ("Delivery windows" and "delivery window" are one
phrase), that neither starts nor ends with a stopword of either language.
A phrase counts for a comment when the comment has no tag at all, or when the
lexicons do not know every word of it (a word of a phrase "no lexicon
covers"); each comment counts a phrase once.

Phrases are ranked by *lift*: the share of recent comments that contain the
phrase over its smoothed share of the baseline comments,
``(count / recent) / ((baseline_count + 1) / (baseline + 1))``. The smoothing
keeps a phrase absent from a small baseline from getting an infinite lift;
with no baseline at all the lift is the recent share itself.

>>> recent = [Comment("The new dashboard layout is confusing", "en", False),
...           Comment("New dashboard layout, I cannot find anything", "en", False)]
>>> [(term.phrase, term.count, term.lift) for term in emerging_terms(recent, [], min_count=2)]
[('new dashboard layout', 2, 1.0)]
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from surveyapp.text.language import LANGUAGES, STOPWORDS, Language, detect_language
from surveyapp.text.normalize import fold
from surveyapp.text.stemming import stem
from surveyapp.text.tokenize import CLAUSE_BREAK, SENTENCE_BREAK, chunk_tokens, chunks, words

__all__ = [
    "MAX_WORDS",
    "MIN_COUNT",
    "TERM_STOPWORDS",
    "Comment",
    "Term",
    "comment_phrases",
    "emerging_terms",
    "lexicon_stems",
]

MAX_WORDS = 3
MIN_COUNT = 3
# Comments are cut here: a phrase that matters shows up in short comments too.
MAX_COMMENT_LENGTH = 2_000
# Shorter single words are abbreviations or noise ("ok", "tv").
MIN_WORD_LENGTH = 3

# language.STOPWORDS keeps only words that tell the languages apart; a phrase
# must also lose the function words both share or that are short ("a", "on").
_EXTRA_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "it",
        "its",
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "not",
        "no",
        "nor",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "just",
        "very",
        "too",
        "also",
        "only",
        "than",
        "then",
        "really",
        "still",
        "even",
        "all",
        "any",
        "some",
        "more",
        "most",
        "much",
        "many",
        "about",
        "into",
        "over",
        "after",
        "before",
        "again",
        "out",
        "up",
        "down",
        "off",
        "get",
        "got",
        "im",
        "ive",
        "dont",
        "didnt",
        "cant",
        "cannot",
        "wont",
        "isnt",
        "doesnt",
        "one",
        "like",
        "s",
        "t",
        "ll",
        "ve",
        "re",
        "d",
        "m",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "et",
        "ou",
        "mais",
        "donc",
        "car",
        "ni",
        "que",
        "qu",
        "qui",
        "quoi",
        "ce",
        "cet",
        "cette",
        "ces",
        "c",
        "ca",
        "il",
        "elle",
        "ils",
        "elles",
        "on",
        "je",
        "j",
        "tu",
        "nous",
        "vous",
        "me",
        "m",
        "te",
        "t",
        "se",
        "s",
        "lui",
        "leur",
        "leurs",
        "mon",
        "ma",
        "mes",
        "ton",
        "ta",
        "tes",
        "son",
        "sa",
        "ses",
        "notre",
        "nos",
        "votre",
        "vos",
        "y",
        "en",
        "au",
        "aux",
        "a",
        "ai",
        "as",
        "avons",
        "avez",
        "ont",
        "avait",
        "avais",
        "est",
        "es",
        "sont",
        "etait",
        "etais",
        "ete",
        "etre",
        "avoir",
        "fait",
        "faire",
        "pas",
        "ne",
        "n",
        "plus",
        "tres",
        "trop",
        "bien",
        "aussi",
        "pour",
        "par",
        "sur",
        "sous",
        "dans",
        "avec",
        "sans",
        "chez",
        "vers",
        "entre",
        "tout",
        "tous",
        "toute",
        "toutes",
        "meme",
        "si",
        "comme",
        "quand",
        "alors",
        "encore",
        "deja",
        "toujours",
        "jamais",
        "rien",
        "peu",
        "beaucoup",
    ]
)
TERM_STOPWORDS: frozenset[str] = _EXTRA_STOPWORDS | STOPWORDS["en"] | STOPWORDS["fr"]
_BREAKS = (SENTENCE_BREAK, CLAUSE_BREAK)


@dataclass(frozen=True)
class Comment:
    """One comment to read: its text, language ("en", "fr", else detected), whether tagged."""

    text: str
    language: str | None
    tagged: bool


@dataclass(frozen=True)
class Term:
    """A phrase of recent comments: how many carry it, recent vs baseline shares, lift."""

    phrase: str
    count: int
    share: float
    baseline_count: int
    baseline_share: float | None
    lift: float


def _language(comment: Comment) -> Language:
    if comment.language in LANGUAGES:
        return comment.language  # type: ignore[return-value]
    return detect_language(comment.text[:MAX_COMMENT_LENGTH])


@cache
def lexicon_stems(language: Language) -> frozenset[str]:
    """The stems of every content word of a language's reason lexicon (groups and rules)."""
    module = importlib.import_module(f"surveyapp.text.lexicons.{language}")
    phrases = [member for members in module.GROUPS.values() for member in members]
    for specs in module.RULES.values():
        for spec in specs:
            body = spec.partition(" =")[0]
            phrases += [
                part.strip() for part in body.split(" + ") if not part.strip().startswith("@")
            ]
    return _content_stems(phrases, language)


def _content_stems(phrases: Iterable[str], language: Language) -> frozenset[str]:
    return frozenset(
        stem(word, language)
        for phrase in phrases
        for word in words(fold(phrase))
        if word not in TERM_STOPWORDS
    )


def comment_phrases(text: str, language: Language) -> dict[tuple[str, ...], str]:
    """The phrases of one comment: stems -> the folded words as written (first seen).

    >>> sorted(comment_phrases("Billing portal: so slow!", "en").values())
    ['billing', 'billing portal', 'portal', 'slow']
    """
    found: dict[tuple[str, ...], str] = {}
    clause: list[str] = []
    for token in [*chunk_tokens(chunks(text[:MAX_COMMENT_LENGTH])), SENTENCE_BREAK]:
        if token not in _BREAKS:
            clause.append(token)
            continue
        for start, first in enumerate(clause):
            if first in TERM_STOPWORDS:
                continue
            for size in range(1, MAX_WORDS + 1):
                gram = clause[start : start + size]
                if len(gram) < size:
                    break
                last = gram[-1]
                if last in TERM_STOPWORDS or (size == 1 and len(first) < MIN_WORD_LENGTH):
                    continue
                key = tuple(stem(word, language) for word in gram)
                found.setdefault(key, " ".join(gram))
        clause = []
    return found


def _count(
    comments: Iterable[Comment], keywords: Sequence[str]
) -> tuple[int, Counter[tuple[str, ...]], dict[tuple[str, ...], str]]:
    """How many comments, how many count each phrase, and each phrase as first written."""
    total = 0
    counts: Counter[tuple[str, ...]] = Counter()
    spellings: dict[tuple[str, ...], str] = {}
    known = {
        language: lexicon_stems(language) | _content_stems(keywords, language)
        for language in LANGUAGES
    }
    for comment in comments:
        total += 1
        language = _language(comment)
        covered = known[language]
        for key, written in comment_phrases(comment.text, language).items():
            if comment.tagged and all(part in covered for part in key):
                continue
            counts[key] += 1
            spellings.setdefault(key, written)
    return total, counts, spellings


def emerging_terms(
    recent: Iterable[Comment],
    baseline: Iterable[Comment],
    *,
    min_count: int = MIN_COUNT,
    limit: int = 20,
    keywords: Sequence[str] = (),
) -> list[Term]:
    """The ``limit`` phrases of ``recent`` carried by at least ``min_count`` comments, by lift.

    ``keywords`` adds phrases the taxonomy knows besides the built-in lexicons.
    A phrase inside a longer one with the same recent count is left out (the
    longer one says more). Ties go to the larger count, then to the phrase.
    """
    recent_total, recent_counts, spellings = _count(recent, keywords)
    baseline_total, baseline_counts, _ = _count(baseline, keywords)
    frequent = {key: count for key, count in recent_counts.items() if count >= min_count}
    # (phrase, count) of every shorter phrase inside a frequent longer one.
    shadowed = {
        (key[i : i + size], count)
        for key, count in frequent.items()
        for size in range(1, len(key))
        for i in range(len(key) - size + 1)
    }
    kept = [key for key, count in frequent.items() if (key, count) not in shadowed]
    terms = []
    for key in kept:
        count = frequent[key]
        before = baseline_counts.get(key, 0)
        share = count / recent_total
        terms.append(
            Term(
                phrase=spellings[key],
                count=count,
                share=share,
                baseline_count=before,
                baseline_share=before / baseline_total if baseline_total else None,
                lift=round(share / ((before + 1) / (baseline_total + 1)), 6),
            )
        )
    terms.sort(key=lambda term: (-term.lift, -term.count, term.phrase))
    return terms[:limit]
