"""Churn-reason tagging with rules: explainable tags, a confidence, the words behind them.

``tag_text(text)`` folds case and accents, tokenizes, stems (Snowball), fixes
one-letter typos against the lexicon, marks negation scopes, then matches the
lexicon rules of ``surveyapp.text.lexicons`` sentence by sentence. Each rule
that holds is evidence of its weight for its tag; the evidences of a tag are
combined as a noisy-or, ``1 - prod(1 - weight)``, and the tags whose
confidence reaches the threshold are returned with the words that triggered them.

A workspace's own keywords and phrases (``Keywords``) extend the built-in
lexicons: each is one rule of ``DEFAULT_WEIGHT``, read with the same folding,
stemming, typo tolerance, negation scope and multiword matching. A keyword set
is hashable and compiled once (``_extra_lexicon``), then reused for every text.
"""

from __future__ import annotations

import bisect
import importlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from surveyapp.text import TAXONOMY, TextAnalyticsError
from surveyapp.text.language import (
    LANGUAGES,
    STOPWORDS,
    Language,
    language_scores,
    token_language_scores,
)
from surveyapp.text.lexicons import DEFAULT_WEIGHT, MAX_GAP
from surveyapp.text.negation import NEGATION_CUES, SCOPE, SCOPE_ENDS
from surveyapp.text.normalize import fold
from surveyapp.text.stemming import stem
from surveyapp.text.tokenize import CLAUSE_BREAK, SENTENCE_BREAK, chunk_tokens, chunks, tokenize

__all__ = [
    "CHOSEN_REASON_WEIGHT",
    "MAX_TEXT_LENGTH",
    "THRESHOLD",
    "TYPO_FACTOR",
    "Analysis",
    "Keywords",
    "Tag",
    "analyze",
    "analyze_tokens",
    "forget_words",
    "keyword_words",
    "resolve_language",
    "tag_text",
]

THRESHOLD = 0.5
# The respondent picked this reason in the cancellation survey: near-certain evidence.
CHOSEN_REASON_WEIGHT = 0.9
# Evidence that needed a typo fix counts a little less.
TYPO_FACTOR = 0.85
TYPO_MIN_LENGTH = 6
# Distinct words remembered per language before the memory is cleared.
_WORD_MEMORY = 200_000
# Comments longer than this are cut: survey answers are far shorter, and it bounds the cost.
MAX_TEXT_LENGTH = 20_000
_TAXONOMY_RANK = {tag: rank for rank, tag in enumerate(TAXONOMY)}


class Tag(NamedTuple):
    """One reason tag of a text: its name, a confidence in [0, 1], the words that triggered it."""

    tag: str
    confidence: float
    words: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """The tags of one text and the language they were computed in ("en", "fr" or "mixed")."""

    language: str
    tags: list[Tag]
    stems: tuple[str, ...]


@dataclass(frozen=True)
class Keywords:
    """A workspace's own keywords and phrases, (tag, language, phrase) each, on top of the
    built-in lexicons; ``tags`` names the workspace's own tags (accepted as chosen reasons).

    Frozen and hashable, so the tagger compiles one set once and reuses it for every text.
    """

    entries: tuple[tuple[str, str, str], ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[tuple[str, str, str]], tags: Iterable[str] = ()) -> Keywords:
        """Build a set in a canonical order, so equal contents share one compiled lexicon."""
        return cls(tuple(sorted(set(entries))), tuple(sorted(set(tags))))


class _Rule(NamedTuple):
    """One lexicon rule (a tuple: unpacked at once for every rule a text may satisfy)."""

    tag: str
    # Each part: the phrase ids that satisfy it, and whether a negated occurrence counts.
    parts: tuple[tuple[frozenset[int], bool], ...]
    weight: float
    # A rule of one part (most of them): its phrase ids and the slot of its hit
    # (0: any occurrence, 1: a non-negated one); None for a rule of several parts.
    single: tuple[frozenset[int], int] | None


class _Starts(NamedTuple):
    """The phrases a stem starts: the one-word ones, and the longer ones by second stem."""

    # (phrase id, (), whether the phrase holds a negation cue) of the one-word phrases.
    words: tuple[tuple[int, tuple[()], bool], ...]
    # Second stem -> (phrase id, the stems after the second, has a cue) of longer phrases.
    followers: dict[str, tuple[tuple[int, tuple[str, ...], bool], ...]]


