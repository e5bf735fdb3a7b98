"""Learning from a manager's corrections, on top of the rules.

``CorrectionModel`` is a small one-vs-rest logistic model in pure Python. Its
features are the stems of a text plus the rule tagger's confidence for every
tag ("rule:price"). Before any training it reproduces the rules: each tag's
model starts with a large weight on its own rule feature and a negative bias,
and training is regularised towards that starting point, so a handful of
corrections nudges the rules instead of replacing them. It learns both new
associations (a word the lexicon lacks) and which rule hits a workspace rejects.
A tag with no positive correction keeps its rules unchanged. A workspace's own
tags (outside the built-in taxonomy) are learned the same way.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from surveyapp.text import TAXONOMY
from surveyapp.text.tagging import THRESHOLD, Analysis, Keywords, Tag, analyze

__all__ = ["CorrectionModel", "features", "revise", "tag_with_model"]

# Starting point: rule confidence 0.8 gives p = 0.86, no rule hit gives p = 0.05.
PRIOR_RULE_WEIGHT = 6.0
PRIOR_BIAS = -3.0
RULE_PREFIX = "rule:"


def features(analysis: Analysis) -> dict[str, float]:
    """Return the features of an analysed text: its stems and the rule confidences."""
    # Stems share a unit of weight so long texts do not swamp the rule features.
    scale = 1.0 / math.sqrt(len(analysis.stems)) if analysis.stems else 0.0
    values: dict[str, float] = dict.fromkeys(analysis.stems, scale)
    for tag in analysis.tags:
        values[RULE_PREFIX + tag.tag] = tag.confidence
    return values


def _in_order(tags: Iterable[str]) -> list[str]:
    """The taxonomy's order, then a workspace's own tags by name (as ``tag_text`` lists them)."""
    present = set(tags)
    return [tag for tag in TAXONOMY if tag in present] + sorted(present - set(TAXONOMY))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class CorrectionModel:
    """Per-tag logistic weights learned from corrected (text, tags) pairs."""

    # Chosen by cross-validation on the dev sets (see docs/text-analytics.md): more
    # updates or a larger step overfit a few dozen corrections.
    l2: float = 0.1
    # Passes over the data are chosen so that the number of updates stays near this
    # (between 5 and 60 passes): a handful of corrections is read many times.
    updates: int = 300
    learning_rate: float = 0.05
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    biases: dict[str, float] = field(default_factory=dict)

    def _prior(self, tag: str, name: str) -> float:
        return PRIOR_RULE_WEIGHT if name == RULE_PREFIX + tag else 0.0

    def fit(
        self, examples: Iterable[tuple[Mapping[str, float], Collection[str]]]
    ) -> CorrectionModel:
        """Train on (features, correct tags) pairs; return self."""
        data = [(dict(values), frozenset(tags)) for values, tags in examples]
        self.weights, self.biases = {}, {}
        if not data:
            return self
        for tag in _in_order(tag for _, tags in data for tag in tags):
            weights: dict[str, float] = {RULE_PREFIX + tag: PRIOR_RULE_WEIGHT}
            bias = PRIOR_BIAS
            rate = self.learning_rate
            for _ in range(min(60, max(5, math.ceil(self.updates / len(data))))):
                for values, tags in data:
                    z = bias + sum(weights.get(name, 0.0) * x for name, x in values.items())
                    error = (1.0 if tag in tags else 0.0) - _sigmoid(z)
                    bias += rate * error
                    for name, x in values.items():
                        current = weights.get(name, 0.0)
                        pull = self.l2 * (current - self._prior(tag, name))
                        weights[name] = current + rate * (error * x - pull)
            self.weights[tag] = weights
            self.biases[tag] = bias
        return self

    def probabilities(self, values: Mapping[str, float]) -> dict[str, float]:
        """Return P(tag) for every tag the model was trained on."""
        return {
            tag: _sigmoid(
                self.biases[tag] + sum(weights.get(name, 0.0) * x for name, x in values.items())
            )
            for tag, weights in self.weights.items()
        }

    def learn(
        self,
        corrections: Iterable[tuple[str, Collection[str]] | tuple[str, Collection[str], str]],
        language: str | None = None,
        keywords: Keywords | None = None,
    ) -> CorrectionModel:
        """Train on (text, correct tags) pairs as a manager corrected them; return self.

        A third item in a pair is that text's own language, else ``language`` is used;
        ``keywords`` are a workspace's keywords, read as at tagging time.
        Raises TextAnalyticsError for an unknown language.
        """
        return self.fit(
            (
                features(
                    analyze(
                        item[0],
                        item[2] if len(item) > 2 else language,  # type: ignore[misc]
                        threshold=0.0,
                        keep_stems=True,
                        keywords=keywords,
                    )
                ),
                item[1],
            )
            for item in corrections
        )

    def to_dict(self) -> dict[str, object]:
        """Return the learned state as plain JSON-ready data."""
        return {"weights": self.weights, "biases": self.biases}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CorrectionModel:
        """Rebuild a model saved with ``to_dict``."""
        model = cls()
        model.weights = {t: dict(w) for t, w in dict(data["weights"]).items()}  # type: ignore[arg-type]
        model.biases = dict(data["biases"])  # type: ignore[arg-type]
        return model


def tag_with_model(
    text: str,
    model: CorrectionModel,
    language: str | None = None,
    chosen_reason: str | None = None,
    threshold: float = THRESHOLD,
    keywords: Keywords | None = None,
) -> list[Tag]:
    """Return the tags of ``text``: the rules, revised by the corrections in ``model``.

    Tags the model was trained on take its probability as their confidence; a
    learned tag the rules missed lists the stems that pushed it up as its words.
    Raises TextAnalyticsError for an unknown language.
    """
    analysis = analyze(
        text, language, chosen_reason, threshold=0.0, keep_stems=True, keywords=keywords
    )
    return revise(analysis, model, threshold)


def revise(analysis: Analysis, model: CorrectionModel, threshold: float = THRESHOLD) -> list[Tag]:
    """Return the tags of a text analysed with ``threshold=0.0, keep_stems=True``, revised
    by ``model`` (see ``tag_with_model``)."""
    values = features(analysis)
    probabilities = model.probabilities(values)
    rule_tags = {tag.tag: tag for tag in analysis.tags}
    result = []
    for tag in _in_order([*probabilities, *rule_tags]):
        if tag in probabilities:
            confidence = round(probabilities[tag], 3)
            if confidence < threshold:
                continue
            if tag in rule_tags:
                words = rule_tags[tag].words
            else:
                weights = model.weights[tag]
                ranked = sorted(
                    (name for name in values if not name.startswith(RULE_PREFIX)),
                    key=lambda name: -weights.get(name, 0.0),
                )
                words = tuple(name for name in ranked[:3] if weights.get(name, 0.0) > 0)
            result.append(Tag(tag, confidence, words))
        elif rule_tags[tag].confidence >= threshold:
            result.append(rule_tags[tag])
    return result
