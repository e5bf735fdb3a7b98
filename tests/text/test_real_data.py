"""Macro-F1 on the real hand-labelled dev sets of ../shared/data (skipped when absent)."""

from __future__ import annotations

import pytest

from surveyapp.text.evaluation import DEFAULT_DATA_DIR, load_dev_set, macro_f1, score_tags
from surveyapp.text.tagging import tag_text

# A little under what `python -m surveyapp.text.evaluation` printed (docs/text-analytics.md).
FLOORS = {"en": ("labels/en_nps_dev.csv", 0.79), "fr": ("labels/fr_trustpilot_dev.csv", 0.72)}


@pytest.mark.parametrize("language", sorted(FLOORS))
def test_macro_f1_stays_above_its_floor(language: str) -> None:
    relative, floor = FLOORS[language]
    path = DEFAULT_DATA_DIR / relative
    if not path.exists():
        pytest.skip(f"real data not found at {path} (it is never copied into the repository)")
    examples = load_dev_set(path)
    predicted = [frozenset(t.tag for t in tag_text(e.text, language)) for e in examples]
    scores = score_tags([e.tags for e in examples], predicted)
    assert macro_f1(scores) >= floor
    by_tag = {score.tag: score for score in scores}
    assert by_tag["onboarding"].f1 >= 0.8
    assert by_tag["no_longer_needed"].support == 0