@dataclass(frozen=True)
class _Lexicon:
    language: Language
    # First stem -> the phrases it starts.
    by_first_stem: dict[str, _Starts]
    rules_by_phrase: dict[int, tuple[int, ...]]
    rules: tuple[_Rule, ...]
    vocabulary: frozenset[str]
    deletions: dict[str, frozenset[str]]
    # A workspace's keywords fix typos against their own vocabulary, not the built-in one.
    builtin: bool = True
    # Folded word -> _word_info, filled as texts are read.
    memory: dict[str, tuple[str, bool, _Starts | tuple[()]]] = field(default_factory=dict)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _within_one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def keyword_words(phrase: str) -> tuple[str, ...]:
    """Return the folded words of a keyword or phrase as the tagger reads them.

    >>> keyword_words("  Facturé deux fois! ")
    ('facture', 'deux', 'fois')

    Raises TextAnalyticsError when it holds no word (only punctuation or emoji).
    """
    words = tuple(
        token for token in tokenize(fold(phrase)) if token not in (SENTENCE_BREAK, CLAUSE_BREAK)
    )
    if not words:
        raise TextAnalyticsError(f"no word in {phrase!r}")
    return words


@cache
def _lexicon(language: Language) -> _Lexicon:
    """Compile a language's built-in lexicon once: stems, indexes and the typo table."""
    module = importlib.import_module(f"surveyapp.text.lexicons.{language}")
    return _compile(language, module.GROUPS, module.RULES, ())


@lru_cache(maxsize=16)
def _extra_lexicon(keywords: Keywords, language: Language) -> _Lexicon | None:
    """Compile a workspace's keywords of one language once; None when it has none."""
    plain = tuple((tag, phrase) for tag, lang, phrase in keywords.entries if lang == language)
    if not plain:
        return None
    return _compile(language, {}, {}, plain)


