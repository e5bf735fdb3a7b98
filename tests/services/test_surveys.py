"""The survey builder's rules: kinds, edits, questions, options, activation and status."""

from __future__ import annotations

import pytest
from flask import Flask

from surveyapp import db
from surveyapp.models import Survey
from surveyapp.models.survey import KINDS, QUESTION_TYPES
from surveyapp.services import surveys
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from surveyapp.services.survey_kinds import KIND_TEMPLATES
from tests import factories
from tests.factories_admin import gen_answer

CHOICES = [
    {"label": {"en": "Red", "fr": "Rouge"}},
    {"label": {"en": "Blue", "fr": "Bleu"}},
]


def _reload(survey_id: int) -> Survey:
    db.session().expire_all()
    return surveys.get_survey(survey_id)


def _draft(kind: str = "custom") -> Survey:
    return surveys.create_survey(kind, f"A {kind} survey")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_starts_as_a_draft_with_its_questions_in_english_and_french(
    app: Flask, kind: str
) -> None:
    survey = surveys.create_survey(kind, "  Quarterly feedback  ")
    stored = _reload(survey.id)
    template = KIND_TEMPLATES[kind]
    assert stored.status == "draft"
    assert stored.title == "Quarterly feedback"
    assert stored.languages == ["en", "fr"]
    assert stored.anonymous is (kind == "enps")
    assert [q.type for q in stored.questions] == [q.type for q in template.questions]
    assert [q.position for q in stored.questions] == list(range(len(template.questions)))
    for question in stored.questions:
        assert question.text["en"] and question.text["fr"]
    if kind in ("nps", "enps", "csat", "pulse", "cancellation"):
        assert surveys.activation_problems(stored) == []


def test_the_anonymity_default_of_a_kind_can_be_overridden(app: Flask) -> None:
    assert surveys.create_survey("enps", "Team", anonymous=False).anonymous is False
    assert surveys.create_survey("nps", "Clients", anonymous=True).anonymous is True


def test_update_survey_changes_title_languages_topic_and_company(app: Flask) -> None:
    survey = _draft("csat")
    surveys.update_survey(
        survey.id,
        title="Delivery satisfaction",
        languages=["fr"],
        default_language="fr",
        topic={"en": "your delivery", "fr": "votre livraison"},
        company="Acme France",
    )
    stored = _reload(survey.id)
    assert stored.title == "Delivery satisfaction"
    assert stored.languages == ["fr"]
    assert stored.default_language == "fr"
    assert stored.settings == {
        "topic": {"en": "your delivery", "fr": "votre livraison"},
        "company": "Acme France",
    }
    assert "votre livraison" in surveys.question_text(stored, stored.questions[0], "fr")

    surveys.update_survey(survey.id, topic={"en": "", "fr": ""}, company="")
    assert _reload(survey.id).settings == {}


BAD_SETTINGS: list[tuple[dict[str, object], str]] = [
    ({"title": " "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"languages": []}, "languages"),
    ({"languages": ["de"]}, "languages"),
    ({"languages": ["fr"], "default_language": "en"}, "default_language"),
    ({"company": "c" * 201}, "company"),
    ({"topic": {"fr": "t" * 201}}, "topic_fr"),
]


def test_update_survey_refuses_bad_values_and_keeps_the_old_ones(app: Flask) -> None:
    survey = _draft()
    for changes, field in BAD_SETTINGS:
        with pytest.raises(InvalidInput) as error:
            surveys.update_survey(survey.id, **changes)  # type: ignore[arg-type]
        assert error.value.field == field, changes
        stored = _reload(survey.id)
        assert stored.title == "A custom survey"
        assert stored.languages == ["en", "fr"]


def test_anonymity_cannot_change_once_responses_exist(app: Flask) -> None:
    anonymous = factories.gen_survey("enps")
    factories.gen_response(anonymous, 9)
    with pytest.raises(Conflict, match="must stay anonymous"):
        surveys.update_survey(anonymous.id, anonymous=False)
    assert _reload(anonymous.id).anonymous is True

    identified = factories.gen_survey("nps")
    factories.gen_response(identified, 9)
    with pytest.raises(Conflict, match="not collected anonymously"):
        surveys.update_survey(identified.id, anonymous=True)

    fresh = _draft("enps")
    surveys.update_survey(fresh.id, anonymous=False)
    assert _reload(fresh.id).anonymous is False


