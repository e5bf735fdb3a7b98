"""The workspace's churn-reason taxonomy: add, rename, merge, retire and restore tags, and
their keywords and phrases per language.

One installation is one workspace. The 13 built-in tags of PRODUCT.md § Churn
reasons are seeded by migration 0008; their lexicon entries stay in
``surveyapp.text.lexicons`` and a tag's ``ReasonKeyword`` rows extend them.

A retired tag tags nothing new and is left out of every dashboard, API reasons
answer and export, but its stored tags stay (they come back when it is
restored). Merging A into B moves A's stored tags, corrections and keywords to
B (a manual tag stays manual) and leaves A "merged" for good; the lexicon rules
of a merged built-in tag then count for B. Every change is audit-logged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import AnswerTag, ReasonKeyword, ReasonTag, TagCorrection, utcnow
from surveyapp.models.taxonomy import KEYWORD_LANGUAGES
from surveyapp.services import audit
from surveyapp.services.errors import InvalidInput, NotFound

__all__ = [
    "BUILTIN_TAGS",
    "MAX_LABEL_LENGTH",
    "MAX_PHRASE_LENGTH",
    "Taxonomy",
    "add_keyword",
    "create_tag",
    "current",
    "get_tag",
    "hidden_codes",
    "is_shown",
    "labels",
    "last_change",
    "list_tags",
    "merge_tag",
    "remove_keyword",
    "rename_tag",
    "restore_tag",
    "retire_tag",
]

# PRODUCT.md § Churn reasons, in its order: code, English label, French label (as seeded).
BUILTIN_TAGS: tuple[tuple[str, str, str], ...] = (
    ("price", "Price", "Prix"),
    ("missing_feature", "Missing feature", "Fonctionnalité manquante"),
    ("bugs_reliability", "Bugs and reliability", "Bugs et fiabilité"),
    ("performance", "Performance", "Performances"),
    ("support", "Support", "Support"),
    ("usability", "Usability", "Facilité d'utilisation"),
    ("onboarding", "Onboarding", "Mise en route"),
    ("competitor", "Competitor", "Concurrent"),
    ("no_longer_needed", "No longer needed", "Plus besoin"),
    ("business_closed", "Business closed", "Cessation d'activité"),
    ("billing", "Billing", "Facturation"),
    ("privacy_security", "Privacy and security", "Confidentialité et sécurité"),
    ("other", "Other", "Autre"),
)
MAX_LABEL_LENGTH = 80
MAX_PHRASE_LENGTH = 100
MAX_CODE_LENGTH = 40
_BUILTIN_ORDER = {code: index for index, (code, _en, _fr) in enumerate(BUILTIN_TAGS)}
_NOT_CODE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Taxonomy:
    """What tagging needs from the taxonomy, read once per response or batch.

    ``keywords``: (code, language, folded phrase) of every keyword, under the code
    it tags now; ``custom``: the workspace's own active codes; ``targets``: for each
    code that no longer tags, the active code it counts for (merged) or None (retired).
    """

    keywords: tuple[tuple[str, str, str], ...]
    custom: tuple[str, ...]
    targets: tuple[tuple[str, str | None], ...]

    def resolve(self, code: str) -> str | None:
        """The code a tag found by the tagger is stored under, or None when retired."""
        return dict(self.targets).get(code, code)


def _ordered(tags: Iterable[ReasonTag]) -> list[ReasonTag]:
    return sorted(tags, key=lambda tag: (_BUILTIN_ORDER.get(tag.code, len(_BUILTIN_ORDER)), tag.id))


def list_tags() -> list[ReasonTag]:
    """Every tag with its keywords: the built-in ones in PRODUCT.md's order, then the others."""
    return _ordered(
        db.session().scalars(sa.select(ReasonTag).options(so.selectinload(ReasonTag.keywords)))
    )


def get_tag(tag_id: int) -> ReasonTag:
    """One tag. Raises NotFound."""
    tag = db.session().get(ReasonTag, tag_id)
    if tag is None:
        raise NotFound(_("No such reason."))
    return tag