def _compile(
    language: Language,
    group_specs: dict[str, tuple[str, ...]],
    rule_specs: dict[str, tuple[str, ...]],
    plain: tuple[tuple[str, str], ...],
) -> _Lexicon:
    """Compile lexicon rules (the syntax of ``surveyapp.text.lexicons``) and plain phrases.

    ``plain`` holds (tag, phrase) pairs taken as written: a workspace's keywords,
    where "+", "=" or "@" are ordinary characters. Raises TextAnalyticsError for a
    built-in rule on a tag outside the taxonomy.
    """
    cues = NEGATION_CUES[language]
    phrase_ids: dict[tuple[str, ...], int] = {}
    phrases: list[tuple[str, ...]] = []
    has_cue: list[bool] = []

    def phrase_id(text: str) -> int:
        words = tuple(
            token for token in tokenize(fold(text)) if token not in (SENTENCE_BREAK, CLAUSE_BREAK)
        )
        stems = tuple(stem(word, language) for word in words)
        if stems not in phrase_ids:
            phrase_ids[stems] = len(phrases)
            phrases.append(stems)
            has_cue.append(any(word in cues for word in words))
        return phrase_ids[stems]

    groups = {
        name: frozenset(phrase_id(member) for member in members)
        for name, members in group_specs.items()
    }
    rules_by_key: dict[tuple[str, tuple[tuple[frozenset[int], bool], ...]], float] = {}
    for tag, specs in rule_specs.items():
        if tag not in TAXONOMY:
            raise TextAnalyticsError(f"unknown tag {tag!r} in the {language} lexicon")
        for spec in specs:
            body, _, weight = spec.partition(" =")
            parts = []
            for part in body.split(" + "):
                part = part.strip()
                if part.startswith("@"):
                    parts.append((groups[part[1:]], part.startswith("@topic_")))
                else:
                    parts.append((frozenset({phrase_id(part)}), False))
            key = (tag, tuple(parts))
            # Two spellings with one stem ("move abroad", "moving abroad") are one rule.
            strength = float(weight) if weight else DEFAULT_WEIGHT
            rules_by_key[key] = max(rules_by_key.get(key, 0.0), strength)
    for tag, phrase in plain:
        if not any(ch.isalnum() for ch in fold(phrase)):
            continue
        key = (tag, ((frozenset({phrase_id(phrase)}), False),))
        rules_by_key[key] = max(rules_by_key.get(key, 0.0), DEFAULT_WEIGHT)
    rules = [
        _Rule(tag, parts, weight, _single(parts)) for (tag, parts), weight in rules_by_key.items()
    ]

    one_word: dict[str, list[tuple[int, tuple[()], bool]]] = defaultdict(list)
    followers: dict[str, dict[str, list[tuple[int, tuple[str, ...], bool]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for index, stems in enumerate(phrases):
        if len(stems) == 1:
            one_word[stems[0]].append((index, (), has_cue[index]))
        elif stems:
            followers[stems[0]][stems[1]].append((index, stems[2:], has_cue[index]))
    by_phrase: dict[int, list[int]] = defaultdict(list)
    for rule_index, rule in enumerate(rules):
        # A rule holds only if each part is seen, so it is looked at only when its
        # smallest part is: a rule on a frequent topic is not tried for every mention.
        ids, _ = min(rule.parts, key=lambda part: len(part[0]))
        for pid in ids:
            by_phrase[pid].append(rule_index)
    vocabulary = frozenset(s for stems in phrases for s in stems)
    deletions: dict[str, set[str]] = defaultdict(set)
    for word in vocabulary:
        if len(word) >= TYPO_MIN_LENGTH - 1 and word.isalpha():
            deletions[word].add(word)
            for variant in _deletes(word):
                deletions[variant].add(word)
    return _Lexicon(
        language=language,
        by_first_stem={
            key: _Starts(
                tuple(one_word.get(key, ())),
                {second: tuple(value) for second, value in followers.get(key, {}).items()},
            )
            for key in one_word.keys() | followers.keys()
        },
        rules_by_phrase={key: tuple(dict.fromkeys(value)) for key, value in by_phrase.items()},
        rules=tuple(rules),
        vocabulary=vocabulary,
        deletions={key: frozenset(value) for key, value in deletions.items()},
        builtin=not plain,
    )


def _single(parts: tuple[tuple[frozenset[int], bool], ...]) -> tuple[frozenset[int], int] | None:
    """Return (phrase ids, hit slot) for a rule of one part, else None."""
    if len(parts) != 1:
        return None
    ids, ignores_negation = parts[0]
    return ids, 0 if ignores_negation else 1


def _fixed_stem(word: str, stemmed: str, lexicon: _Lexicon) -> tuple[str, bool]:
    """Return ``stemmed``, or the lexicon stem one edit away when it is not in the lexicon."""
    if (
        stemmed in lexicon.vocabulary
        or len(word) < TYPO_MIN_LENGTH
        or len(word) > 30
        or not word.isalpha()
    ):
        return stemmed, False
    get = lexicon.deletions.get
    # Most words are one edit from no lexicon stem: their few lookups all miss (one
    # lookup each; a deletion met twice only adds the same candidates again).
    found = [
        hit
        for hit in map(get, [stemmed[:i] + stemmed[i + 1 :] for i in range(len(stemmed))])
        if hit is not None
    ]
    exact = get(stemmed)
    if exact is not None:
        found.append(exact)
    if not found:
        return stemmed, False
    candidates = frozenset().union(*found)
    # Typos rarely hit the first letter, and a changed first letter is often another
    # word ("passee" is not "cassee").
    matches = sorted(c for c in candidates if c[0] == stemmed[0] and _within_one_edit(stemmed, c))
    if matches:
        return matches[0], True
    return stemmed, False


def resolve_language(
    text: str, language: str | None, tokens: list[str] | None = None
) -> tuple[Language, ...]:
    """Return the lexicon languages to use: the hint, else the detector's choice.

    A text with clear evidence of both languages is read with both lexicons.
    ``tokens`` (``tokenize(fold(text))``, if already computed) saves folding again.
    Raises TextAnalyticsError for a language other than "en", "fr", "auto" or None.
    """
    if language in LANGUAGES:
        return (language,)  # type: ignore[return-value]
    if language not in (None, "auto"):
        raise TextAnalyticsError(f"unknown language {language!r}: use en, fr or auto")
    en, fr = language_scores(text) if tokens is None else token_language_scores(tokens, text)
    if min(en, fr) >= 2 and min(en, fr) * 3 >= max(en, fr):
        return ("en", "fr")
    if en == fr:
        return ("en",)
    return ("en",) if en > fr else ("fr",)


def _word_info(lexicon: _Lexicon, word: str) -> tuple[str, bool, _Starts | tuple[()]]:
    """Return a word's lexicon stem, whether a typo fix was needed, the phrases it starts."""
    if word in (SENTENCE_BREAK, CLAUSE_BREAK):
        info: tuple[str, bool, _Starts | tuple[()]] = (word, False, ())
    else:
        stemmed, typo = _fixed_stem(word, stem(word, lexicon.language), lexicon)
        info = (stemmed, typo, lexicon.by_first_stem.get(stemmed, ()))
    if len(lexicon.memory) >= _WORD_MEMORY:
        lexicon.memory.clear()
    lexicon.memory[word] = info
    return info


def _negated(words: list[str], position: int, cues: frozenset[str]) -> bool:
    """Whether the word at ``position`` lies in the scope of an earlier negation cue.

    The same scope as ``negation.negated_flags``, looked up for one word only.
    """
    if words[position] in cues:
        return False
    for index in range(position - 1, max(-1, position - SCOPE - 1), -1):
        word = words[index]
        if word in cues:
            return True
        if word in SCOPE_ENDS:
            return False
    return False


def _match(lexicon: _Lexicon, words: list[str], evidence: dict[str, list[tuple[float, tuple]]]):
    """Add to ``evidence`` the rules that hold in the folded ``words`` of one text."""
    memory = lexicon.memory
    try:
        # Known words, the usual case: one plain lookup each.
        infos = [memory[word] for word in words]
    except KeyError:
        infos = [memory.get(word) or _word_info(lexicon, word) for word in words]
    starts = [index for index, info in enumerate(infos) if info[2]]
    if not starts:
        return
    stems = [info[0] for info in infos]
    breaks = [index for index, word in enumerate(words) if word == SENTENCE_BREAK]
    breaks.append(len(words))
    cues = NEGATION_CUES[lexicon.language]
    # Most comments hold no negation cue: then no word needs its scope looked up.
    negatable = not cues.isdisjoint(words)
    # Per sentence: phrase id -> [first occurrence, first occurrence not negated].
    by_sentence: dict[int, dict[int, list[tuple[int, ...] | None]]] = {}
    for position in starts:
        sentence = bisect.bisect_left(breaks, position)
        end = breaks[sentence]
        found, followers = infos[position][2]
        if followers:
            # A longer phrase needs its second stem within reach: only those are tried,
            # from the first occurrence of that stem.
            longer = []
            for second in range(position + 1, min(end, position + MAX_GAP + 2)):
                entries = followers.get(stems[second])
                if entries is None or stems[second] in stems[position + 1 : second]:
                    continue
                for pid, tail, has_cue in entries:
                    rest = _follow(stems, tail, second, end) if tail else ()
                    if rest is not None:
                        longer.append((pid, (position, second, *rest), has_cue))
            if longer:
                found = (*found, *longer)
            elif not found:
                continue
        seen = by_sentence.get(sentence)
        if seen is None:
            seen = by_sentence[sentence] = {}
        negated: bool | None = None
        for pid, hit, has_cue in found:
            # A one-word phrase carries no positions of its own: it is this word.
            hit = hit or (position,)
            slot = seen.get(pid)
            if slot is None:
                slot = seen[pid] = [hit, None]
            elif slot[1] is not None:
                continue
            if negatable and not has_cue:
                if negated is None:
                    negated = _negated(words, position, cues)
                if negated:
                    continue
            slot[1] = hit
    rules, rules_by_phrase = lexicon.rules, lexicon.rules_by_phrase
    for seen in by_sentence.values():
        if len(seen) == 1:
            # One phrase: its rules are already in index order.
            candidates: Iterable[int] = rules_by_phrase.get(next(iter(seen)), ())
        else:
            candidates = sorted({r for pid in seen for r in rules_by_phrase.get(pid, ())})
        only = next(iter(seen.values())) if len(seen) == 1 else None
        for rule_index in candidates:
            tag, parts, weight, single = rules[rule_index]
            if single is None:
                used = _rule_hit(parts, seen)
            elif only is not None:
                # The rule is here for the one phrase seen.
                used = only[single[1]]
            else:
                used = _part_hit(single[0], single[1], seen)
            if used is None:
                continue
            if any(infos[p][1] for p in used):
                weight *= TYPO_FACTOR
            evidence[tag].append((weight, tuple(map(words.__getitem__, used))))


def _follow(
    stems: list[str], tail: tuple[str, ...], position: int, end: int
) -> tuple[int, ...] | None:
    """Return the positions of the stems ``tail`` after ``position`` (each the first one at
    most MAX_GAP words after the previous, before ``end``), or None when one is missing."""
    positions: list[int] = []
    cursor = position
    for wanted in tail:
        window = stems[cursor + 1 : min(end, cursor + MAX_GAP + 2)]
        if wanted not in window:
            return None
        cursor += 1 + window.index(wanted)
        positions.append(cursor)
    return tuple(positions)


def _part_hit(
    ids: frozenset[int], which: int, seen: dict[int, list[tuple[int, ...] | None]]
) -> tuple[int, ...] | None:
    """Return the hit in slot ``which`` of the first phrase of ``ids`` seen, or None."""
    # Iterates the few phrases seen, not the whole group.
    for pid in sorted(ids.intersection(seen)):
        hit = seen[pid][which]
        if hit is not None:
            return hit
    return None


def _rule_hit(
    parts: tuple[tuple[frozenset[int], bool], ...], seen: dict[int, list[tuple[int, ...] | None]]
) -> tuple[int, ...] | None:
    """Return the positions of the words that make a rule of several parts hold, or None."""
    used: set[int] = set()
    for ids, ignores_negation in parts:
        hit = _part_hit(ids, 0 if ignores_negation else 1, seen)
        if hit is None:
            return None
        used.update(hit)
    return tuple(sorted(used))


def _tag_order(tag: str) -> tuple[int, str]:
    return _TAXONOMY_RANK.get(tag, len(TAXONOMY)), tag


def _combine(evidence: dict[str, list[tuple[float, tuple]]], threshold: float) -> list[Tag]:
    tags = []
    # The taxonomy's order, then a workspace's own tags by name.
    for tag in sorted(evidence, key=_tag_order):
        items = evidence[tag]
        remaining = 1.0
        triggering: dict[str, None] = {}
        for weight, words in items:
            remaining *= 1.0 - weight
            triggering.update(dict.fromkeys(words))
        confidence = round(1.0 - remaining, 3)
        if confidence >= threshold:
            tags.append(Tag(tag, confidence, tuple(triggering)))
    return tags


def analyze_tokens(
    tokens: list[str],
    languages: tuple[Language, ...],
    chosen_reason: str | None = None,
    threshold: float = THRESHOLD,
    keep_stems: bool = False,
    keywords: Keywords | None = None,
) -> Analysis:
    """Tag a text given as its tokens (``tokenize.chunk_tokens``) in the given languages,
    with a workspace's ``keywords`` on top of the built-in lexicons."""
    evidence: dict[str, list[tuple[float, tuple]]] = defaultdict(list)
    stems: list[str] = []
    for lang in languages:
        _match(_lexicon(lang), tokens, evidence)
        extra = _extra_lexicon(keywords, lang) if keywords is not None else None
        if extra is not None:
            _match(extra, tokens, evidence)
        if keep_stems:
            lexicon = _lexicon(lang)
            stems.extend(
                # Function words would let the model learn a tag from "is" or "the".
                (lexicon.memory.get(w) or _word_info(lexicon, w))[0]
                for w in tokens
                if len(w) > 2 and w.isalnum() and w not in STOPWORDS[lang]
            )
    if chosen_reason in TAXONOMY or (keywords is not None and chosen_reason in keywords.tags):
        evidence[chosen_reason].append((CHOSEN_REASON_WEIGHT, ()))
    used = languages[0] if len(languages) == 1 else "mixed"
    return Analysis(used, _combine(evidence, threshold), tuple(dict.fromkeys(stems)))


def analyze(
    text: str,
    language: str | None = None,
    chosen_reason: str | None = None,
    threshold: float = THRESHOLD,
    keep_stems: bool = False,
    keywords: Keywords | None = None,
) -> Analysis:
    """Tag ``text`` and also return the language used and, if asked, its content stems.

    ``language`` is "en", "fr", "auto" or None (detect). ``chosen_reason`` is the reason
    a cancellation survey's respondent picked; an unknown reason is ignored.
    ``keywords`` extends the built-in lexicons. Raises TextAnalyticsError for an
    unknown language.
    """
    text = (text or "")[:MAX_TEXT_LENGTH]
    tokens = chunk_tokens(chunks(text))
    languages = resolve_language(text, language, tokens)
    return analyze_tokens(tokens, languages, chosen_reason, threshold, keep_stems, keywords)


def tag_text(
    text: str,
    language: str | None = None,
    chosen_reason: str | None = None,
    threshold: float = THRESHOLD,
    keywords: Keywords | None = None,
) -> list[Tag]:
    """Return the reason tags of ``text`` (taxonomy order) with confidence and trigger words.

    >>> tag_text("Not expensive at all, but the engineer never turned up", "en")
    [Tag(tag='onboarding', confidence=0.978, words=('engineer', 'never', 'turned', 'up'))]

    Raises TextAnalyticsError for a language other than "en", "fr", "auto" or None.
    """
    return analyze(text, language, chosen_reason, threshold, keywords=keywords).tags


def tag_texts(texts: Iterable[str], language: str | None = None) -> list[list[Tag]]:
    """Return ``tag_text`` for each text (same language hint for all)."""
    return [tag_text(text, language) for text in texts]


def forget_words() -> None:
    """Empty the memories of words of both languages (to measure a cold start)."""
    for language in LANGUAGES:
        _lexicon(language).memory.clear()
    _extra_lexicon.cache_clear()
