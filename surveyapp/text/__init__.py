"""Offline text analytics: churn-reason tagging and sentiment, French and English.

Pure Python (no Flask, no SQLAlchemy), no corpus or model download at run time.

- ``normalize``: case and accent folding.
- ``tokenize``: the regex tokenizer and sentence splitter.
- ``language``: a light fr/en detector (stopwords and accents).
- ``stemming``: cached Snowball stemmers (nltk, no corpus needed).
- ``negation``: which tokens fall in the scope of a negation cue.
- ``lexicons``: the reason lexicons per language, compiled once on first use.
- ``tagging``: ``tag_text`` returns reason tags with a confidence and the triggering words.
- ``sentiment``: ``sentiment(text, language)`` in [-1, 1] (TextBlob, textblob-fr).
- ``classifier``: ``CorrectionModel`` learns from a manager's corrections on top of the rules.
- ``csvtag``: the body of the ``tag-texts`` command.
- ``evaluation``: ``python -m surveyapp.text.evaluation`` measures all of the above.
"""

from __future__ import annotations

__all__ = ["TAXONOMY", "TextAnalyticsError"]

# PRODUCT.md § Churn reasons, in its order (the order tags are listed in).
TAXONOMY: tuple[str, ...] = (
    "price",
    "missing_feature",
    "bugs_reliability",
    "performance",
    "support",
    "usability",
    "onboarding",
    "competitor",
    "no_longer_needed",
    "business_closed",
    "billing",
    "privacy_security",
    "other",
)


class TextAnalyticsError(ValueError):
    """Input the text tools cannot use (a missing CSV column, an unknown language)."""
