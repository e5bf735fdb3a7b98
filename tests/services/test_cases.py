"""Follow-up cases: opened at submit time for unhappy answers, worked on, measured."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Alert, Case, OutboxMessage, User
from surveyapp.services import cases, responses
from surveyapp.services.errors import InvalidInput, NotFound
from tests import factories
from tests.factories_followup import gen_owned_survey, submit


def _cases() -> list[Case]:
    return list(db.session().scalars(sa.select(Case).order_by(Case.id)))


@pytest.mark.parametrize(
    ("kind", "score", "reason"),
    [
        ("nps", 0, "detractor"),
        ("nps", 6, "detractor"),
        ("nps", 7, None),
        ("nps", 10, None),
        ("csat", 1, "low_csat"),
        ("csat", 2, "low_csat"),
        ("csat", 3, None),
    ],
)
def test_a_case_opens_exactly_for_detractors_and_low_csat(
    app: Flask, kind: str, score: int, reason: str | None
) -> None:
    owner = factories.gen_user("editor")
    survey = gen_owned_survey(kind, owner)
    response = submit(survey, score, "Slow support")
    opened = _cases()
    if reason is None:
        assert opened == []
        return
    assert [(case.reason, case.response_id, case.status) for case in opened] == [
        (reason, response.id, "open")
    ]
    alerts = db.session().scalars(sa.select(Alert)).all()
    assert [(alert.user_id, alert.mode, alert.queued_at) for alert in alerts] == [
        (owner.id, "instant", None)
    ]


def test_a_cancellation_answer_opens_a_case(app: Flask) -> None:
    survey = gen_owned_survey("cancellation", factories.gen_user("editor"))
    submit(survey, choice="price", comment="Too expensive for us")
    assert [case.reason for case in _cases()] == ["cancellation"]


def test_anonymous_surveys_never_open_cases(app: Flask) -> None:
    survey = gen_owned_survey("enps", factories.gen_user("editor"))
    assert survey.anonymous
    submit(survey, 2, "Management")
    assert _cases() == []
    assert db.session().scalar(sa.select(sa.func.count(Alert.id))) == 0


def test_one_click_then_full_submit_keeps_one_case(app: Flask) -> None:
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    invitation = factories.gen_invitation(survey)
    responses.record_score(survey, 3, language="en", invitation=invitation)
    assert len(_cases()) == 1
    main = survey.main_question
    assert main is not None
    responses.submit_response(
        survey, {main.id: responses.AnswerValue(number=4)}, language="en", invitation=invitation
    )
    assert len(_cases()) == 1


def test_actions_record_first_action_and_close_time(app: Flask) -> None:
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 1)
    case = _cases()[0]
    assert case.first_action_at is None
    actor = factories.gen_user("editor")
    helper = factories.gen_user("viewer")
    cases.assign_case(case.id, helper.id, actor)
    first = case.first_action_at
    assert first is not None and case.assignee_id == helper.id
    cases.add_note(case.id, "  Called them back  ", actor)
    cases.set_status(case.id, "closed", actor)
    assert case.first_action_at == first
    assert case.status == "closed" and case.closed_at is not None
    cases.set_status(case.id, "in_progress", actor)
    assert case.closed_at is None
    view = cases.get_case(case.id)
    assert [(note.kind, note.body) for note in view.case.notes][1] == ("note", "Called them back")
    assert [note.kind for note in view.case.notes] == ["event", "note", "event", "event"]
    assert view.authors == {actor.id: actor.email}


def test_bad_actions_are_refused(app: Flask) -> None:
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 1)
    case = _cases()[0]
    actor = factories.gen_user("editor")
    with pytest.raises(InvalidInput):
        cases.set_status(case.id, "done", actor)
    with pytest.raises(InvalidInput):
        cases.add_note(case.id, "   ", actor)
    with pytest.raises(InvalidInput):
        cases.assign_case(case.id, 9999, actor)
    with pytest.raises(NotFound):
        cases.add_note(9999, "x", actor)
    assert case.first_action_at is None


def test_a_reply_is_queued_to_the_respondent(app: Flask) -> None:
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    contact = factories.gen_contact("ann@example.com")
    submit(survey, 2, "Too slow", contact=contact)
    case = _cases()[0]
    actor = factories.gen_user("editor", email="boss@example.com")
    cases.send_reply(case.id, "About your answer", "Hello Ann,\n\nWe fixed it.", actor)
    message = (
        db.session()
        .scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "case_reply"))
        .one()
    )
    assert message.payload["to"] == "ann@example.com"
    assert message.payload["reply_to"] == "boss@example.com"
    assert message.payload["body"] == "Hello Ann,\n\nWe fixed it."
    assert case.first_action_at is not None
    assert [note.kind for note in cases.get_case(case.id).case.notes] == ["reply"]


def test_no_reply_without_a_known_respondent(app: Flask) -> None:
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 2, public=True)
    case = _cases()[0]
    assert not cases.get_case(case.id).can_reply
    with pytest.raises(InvalidInput):
        cases.send_reply(case.id, "Hi", "Text", factories.gen_user("editor"))
    assert db.session().scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_queue_filters(app: Flask) -> None:
    owner = factories.gen_user("editor")
    nps = gen_owned_survey("nps", owner)
    csat = gen_owned_survey("csat", owner)
    submit(nps, 3, "Bugs everywhere")
    submit(csat, 1)
    submit(nps, 5)
    first, second, third = _cases()
    cases.assign_case(first.id, owner.id, owner)
    cases.set_status(second.id, "closed", owner)

    def ids(**filters: int | str | None) -> list[int]:
        return [row.id for row in cases.list_cases(cases.CaseFilters(**filters))]  # type: ignore[arg-type]

    assert ids() == [third.id, second.id, first.id]
    assert ids(status="closed") == [second.id]
    assert ids(survey_id=nps.id) == [third.id, first.id]
    assert ids(assignee_id=owner.id) == [first.id]
    assert ids(assignee_id=0) == [third.id, second.id]
    row = cases.list_cases(cases.CaseFilters(assignee_id=owner.id))[0]
    assert (row.comment, row.score, row.assignee, row.reason) == (
        "Bugs everywhere",
        3,
        owner.email,
        "detractor",
    )


def test_metrics_per_month_hand_computed(app: Flask) -> None:
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    for _n in range(4):
        submit(survey, 0)
    one, two, three, four = _cases()
    base = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    # March: first actions after 2 h and 4 h (median 3), one closed after 10 h.
    one.created_at, one.first_action_at, one.closed_at = base, base + 2 * hour, base + 10 * hour
    two.created_at, two.first_action_at = base, base + 4 * hour
    three.created_at = base + 24 * hour
    # April: untouched.
    four.created_at = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    db.session().commit()
    rows = cases.case_metrics("month", 3, today=dt.date(2026, 4, 15))
    assert [row.period_start for row in rows] == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
    ]
    february, march, april = rows
    assert (february.opened, february.median_hours_to_first_action) == (0, None)
    assert (march.opened, march.acted, march.closed) == (3, 2, 1)
    assert (march.median_hours_to_first_action, march.median_hours_to_close) == (3.0, 10.0)
    assert (april.opened, april.acted, april.median_hours_to_close) == (1, 0, None)
    quarters = cases.case_metrics("quarter", 2, today=dt.date(2026, 4, 15))
    assert [(row.period_start, row.opened) for row in quarters] == [
        (dt.date(2026, 1, 1), 3),
        (dt.date(2026, 4, 1), 1),
    ]
    hidden = cases.case_metrics(
        "month", 3, today=dt.date(2026, 4, 15), hidden_survey_ids=frozenset({survey.id})
    )
    assert [row.opened for row in hidden] == [0, 0, 0]
    with pytest.raises(InvalidInput):
        cases.case_metrics("week")


def test_an_inactive_owner_gets_no_alert(app: Flask) -> None:
    owner = factories.gen_user("editor")
    survey = gen_owned_survey("nps", owner)
    db.session().get(User, owner.id).is_active = False  # type: ignore[union-attr]
    db.session().commit()
    submit(survey, 1)
    assert len(_cases()) == 1
    assert db.session().scalar(sa.select(sa.func.count(Alert.id))) == 0