def test_every_question_type_can_be_added(app: Flask) -> None:
    survey = _draft()
    for question_type in QUESTION_TYPES:
        surveys.add_question(
            survey.id,
            question_type,
            {"en": f"  Your view on {question_type}?  ", "fr": "Votre avis ?"},
            required=True,
            options=CHOICES,
            long=True,
            allow_other=True,
        )
    stored = _reload(survey.id).questions
    assert [q.type for q in stored] == list(QUESTION_TYPES)
    assert [q.position for q in stored] == list(range(len(QUESTION_TYPES)))
    for saved in stored:
        assert saved.text == {"en": f"Your view on {saved.type}?", "fr": "Votre avis ?"}
        assert saved.required is True
        if saved.type in ("single_choice", "multiple_choice"):
            assert saved.options == [
                {"value": "red", "label": {"en": "Red", "fr": "Rouge"}},
                {"value": "blue", "label": {"en": "Blue", "fr": "Bleu"}},
            ]
            assert saved.settings == {"allow_other": True}
        else:
            assert saved.options == []
            assert saved.settings == ({"long": True} if saved.type == "text" else {})


BAD_QUESTIONS: list[tuple[dict[str, str], list[dict[str, object]] | None, str]] = [
    ({"en": "", "fr": ""}, None, "text_en"),
    ({"en": "q" * 501}, None, "text_en"),
    ({"en": "Pick"}, [{"label": {"en": "o" * 201}}], "options_en"),
    ({"en": "Pick"}, [{"label": {"en": f"Option {n}"}} for n in range(31)], "options_en"),
    ({"en": "Pick"}, [{"label": {"en": "Same"}}, {"label": {"en": "same"}}], "options_en"),
]


def test_question_text_and_options_are_validated(app: Flask) -> None:
    survey = _draft()
    for text, options, field in BAD_QUESTIONS:
        with pytest.raises(InvalidInput) as error:
            surveys.add_question(survey.id, "single_choice", text, options=options)
        assert error.value.field == field, (text, options)
    assert _reload(survey.id).questions == []


def test_unknown_question_type_is_refused(app: Flask) -> None:
    with pytest.raises(InvalidInput) as error:
        surveys.add_question(_draft().id, "slider", {"en": "How much?"})
    assert error.value.field == "type"


def test_a_pulse_survey_has_at_most_ten_questions(app: Flask) -> None:
    survey = _draft("pulse")
    for number in range(surveys.MAX_PULSE_QUESTIONS - len(survey.questions)):
        surveys.add_question(survey.id, "yes_no", {"en": f"Q{number}", "fr": f"Q{number}"})
    with pytest.raises(InvalidInput, match="at most 10"):
        surveys.add_question(survey.id, "yes_no", {"en": "One more", "fr": "Encore"})
    assert len(_reload(survey.id).questions) == 10


def test_editing_options_keeps_their_values(app: Flask) -> None:
    survey = _draft()
    question = surveys.add_question(survey.id, "single_choice", {"en": "Colour?"}, options=CHOICES)

    def edit(*labels: dict[str, str]) -> list[str]:
        surveys.update_question(
            survey.id,
            question.id,
            "single_choice",
            {"en": "Colour?"},
            options=[{"label": label} for label in labels],
        )
        return [option["value"] for option in _reload(survey.id).questions[0].options]

    # A label corrected in place keeps the value of its place.
    assert edit({"en": "Crimson", "fr": "Rouge"}, {"en": "Blue", "fr": "Bleu"}) == ["red", "blue"]
    # Reordered options keep theirs (matched by label), a new one gets a new value.
    assert edit({"en": "Yellow"}, {"en": "Blue"}, {"fr": "Rouge"}) == ["yellow", "blue", "red"]
    # A removed option's value is not reused by a new option.
    assert edit({"en": "Blue"}, {"en": "Green"}) == ["blue", "green"]
    assert edit({"en": "Green"}, {"en": "Blue!"}) == ["green", "blue_2"]


