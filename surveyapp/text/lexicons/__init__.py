"""Reason lexicons, one module per language, written from what the words mean.

Each language module defines two mappings, read by ``surveyapp.text.tagging``:

- ``GROUPS``: name -> phrases that share a meaning ("delay": "wait", "weeks", ...).
  A group whose name starts with ``topic_`` names a subject (an order, the staff)
  and ignores negation; any other group is a judgement ("slow", "rude") and a
  negated occurrence ("not slow") does not count.
- ``RULES``: tag -> rules. A rule is one or more parts joined by `` + ``, each
  part a phrase or ``@group``; every part must occur in the same sentence. An
  optional `` =0.45`` suffix sets the rule's weight (default ``DEFAULT_WEIGHT``).
  A phrase is folded words (no accents) matched on their Snowball stems, in
  order, with at most ``MAX_GAP`` other words between two of them. A phrase
  that contains a negation cue ("not working", "pas recu") is a complaint as
  written and is never itself negated.

The tag definitions are those of the labelling guide (../shared/data/labels/GUIDE.md):
e.g. delivery and fulfilment are ``onboarding``, damaged goods ``bugs_reliability``.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WEIGHT", "MAX_GAP", "WEAK"]

DEFAULT_WEIGHT = 0.8
# A weak rule alone stays under the tagging threshold; two of them pass it.
WEAK = 0.45
MAX_GAP = 2