def _final(tag: ReasonTag, by_id: dict[int, ReasonTag]) -> str | None:
    """The active code a tag counts for: itself, the end of its merge chain, or None."""
    seen: set[int] = set()
    while tag.status == "merged" and tag.merged_into_id is not None and tag.id not in seen:
        seen.add(tag.id)
        tag = by_id[tag.merged_into_id]
    return tag.code if tag.status == "active" else None


def current() -> Taxonomy:
    """The taxonomy as tagging reads it (two small queries)."""
    session = db.session()
    tags = list(session.scalars(sa.select(ReasonTag)))
    by_id = {tag.id: tag for tag in tags}
    finals = {tag.id: _final(tag, by_id) for tag in tags}
    keywords = [
        (finals[tag_id], language, folded)
        for tag_id, language, folded in session.execute(
            sa.select(ReasonKeyword.tag_id, ReasonKeyword.language, ReasonKeyword.folded)
        )
        if finals.get(tag_id) is not None
    ]
    return Taxonomy(
        keywords=tuple(sorted(keywords)),  # type: ignore[arg-type]
        custom=tuple(
            sorted(tag.code for tag in tags if not tag.builtin and tag.status == "active")
        ),
        targets=tuple(sorted((tag.code, finals[tag.id]) for tag in tags if tag.status != "active")),
    )


def _hidden() -> sa.Select[tuple[str]]:
    return sa.select(ReasonTag.code).where(ReasonTag.status != "active")


def hidden_codes() -> frozenset[str]:
    """The codes left out of dashboards, API answers and exports (retired or merged)."""
    return frozenset(db.session().scalars(_hidden()))


