"""Measure the text analytics on the real data of ../shared/data (``make eval-text``).

Run ``python -m surveyapp.text.evaluation [DATA_DIR]`` from the repository root.
It prints, for the two hand-labelled dev sets, per-tag precision, recall, F1 and
support and the macro-F1 over the tags that have examples; sentiment agreement
with NPS scores and review stars; how often TextBlob reads a complaint as
positive; the lift from N corrections (rules alone against rules plus the
correction model, on held-out texts, fixed seed, several folds); and the
throughput of tagging plus sentiment. The data is read where it lies, never copied.
"""

from __future__ import annotations

import csv
import random
import re
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from surveyapp.text import TAXONOMY
from surveyapp.text.classifier import CorrectionModel, features, tag_with_model
from surveyapp.text.pipeline import forget_words, read_text
from surveyapp.text.sentiment import sentiment
from surveyapp.text.tagging import analyze, tag_text

__all__ = [
    "DEFAULT_DATA_DIR",
    "Example",
    "TagScore",
    "load_dev_set",
    "macro_f1",
    "main",
    "score_tags",
]

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
DEV_SETS = (("en", "labels/en_nps_dev.csv"), ("fr", "labels/fr_trustpilot_dev.csv"))
UNMEASURED = ("no_longer_needed", "business_closed")
SEED = 20240601
CORRECTION_SIZES = (25, 50, 100)
FOLDS = 5
# Polarity within this distance of 0 counts as neutral.
NEUTRAL = 0.05


@dataclass(frozen=True)
class Example:
    """One labelled text of a dev set."""

    text: str
    tags: frozenset[str]
    score: int


@dataclass(frozen=True)
class TagScore:
    """Precision, recall and F1 of one tag, with the counts behind them."""

    tag: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        """Number of texts whose gold labels include the tag."""
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        """TP / (TP + FP), 0 when nothing was predicted."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN), 0 when the tag has no example."""
        return self.true_positives / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _dedupe_key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load_dev_set(path: Path) -> list[Example]:
    """Read a labelled dev set, keeping the first of texts that are equal once normalised."""
    seen: set[str] = set()
    examples = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            key = _dedupe_key(row["text"])
            if key in seen:
                continue
            seen.add(key)
            tags = frozenset(tag for tag in row["tags"].split("|") if tag)
            examples.append(Example(row["text"], tags, int(row["score"])))
    return examples