def test_an_option_someone_chose_cannot_be_removed(app: Flask) -> None:
    survey = _draft()
    question = surveys.add_question(
        survey.id, "multiple_choice", {"en": "Colour?"}, options=CHOICES
    )
    gen_answer(survey, question, choices=["blue"])
    with pytest.raises(Conflict, match="already chose"):
        surveys.update_question(
            survey.id, question.id, "multiple_choice", {"en": "Colour?"}, options=CHOICES[:1]
        )
    # Removing an option nobody chose and renaming are fine.
    surveys.update_question(
        survey.id,
        question.id,
        "multiple_choice",
        {"en": "Which colours?"},
        options=[{"label": {"en": "Blue", "fr": "Bleu"}}],
    )
    stored = _reload(survey.id).questions[0]
    assert stored.text["en"] == "Which colours?"
    assert [o["value"] for o in stored.options] == ["blue"]


def test_the_type_of_a_question_with_answers_cannot_change(app: Flask) -> None:
    survey = factories.gen_survey("nps", status="draft")
    follow_up = survey.questions[1]
    factories.gen_response(survey, 8, "Fine")
    with pytest.raises(Conflict, match="type cannot change"):
        surveys.update_question(survey.id, follow_up.id, "yes_no", {"en": "Happy?"})
    surveys.update_question(survey.id, follow_up.id, "text", {"en": "Why?", "fr": ""}, long=False)
    stored = _reload(survey.id).questions[1]
    assert stored.type == "text"
    assert stored.text == {"en": "Why?"}
    assert stored.settings == {}


def test_delete_refuses_answered_questions_and_keeps_positions_dense(app: Flask) -> None:
    survey = _draft("pulse")
    first, second, third = survey.questions
    surveys.delete_question(survey.id, second.id)
    stored = _reload(survey.id)
    assert [(q.id, q.position) for q in stored.questions] == [(first.id, 0), (third.id, 1)]

    gen_answer(stored, stored.questions[0], value_number=4)
    with pytest.raises(Conflict, match="duplicate it instead"):
        surveys.delete_question(survey.id, first.id)
    assert len(_reload(survey.id).questions) == 2


def test_questions_of_another_survey_are_not_found(app: Flask) -> None:
    survey, other = _draft("nps"), _draft("nps")
    with pytest.raises(NotFound):
        surveys.delete_question(survey.id, other.questions[0].id)
    with pytest.raises(NotFound):
        surveys.move_question(survey.id, other.questions[0].id, "down")


def test_move_question_swaps_neighbours_and_stops_at_the_ends(app: Flask) -> None:
    survey = _draft("pulse")
    ids = [q.id for q in survey.questions]
    surveys.move_question(survey.id, ids[2], "up")
    assert [q.id for q in _reload(survey.id).questions] == [ids[0], ids[2], ids[1]]
    surveys.move_question(survey.id, ids[0], "down")
    assert [q.id for q in _reload(survey.id).questions] == [ids[2], ids[0], ids[1]]
    surveys.move_question(survey.id, ids[2], "up")
    surveys.move_question(survey.id, ids[1], "down")
    stored = _reload(survey.id)
    assert [q.id for q in stored.questions] == [ids[2], ids[0], ids[1]]
    assert [q.position for q in stored.questions] == [0, 1, 2]
    with pytest.raises(InvalidInput):
        surveys.move_question(survey.id, ids[0], "sideways")  # type: ignore[arg-type]


def test_the_main_question_cannot_change_once_responses_exist(app: Flask) -> None:
    survey = _draft()
    rating = surveys.add_question(survey.id, "rating", {"en": "Stars?", "fr": "Étoiles ?"})
    ces = surveys.add_question(survey.id, "ces", {"en": "Effort?", "fr": "Effort ?"})
    gen_answer(survey, rating, value_number=5)
    with pytest.raises(Conflict, match="score"):
        surveys.move_question(survey.id, ces.id, "up")
    assert [q.id for q in _reload(survey.id).questions] == [rating.id, ces.id]


