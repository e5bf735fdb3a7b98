"""Test data for the reason taxonomy: reasons, keywords, corrections, re-tag runs."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import Answer, ReasonTag, User
from surveyapp.services import corrections, retagging, taxonomy


def reason(code: str) -> ReasonTag:
    """The reason with this code."""
    db.session().expire_all()
    return db.session().scalars(sa.select(ReasonTag).where(ReasonTag.code == code)).one()


def gen_reason(label_en: str, label_fr: str, *keywords: tuple[str, str]) -> ReasonTag:
    """A reason of the workspace's own with (language, phrase) keywords."""
    tag = taxonomy.create_tag(label_en, label_fr)
    for language, phrase in keywords:
        taxonomy.add_keyword(tag.id, language, phrase)
    return tag


def comment_of(response_id: int) -> Answer:
    """The text answer of a response submitted by ``gen_tagged_response`` (its comment)."""
    return (
        db.session()
        .scalars(
            sa.select(Answer)
            .where(Answer.response_id == response_id, Answer.text.is_not(None))
            .order_by(Answer.id)
        )
        .first()
    )


def correct(response_id: int, tags: set[str], user: User) -> tuple[list[str], list[str]]:
    """Set the active tags of a response's comment as a manager would."""
    return corrections.correct_tags(comment_of(response_id).id, tags, user)


def run_retag(owner: str = "test-worker", batch_size: int = 200) -> int:
    """Run the current re-tag job to its end in one worker; return the batches it took."""
    batches = 0
    while retagging.run_batch(owner, batch_size):
        batches += 1
    return batches