def score_tags(
    gold: Sequence[frozenset[str]], predicted: Sequence[frozenset[str]]
) -> list[TagScore]:
    """Return one TagScore per taxonomy tag."""
    scores = []
    for tag in TAXONOMY:
        tp = sum(tag in g and tag in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(tag not in g and tag in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(tag in g and tag not in p for g, p in zip(gold, predicted, strict=True))
        scores.append(TagScore(tag, tp, fp, fn))
    return scores


def macro_f1(scores: Iterable[TagScore]) -> float:
    """Mean F1 over the tags that have at least one gold example."""
    values = [score.f1 for score in scores if score.support]
    return statistics.fmean(values) if values else 0.0


def _predict(examples: Sequence[Example], language: str) -> list[frozenset[str]]:
    return [frozenset(t.tag for t in tag_text(e.text, language)) for e in examples]


def _print_scores(name: str, examples: Sequence[Example], language: str) -> float:
    scores = score_tags([e.tags for e in examples], _predict(examples, language))
    print(f"\n## Tagging: {name} ({len(examples)} unique texts, language {language})")
    print(f"{'tag':<18}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}{'TP':>5}{'FP':>5}")
    for s in scores:
        if s.support or s.false_positives:
            print(
                f"{s.tag:<18}{s.precision:>10.2f}{s.recall:>8.2f}{s.f1:>7.2f}"
                f"{s.support:>9}{s.true_positives:>5}{s.false_positives:>5}"
            )
    value = macro_f1(scores)
    tags_with_examples = sum(1 for s in scores if s.support)
    print(f"macro-F1 over the {tags_with_examples} tags with examples: {value:.3f}")
    print(
        "not measured on real data (no example in any set): "
        + ", ".join(UNMEASURED)
        + " (only their false positives above)"
    )
    return value


def _polarity_class(value: float) -> str:
    if value > NEUTRAL:
        return "positive"
    if value < -NEUTRAL:
        return "negative"
    return "neutral"


def _read_rows(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _sentiment_table(
    title: str, pairs: list[tuple[str, str]], language: str, order: Sequence[str]
) -> dict[str, list[float]]:
    """Print polarity by class; ``pairs`` are (class, text). Return polarities by class."""
    by_class: dict[str, list[float]] = {label: [] for label in order}
    for label, text in pairs:
        by_class[label].append(sentiment(text, language))
    print(f"\n## Sentiment: {title}")
    print(f"{'class':<12}{'n':>6}{'mean':>8}{'% pos':>8}{'% neutral':>11}{'% neg':>8}")
    for label in order:
        values = by_class[label]
        if not values:
            continue
        classes = [_polarity_class(v) for v in values]
        print(
            f"{label:<12}{len(values):>6}{statistics.fmean(values):>8.3f}"
            f"{100 * classes.count('positive') / len(values):>8.1f}"
            f"{100 * classes.count('neutral') / len(values):>11.1f}"
            f"{100 * classes.count('negative') / len(values):>8.1f}"
        )
    return by_class


def _balanced_agreement(negative: list[float], positive: list[float]) -> float:
    """Mean of the two per-class recalls: negatives read < 0, positives read > 0."""
    low = sum(v < 0 for v in negative) / len(negative)
    high = sum(v > 0 for v in positive) / len(positive)
    return (low + high) / 2


def _sentiment_sections(data: Path) -> None:
    nps_path = data / "nps_verbatims_en" / "text_data.csv"
    fr_path = data / "trustpilot_fr" / "df_for_train.csv"
    if nps_path.exists():
        pairs = []
        seen: set[str] = set()
        for row in _read_rows(nps_path, ","):
            text, score = row["text"].strip(), row["NPS_SCORE"].strip()
            key = _dedupe_key(text)
            if not score or not any(ch.isalpha() for ch in text) or key in seen:
                continue
            seen.add(key)
            value = int(float(score))
            label = "detractor" if value <= 6 else "passive" if value <= 8 else "promoter"
            pairs.append((label, text))
        classes = _sentiment_table(
            "nps_verbatims_en/text_data.csv (unique texts) against NPS_SCORE",
            pairs,
            "en",
            ("detractor", "passive", "promoter"),
        )
        print(
            "balanced agreement (detractor < 0, promoter > 0): "
            f"{_balanced_agreement(classes['detractor'], classes['promoter']):.3f}"
        )
        misread = sum(v > 0 for v in classes["detractor"]) / len(classes["detractor"])
        print(
            f"TextBlob misreads: {100 * misread:.1f} % of detractor comments (0-6) "
            "have a positive polarity"
        )
    if fr_path.exists():
        pairs = []
        seen = set()
        for row in _read_rows(fr_path, ";"):
            text, stars = (row.get("content_review") or "").strip(), row["stars"].strip()
            key = _dedupe_key(text)
            if not stars or not text or key in seen:
                continue
            seen.add(key)
            pairs.append((f"{int(float(stars))} stars", text))
        order = tuple(f"{n} stars" for n in range(1, 6))
        classes = _sentiment_table(
            "trustpilot_fr/df_for_train.csv (unique content_review) against stars",
            pairs,
            "fr",
            order,
        )
        low = classes["1 stars"] + classes["2 stars"]
        high = classes["4 stars"] + classes["5 stars"]
        print(
            "balanced agreement (1-2 stars < 0, 4-5 stars > 0): "
            f"{_balanced_agreement(low, high):.3f}"
        )
        misread = sum(v > 0 for v in low) / len(low)
        print(
            f"textblob-fr misreads: {100 * misread:.1f} % of 1-2 star reviews "
            "have a positive polarity"
        )


def _coverage(data: Path) -> None:
    """Print how many low-score comments of the unlabelled sets get at least one tag."""
    sets = (
        ("nps_verbatims_en/text_data.csv", ",", "text", "NPS_SCORE", "en", 6, "detractor (0-6)"),
        ("trustpilot_fr/df_for_train.csv", ";", "content_review", "stars", "fr", 2, "1-2 stars"),
    )
    print("\n## Coverage on the unlabelled sets (unique texts of 4+ words)")
    for relative, delimiter, column, score_column, language, worst, label in sets:
        path = data / relative
        if not path.exists():
            continue
        seen: set[str] = set()
        low = high = low_tagged = high_tagged = 0
        for row in _read_rows(path, delimiter):
            text, score = (row.get(column) or "").strip(), (row.get(score_column) or "").strip()
            key = _dedupe_key(text)
            if not score or len(text.split()) < 4 or key in seen:
                continue
            seen.add(key)
            tagged = bool(tag_text(text, language))
            if float(score) <= worst:
                low, low_tagged = low + 1, low_tagged + tagged
            elif float(score) >= (9 if language == "en" else 5):
                high, high_tagged = high + 1, high_tagged + tagged
        print(
            f"{relative}: {label}: {low_tagged} of {low} ({100 * low_tagged / low:.1f} %) "
            f"get a tag; top scores: {high_tagged} of {high} "
            f"({100 * high_tagged / high:.1f} %)"
        )


def _misreads_on_dev(name: str, examples: Sequence[Example], language: str) -> None:
    complaints = [e for e in examples if e.tags]
    positive = sum(sentiment(e.text, language) > 0 for e in complaints)
    print(
        f"{name}: {positive} of {len(complaints)} texts with a labelled reason "
        f"({100 * positive / len(complaints):.1f} %) have a positive polarity"
    )


def _lift(name: str, examples: Sequence[Example], language: str) -> None:
    print(f"\n## Learning from corrections: {name} (seed {SEED}, {FOLDS} folds, mean macro-F1)")
    print(f"{'N':>5}{'test n':>8}{'rules':>8}{'rules+model':>13}{'lift':>8}")
    analyses = [analyze(e.text, language, threshold=0.0, keep_stems=True) for e in examples]
    feature_rows = [features(a) for a in analyses]
    rule_tags = [frozenset(t.tag for t in a.tags if t.confidence >= 0.5) for a in analyses]
    rng = random.Random(SEED)
    for size in CORRECTION_SIZES:
        if size >= len(examples) - 10:
            continue
        before, after = [], []
        for _ in range(FOLDS):
            order = list(range(len(examples)))
            rng.shuffle(order)
            train, test = order[:size], order[size:]
            model = CorrectionModel().fit((feature_rows[i], examples[i].tags) for i in train)
            gold = [examples[i].tags for i in test]
            before.append(macro_f1(score_tags(gold, [rule_tags[i] for i in test])))
            predicted = [
                frozenset(t.tag for t in tag_with_model(examples[i].text, model, language))
                for i in test
            ]
            after.append(macro_f1(score_tags(gold, predicted)))
        b, a = statistics.fmean(before), statistics.fmean(after)
        print(f"{size:>5}{len(examples) - size:>8}{b:>8.3f}{a:>13.3f}{a - b:>+8.3f}")


def _rate(texts: Sequence[str]) -> float:
    # CPU time of this process: one core's throughput, less disturbed by other jobs.
    start = time.process_time()
    for text in texts:
        read_text(text)
    return len(texts) / (time.process_time() - start)


def _throughput(texts: Sequence[str]) -> None:
    # Distinct texts only: a repeated text would only measure the memory of its words.
    texts = list(dict.fromkeys(texts))
    chars = statistics.fmean(len(t) for t in texts)
    # Load the lexicons and analysers once: a worker process pays this a single time.
    read_text("warm up", "en"), read_text("chauffe", "fr")
    forget_words()
    cold = _rate(texts)
    # A running worker has met most words before: its memories of words are warmed on
    # one half of the texts, and the speed is measured on the other half (no text twice).
    forget_words()
    _rate(texts[1::2])
    steady = _rate(texts[::2])
    print(
        f"\n## Throughput (one process): {len(texts)} distinct texts (mean {chars:.0f} "
        "characters), language detection + tagging + sentiment (read_text), CPU time"
    )
    print(f"cold start (word memories empty), all texts: {cold:,.0f} texts/s")
    print(
        f"steady (words memorised from the other {len(texts[1::2])} texts), "
        f"{len(texts[::2])} texts: {steady:,.0f} texts/s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the whole evaluation and print it; return the exit status (1 without data)."""
    args = list(sys.argv[1:] if argv is None else argv)
    data = Path(args[0]) if args else DEFAULT_DATA_DIR
    if not (data / "labels").is_dir():
        print(f"no data at {data.resolve()}: nothing to evaluate (it is never in the repository)")
        return 1
    print("# Text analytics evaluation (surveyapp.text)")
    dev = {}
    for language, relative in DEV_SETS:
        examples = load_dev_set(data / relative)
        dev[relative] = (examples, language)
        _print_scores(relative, examples, language)
    _coverage(data)
    _sentiment_sections(data)
    print("\n## Complaints read as positive, on the dev sets")
    for relative, (examples, language) in dev.items():
        _misreads_on_dev(relative, examples, language)
    for relative, (examples, language) in dev.items():
        _lift(relative, examples, language)
    texts = [e.text for examples, _ in dev.values() for e in examples]
    nps_path = data / "nps_verbatims_en" / "text_data.csv"
    fr_path = data / "trustpilot_fr" / "df_for_train.csv"
    if nps_path.exists():
        texts += [row["text"] for row in _read_rows(nps_path, ",")]
    if fr_path.exists():
        texts += [row["content_review"] or "" for row in _read_rows(fr_path, ";")]
    _throughput(texts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