def is_shown(tag: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The SQL condition that a stored tag's code is not hidden (``hidden_codes``), as a
    subquery of the same statement rather than a read of its own."""
    return tag.not_in(_hidden())


def labels(language: str) -> dict[str, str]:
    """The labels the workspace set, in ``language`` ("en" or "fr"), by code: its own tags
    and renamed built-in ones. A built-in tag left as seeded is omitted, so the web layer
    shows its name from the translation catalogue."""
    seeded = {code: (english, french) for code, english, french in BUILTIN_TAGS}
    return {
        tag.code: tag.label(language)
        for tag in db.session().scalars(sa.select(ReasonTag))
        if seeded.get(tag.code) != (tag.label_en, tag.label_fr)
    }


def _clean_label(value: str | None, field: str) -> str:
    label = " ".join((value or "").split())
    if not label:
        raise InvalidInput(_("Give the reason a name."), field)
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            _("At most %(n)s characters, please.", n=MAX_LABEL_LENGTH),
            field,
        )
    return label


def _check_unique_labels(label_en: str, label_fr: str, tag_id: int | None) -> None:
    """Two reasons a manager can tell apart: no label shared in one language (merged ones aside)."""
    others = db.session().scalars(
        sa.select(ReasonTag).where(ReasonTag.status != "merged", ReasonTag.id != (tag_id or 0))
    )
    for other in others:
        if other.label_en.casefold() == label_en.casefold():
            raise InvalidInput(
                _("Another reason is already called “%(label)s”.", label=other.label_en),
                "label_en",
            )
        if other.label_fr.casefold() == label_fr.casefold():
            raise InvalidInput(
                _("Another reason is already called “%(label)s”.", label=other.label_fr),
                "label_fr",
            )


def _new_code(label: str) -> str:
    """A stable code from the English label ("Hardware issues" -> "hardware_issues")."""
    from surveyapp.text.normalize import fold

    base = _NOT_CODE.sub("_", fold(label)).strip("_")[: MAX_CODE_LENGTH - 4] or "reason"
    taken = set(db.session().scalars(sa.select(ReasonTag.code)))
    code, number = base, 2
    while code in taken:
        code = f"{base}_{number}"
        number += 1
    return code


def create_tag(label_en: str | None, label_fr: str | None) -> ReasonTag:
    """Add a reason of the workspace's own; its code comes from the English label.

    Raises InvalidInput for an empty, too long or duplicate label.
    """
    english = _clean_label(label_en, "label_en")
    french = _clean_label(label_fr, "label_fr")
    _check_unique_labels(english, french, None)
    now = utcnow()
    tag = ReasonTag(
        code=_new_code(english),
        label_en=english,
        label_fr=french,
        status="active",
        builtin=False,
        created_at=now,
        updated_at=now,
    )
    db.session().add(tag)
    audit.record(None, "reason.created", _target(tag), {"code": tag.code})
    db.session().commit()
    return tag


def rename_tag(tag_id: int, label_en: str | None, label_fr: str | None) -> ReasonTag:
    """Change a reason's labels; its code stays. Raises NotFound, InvalidInput."""
    tag = get_tag(tag_id)
    english = _clean_label(label_en, "label_en")
    french = _clean_label(label_fr, "label_fr")
    _check_unique_labels(english, french, tag.id)
    before = {"en": tag.label_en, "fr": tag.label_fr}
    tag.label_en, tag.label_fr, tag.updated_at = english, french, utcnow()
    audit.record(
        None, "reason.renamed", _target(tag), {"from": before, "to": {"en": english, "fr": french}}
    )
    db.session().commit()
    return tag


def add_keyword(tag_id: int, language: str | None, phrase: str | None) -> ReasonKeyword:
    """Add a keyword or phrase of ``language`` to a reason.

    Raises NotFound, InvalidInput (unknown language, no word in it, too long, a
    keyword of a reason already, a merged reason).
    """
    from surveyapp.text import TextAnalyticsError
    from surveyapp.text.tagging import keyword_words

    tag = get_tag(tag_id)
    if tag.status == "merged":
        raise InvalidInput(_("This reason was merged into another one."), "phrase")
    if language not in KEYWORD_LANGUAGES:
        raise InvalidInput(_("Choose English or French."), "language")
    written = " ".join((phrase or "").split())
    if len(written) > MAX_PHRASE_LENGTH:
        raise InvalidInput(_("At most %(n)s characters, please.", n=MAX_PHRASE_LENGTH), "phrase")
    try:
        folded = " ".join(keyword_words(written))
    except TextAnalyticsError:
        raise InvalidInput(
            _("Write at least one word: punctuation and emoji alone match nothing."), "phrase"
        ) from None
    session = db.session()
    holder = session.scalar(
        sa.select(ReasonTag)
        .join(ReasonKeyword, ReasonKeyword.tag_id == ReasonTag.id)
        .where(ReasonKeyword.language == language, ReasonKeyword.folded == folded)
    )
    if holder is not None:
        raise InvalidInput(
            _(
                "“%(phrase)s” is already a keyword of “%(label)s”.",
                phrase=written,
                label=holder.label(language),
            ),
            "phrase",
        )
    keyword = ReasonKeyword(
        tag_id=tag.id, language=language, phrase=written, folded=folded, created_at=utcnow()
    )
    session.add(keyword)
    tag.updated_at = utcnow()
    audit.record(
        None, "reason.keyword_added", _target(tag), {"language": language, "phrase": written}
    )
    session.commit()
    return keyword


def remove_keyword(tag_id: int, keyword_id: int) -> ReasonKeyword:
    """Remove one keyword of a reason. Raises NotFound."""
    session = db.session()
    keyword = session.get(ReasonKeyword, keyword_id)
    if keyword is None or keyword.tag_id != tag_id:
        raise NotFound(_("No such keyword."))
    tag = get_tag(tag_id)
    session.delete(keyword)
    tag.updated_at = utcnow()
    audit.record(
        None,
        "reason.keyword_removed",
        _target(tag),
        {"language": keyword.language, "phrase": keyword.phrase},
    )
    session.commit()
    return keyword


def retire_tag(tag_id: int) -> ReasonTag:
    """Stop tagging with a reason and hide it everywhere; its history stays.

    Raises NotFound, InvalidInput (already retired or merged).
    """
    tag = get_tag(tag_id)
    if tag.status != "active":
        raise InvalidInput(_("Only an active reason can be retired."))
    tag.status, tag.updated_at = "retired", utcnow()
    audit.record(None, "reason.retired", _target(tag))
    db.session().commit()
    return tag


def restore_tag(tag_id: int) -> ReasonTag:
    """Bring a retired reason back, with its stored history. Raises NotFound, InvalidInput."""
    tag = get_tag(tag_id)
    if tag.status != "retired":
        raise InvalidInput(_("Only a retired reason can be restored."))
    _check_unique_labels(tag.label_en, tag.label_fr, tag.id)
    tag.status, tag.updated_at = "active", utcnow()
    audit.record(None, "reason.restored", _target(tag))
    db.session().commit()
    return tag


def merge_tag(source_id: int, target_id: int | None) -> ReasonTag:
    """Merge one reason into another: stored tags, corrections and keywords move to the
    target (a manual tag stays manual) and the source is marked merged. Returns the target.

    Raises NotFound, InvalidInput (into itself, into a retired or merged reason, or a
    source that is not active or retired).
    """
    source = get_tag(source_id)
    if target_id is None:
        raise InvalidInput(_("Choose the reason to merge into."), "target")
    if target_id == source.id:
        raise InvalidInput(_("A reason cannot be merged into itself."), "target")
    target = db.session().get(ReasonTag, target_id)
    if target is None:
        raise InvalidInput(_("Choose the reason to merge into."), "target")
    if target.status != "active":
        raise InvalidInput(
            _(
                "“%(label)s” is not active: restore it first, or choose another reason.",
                label=target.label_en,
            ),
            "target",
        )
    if source.status == "merged":
        raise InvalidInput(_("This reason was merged into another one."), "target")
    session = db.session()
    _move_answer_tags(source.code, target.code)
    session.execute(
        sa.update(TagCorrection)
        .where(TagCorrection.tag == source.code)
        .values(tag=target.code)
        .execution_options(synchronize_session=False)
    )
    taken = {
        (language, folded)
        for language, folded in session.execute(
            sa.select(ReasonKeyword.language, ReasonKeyword.folded).where(
                ReasonKeyword.tag_id == target.id
            )
        )
    }
    for keyword in list(source.keywords):
        if (keyword.language, keyword.folded) in taken:
            session.delete(keyword)
        else:
            keyword.tag_id = target.id
    # Reasons merged into the source earlier now count for the target directly.
    session.execute(
        sa.update(ReasonTag)
        .where(ReasonTag.merged_into_id == source.id)
        .values(merged_into_id=target.id)
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    source.status, source.merged_into_id, source.updated_at = "merged", target.id, now
    target.updated_at = now
    audit.record(None, "reason.merged", _target(source), {"into": target.code})
    session.commit()
    # The bulk updates bypassed the loaded objects (sessions keep them after a commit).
    session.expire_all()
    return target


def _move_answer_tags(source: str, target: str) -> None:
    """Give the source's stored tags to the target; an answer with both keeps the target's
    row, made manual when the source's was manual."""
    session = db.session()
    other = so.aliased(AnswerTag)
    session.execute(
        sa.update(AnswerTag)
        .where(
            AnswerTag.tag == target,
            AnswerTag.answer_id.in_(
                sa.select(other.answer_id).where(other.tag == source, other.source == "manual")
            ),
        )
        .values(source="manual")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.delete(AnswerTag)
        .where(
            AnswerTag.tag == source,
            AnswerTag.answer_id.in_(sa.select(other.answer_id).where(other.tag == target)),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(AnswerTag)
        .where(AnswerTag.tag == source)
        .values(tag=target)
        .execution_options(synchronize_session=False)
    )


def _target(tag: ReasonTag) -> str:
    return f"reason {tag.code} ({tag.label_en})"


def last_change() -> dt.datetime | None:
    """When a reason or its keywords last changed (to tell whether history needs a re-tag)."""
    return db.session().scalar(sa.select(sa.func.max(ReasonTag.updated_at)))
