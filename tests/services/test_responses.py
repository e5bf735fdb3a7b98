"""The responses service on a real database: rules, idempotence, anonymity and races."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from surveyapp.models import Response
from surveyapp.services import responses
from surveyapp.services.errors import Conflict, Gone, InvalidInput, NotFound
from surveyapp.services.responses import AnswerValue
from tests import factories
from tests.factories_public import (
    count_rows,
    gen_attribute,
    gen_survey_with_every_type,
    stored_invitation,
    stored_responses,
)


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("10", 10), (" 7 ", 7), ("07", 7)])
def test_parse_score_accepts_whole_numbers_on_the_scale(
    app: Flask, raw: str, expected: int
) -> None:
    survey = factories.gen_survey("nps")
    assert responses.parse_score(survey, raw) == expected


@pytest.mark.parametrize("raw", ["11", "-1", "abc", "3.5", "", "1e1", "٣"])
def test_parse_score_refuses_anything_else(app: Flask, raw: str) -> None:
    survey = factories.gen_survey("nps")
    with pytest.raises(InvalidInput) as caught:
        responses.parse_score(survey, raw)
    assert caught.value.field == "score"


def test_parse_score_uses_the_main_question_scale(app: Flask) -> None:
    csat = factories.gen_survey("csat")
    cancellation = factories.gen_survey("cancellation")

    assert responses.parse_score(csat, "5") == 5
    with pytest.raises(InvalidInput):
        responses.parse_score(csat, "0")
    with pytest.raises(InvalidInput, match="no score question"):
        responses.parse_score(cancellation, "3")


def test_record_score_is_idempotent_and_keeps_other_answers(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    invitation = responses.open_invitation(factories.gen_invitation(survey).token)
    main, text = survey.questions

    responses.submit_response(
        survey,
        {main.id: AnswerValue(number=3), text.id: AnswerValue(text="Slow")},
        language="en",
        invitation=invitation,
    )
    recorded = responses.record_score(survey, 9, language="fr", invitation=invitation)
    again = responses.record_score(survey, 9, language="fr", invitation=invitation)

    assert recorded.id == again.id
    [stored] = stored_responses(survey.id)
    assert (stored.score, stored.language, stored.completed) == (9, "fr", True)
    assert {a.question_id: (a.value_number, a.text) for a in stored.answers} == {
        main.id: (9, None),
        text.id: (None, "Slow"),
    }
    with pytest.raises(InvalidInput):
        responses.record_score(survey, 11, language="en", invitation=invitation)


def test_submit_checks_every_rule(app: Flask) -> None:
    survey = gen_survey_with_every_type()
    ces, rating, single, multiple, yes_no, text = survey.questions
    ok = {ces.id: AnswerValue(number=2)}

    bad_inputs = [
        ({rating.id: AnswerValue(number=4)}, f"q{ces.id}"),
        ({**ok, rating.id: AnswerValue(number=6)}, f"q{rating.id}"),
        ({**ok, single.id: AnswerValue(choices=("web", "app"))}, f"q{single.id}"),
        ({**ok, multiple.id: AnswerValue(choices=("fax",))}, f"q{multiple.id}"),
        ({**ok, multiple.id: AnswerValue(choices=("web",), text="x")}, f"q{multiple.id}"),
        ({**ok, yes_no.id: AnswerValue(choices=("maybe",))}, f"q{yes_no.id}"),
        ({**ok, yes_no.id: AnswerValue(number=1)}, f"q{yes_no.id}"),
        ({**ok, text.id: AnswerValue(text="x" * 5001)}, f"q{text.id}"),
        ({**ok, text.id: AnswerValue(choices=("web",))}, f"q{text.id}"),
        ({**ok, 999_999: AnswerValue(text="?")}, "answers"),
    ]
    for answers, field in bad_inputs:
        with pytest.raises(InvalidInput) as caught:
            responses.submit_response(survey, answers, language="en")
        assert caught.value.field == field, answers

    assert count_rows(Response) == 0
    stored = responses.submit_response(
        survey, {**ok, single.id: AnswerValue(text="A friend")}, language="en"
    )
    assert {a.question_id: (a.choices, a.text) for a in stored.answers}[single.id] == (
        ["other"],
        "A friend",
    )


def test_survey_status_decides_who_may_answer(app: Flask) -> None:
    draft = factories.gen_survey("nps", status="draft")
    closed = factories.gen_survey("nps", status="closed")
    draft_invitation = factories.gen_invitation(draft)
    closed_invitation = factories.gen_invitation(closed)

    with pytest.raises(NotFound):
        responses.open_invitation(draft_invitation.token)
    with pytest.raises(NotFound):
        responses.open_public_link(draft.public_slug)
    with pytest.raises(NotFound):
        responses.open_invitation("no-such-token")
    with pytest.raises(Gone):
        responses.open_invitation(closed_invitation.token)
    with pytest.raises(Gone):
        responses.record_score(closed, 5, language="en")
    assert count_rows(Response) == 0


def test_contact_segment_keeps_reportable_attributes_only(app: Flask) -> None:
    gen_attribute("team", reportable=True)
    gen_attribute("plan", reportable=True)
    gen_attribute("salary", reportable=False)
    contact = factories.gen_contact(attributes={"team": "ops", "salary": 50_000})

    assert responses.contact_segment(contact) == {"team": "ops"}


def test_anonymous_invitation_is_answered_once_from_anywhere(app: Flask) -> None:
    survey = factories.gen_survey("enps")
    invitation = responses.open_invitation(factories.gen_invitation(survey).token)
    key = responses.new_submission_key()

    first = responses.record_score(
        survey, 8, language="en", invitation=invitation, submission_key=key
    )
    same_key = responses.submit_response(
        survey,
        {survey.questions[0].id: AnswerValue(number=9)},
        language="en",
        invitation=invitation,
        submission_key=key,
    )

    assert first.id == same_key.id
    assert responses.find_response(survey, invitation=invitation, submission_key=key) is not None
    for other_key in (responses.new_submission_key(), None):
        with pytest.raises(Conflict):
            responses.record_score(
                survey, 1, language="en", invitation=invitation, submission_key=other_key
            )
        with pytest.raises(Conflict):
            responses.find_response(survey, invitation=invitation, submission_key=other_key)
    [stored] = stored_responses(survey.id)
    assert stored.score == 9 and stored.invitation_id is None and stored.contact_id is None
    assert stored_invitation(invitation.id).status == "answered"


def _race(app: Flask, attempts: int, submit: object) -> list[BaseException]:
    """Run ``submit`` in ``attempts`` threads released together; return their errors."""
    barrier = threading.Barrier(attempts, timeout=10)
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                submit()  # type: ignore[operator]
            except BaseException as exc:  # reported to the test thread
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_concurrent_submits_of_one_invitation_make_one_response(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    token = factories.gen_invitation(survey).token
    main_id = survey.questions[0].id

    def submit() -> None:
        invitation = responses.open_invitation(token)
        responses.submit_response(
            invitation.survey,
            {main_id: AnswerValue(number=6)},
            language="en",
            invitation=invitation,
        )

    assert _race(app, 4, submit) == []
    assert [r.score for r in stored_responses(survey.id)] == [6]


def test_concurrent_posts_with_one_submission_key_make_one_response(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    slug = survey.public_slug
    main_id = survey.questions[0].id
    key = responses.new_submission_key()

    def submit() -> None:
        responses.submit_response(
            responses.open_public_link(slug),
            {main_id: AnswerValue(number=10)},
            language="en",
            submission_key=key,
        )

    assert _race(app, 4, submit) == []
    assert [r.submission_key for r in stored_responses(survey.id)] == [key]