@pytest.mark.parametrize(
    ("kind", "setup", "message"),
    [
        ("custom", None, "Add at least one question"),
        ("nps", "drop_main", "0–10 recommendation"),
        ("csat", "rating_first", "1–5 satisfaction"),
        ("custom", "missing_french", "Question 1 has no text in French"),
        ("custom", "no_options", "Question 1 has no options"),
        ("custom", "option_without_french", "option 2 has no label in French"),
    ],
)
def test_activation_is_refused_until_the_survey_is_complete(
    app: Flask, kind: str, setup: str | None, message: str
) -> None:
    survey = _draft(kind)
    if setup == "drop_main":
        surveys.delete_question(survey.id, survey.questions[0].id)
    elif setup == "rating_first":
        rating = surveys.add_question(survey.id, "rating", {"en": "Stars?", "fr": "Étoiles ?"})
        for _ in range(2):
            surveys.move_question(survey.id, rating.id, "up")
    elif setup == "missing_french":
        surveys.add_question(survey.id, "text", {"en": "Anything else?"})
    elif setup == "no_options":
        surveys.add_question(survey.id, "single_choice", {"en": "Pick", "fr": "Choisissez"})
    elif setup == "option_without_french":
        surveys.add_question(
            survey.id,
            "single_choice",
            {"en": "Pick", "fr": "Choisissez"},
            options=[CHOICES[0], {"label": {"en": "Blue"}}],
        )
    with pytest.raises(InvalidInput, match=message):
        surveys.set_status(survey.id, "active")
    assert _reload(survey.id).status == "draft"


def test_status_moves_draft_active_closed_and_reopens(app: Flask) -> None:
    survey = _draft("nps")
    with pytest.raises(Conflict, match="activate it first"):
        surveys.set_status(survey.id, "closed")
    active = surveys.set_status(survey.id, "active")
    assert active.status == "active"
    activated_at = active.activated_at
    assert activated_at is not None
    closed = surveys.set_status(survey.id, "closed")
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(Conflict, match="cannot go back to draft"):
        surveys.set_status(survey.id, "draft")
    reopened = surveys.set_status(survey.id, "active")
    assert reopened.closed_at is None
    assert reopened.activated_at == activated_at
    assert surveys.set_status(survey.id, "active").status == "active"
    with pytest.raises(InvalidInput):
        surveys.set_status(survey.id, "archived")
    assert _reload(survey.id).status == "active"


def test_a_published_survey_must_stay_complete(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    with pytest.raises(InvalidInput, match="no text in French"):
        surveys.add_question(survey.id, "text", {"en": "Anything else?"})
    with pytest.raises(InvalidInput, match="0–10 recommendation"):
        surveys.delete_question(survey.id, survey.questions[0].id)
    assert len(_reload(survey.id).questions) == 2
    surveys.add_question(survey.id, "text", {"en": "Anything else?", "fr": "Autre chose ?"})
    assert len(_reload(survey.id).questions) == 3


def test_response_counts_come_from_one_query(app: Flask) -> None:
    first, second, empty = (factories.gen_survey("nps") for _ in range(3))
    for score in (9, 10, 3):
        factories.gen_response(first, score)
    factories.gen_response(second, 7)
    assert surveys.response_counts() == {first.id: 3, second.id: 1}
    assert surveys.count_responses(first.id) == 3
    assert surveys.count_responses(empty.id) == 0


def test_duplicate_copies_settings_and_questions_into_a_draft(app: Flask) -> None:
    survey = factories.gen_survey("cancellation", anonymous=True)
    surveys.update_survey(survey.id, company="Acme SAS")
    factories.gen_response(survey, None)
    copy = surveys.duplicate_survey(survey.id)
    stored = _reload(copy.id)
    assert stored.id != survey.id and stored.public_slug != survey.public_slug
    assert stored.status == "draft"
    assert stored.title == f"Copy of {survey.title}"
    assert stored.anonymous is True
    assert stored.settings == {"company": "Acme SAS"}
    assert [(q.type, q.text, q.options) for q in stored.questions] == [
        (q.type, q.text, q.options) for q in survey.questions
    ]
    assert surveys.count_responses(stored.id) == 0
