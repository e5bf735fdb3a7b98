"""The editable taxonomy on a real database: add, rename, keywords, merge, retire, restore."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import AnswerTag, AuditEvent, ReasonKeyword, TagCorrection
from surveyapp.services import api_keys, reasons, taxonomy
from surveyapp.services.errors import InvalidInput
from tests import factories
from tests.api.conftest import bearer
from tests.factories_reasons import gen_tagged_response, stored_tags
from tests.factories_taxonomy import comment_of, correct, gen_reason, reason


def shares(survey_id: int) -> dict[str, int]:
    return {row.tag: row.count for row in reasons.reason_shares(survey_id).rows}


def test_the_migration_seeds_the_builtin_reasons(app: Flask) -> None:
    rows = taxonomy.list_tags()
    assert [(tag.code, tag.label_en, tag.label_fr) for tag in rows] == list(taxonomy.BUILTIN_TAGS)
    assert all(tag.builtin and tag.status == "active" for tag in rows)


def test_add_and_rename_keep_the_code(app: Flask) -> None:
    tag = taxonomy.create_tag("  Hardware   issues ", "Problèmes matériels")
    assert (tag.code, tag.label_en, tag.builtin) == ("hardware_issues", "Hardware issues", False)

    taxonomy.rename_tag(tag.id, "Device faults", "Pannes d'appareil")
    renamed = reason("hardware_issues")
    assert (renamed.label_en, renamed.label_fr) == ("Device faults", "Pannes d'appareil")
    # A second reason from a similar name gets its own code.
    assert taxonomy.create_tag("Hardware issues", "Matériel").code == "hardware_issues_2"
    assert taxonomy.labels("fr")["hardware_issues"] == "Pannes d'appareil"
    # Unchanged built-in names are left to the translation catalogue.
    assert "price" not in taxonomy.labels("fr")
    taxonomy.rename_tag(reason("price").id, "Cost", "Coût")
    assert taxonomy.labels("fr")["price"] == "Coût"
    actions = db.session().scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("reason.created") == 2 and "reason.renamed" in actions


@pytest.mark.parametrize(
    ("label_en", "label_fr", "field"),
    [
        ("", "Matériel", "label_en"),
        ("Hardware", "   ", "label_fr"),
        ("price", "Tarif", "label_en"),
        ("Cost", "PRIX", "label_fr"),
        ("x" * 81, "Matériel", "label_en"),
    ],
)
def test_empty_long_or_duplicate_labels_are_refused(
    app: Flask, label_en: str, label_fr: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        taxonomy.create_tag(label_en, label_fr)
    assert error.value.field == field
    with pytest.raises(InvalidInput):
        taxonomy.rename_tag(reason("billing").id, label_en, label_fr)
    assert reason("billing").label_en == "Billing"


def test_keywords_are_checked(app: Flask) -> None:
    loyalty = gen_reason("Loyalty", "Fidélité", ("en", "loyalty points"))
    for language, phrase, message in [
        ("en", "?!…", "punctuation"),
        ("en", "😀", "punctuation"),
        ("en", "", "punctuation"),
        ("de", "treue", "English or French"),
        ("en", "Loyalty  POINTS", "already a keyword"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            taxonomy.add_keyword(loyalty.id, language, phrase)
    # The same words in the other language are another keyword.
    taxonomy.add_keyword(loyalty.id, "fr", "loyalty points")
    assert db.session().scalar(sa.select(sa.func.count(ReasonKeyword.id))) == 2


def test_a_custom_keyword_tags_new_texts_in_english_and_french(app: Flask) -> None:
    gen_reason(
        "Loyalty programme",
        "Programme de fidélité",
        ("en", "loyalty points"),
        ("fr", "points de fidélité"),
    )
    taxonomy.add_keyword(reason("billing").id, "en", "direct debit")
    survey = factories.gen_survey("nps")

    english = gen_tagged_response(survey, "They took away my loyalty points", score=3)
    french = gen_tagged_response(
        survey, "Vous avez supprimé mes points de fidelite", score=2, language="fr"
    )
    negated = gen_tagged_response(survey, "No problem with the loyalty points", score=3)
    debit = gen_tagged_response(survey, "The direct debit went out twice", score=3)

    assert set(stored_tags(english.id)) == {"loyalty_programme"}
    assert stored_tags(english.id)["loyalty_programme"].words == ["loyalty", "points"]
    assert set(stored_tags(french.id)) == {"loyalty_programme"}
    assert stored_tags(negated.id) == {}
    assert "billing" in stored_tags(debit.id)


def test_a_retired_reason_is_hidden_but_kept_and_comes_back(
    app: Flask, client: FlaskClient
) -> None:
    survey = factories.gen_survey("nps")
    first = gen_tagged_response(survey, "Far too expensive and support never answered", score=2)
    assert shares(survey.id) == {"price": 1, "support": 1}
    price = reason("price")

    taxonomy.retire_tag(price.id)

    assert shares(survey.id) == {"support": 1}
    assert "price" in stored_tags(first.id)
    headers = bearer(api_keys.create_api_key("reader", "read")[1])
    body = client.get(f"/api/v1/surveys/{survey.id}/reasons", headers=headers).json
    assert [row["tag"] for row in body["rows"]] == ["support"]
    listed = client.get(f"/api/v1/surveys/{survey.id}/responses", headers=headers).json
    assert listed["items"][0]["tags"] == ["support"]
    # No new tagging with it.
    second = gen_tagged_response(survey, "Way too expensive", score=1)
    assert stored_tags(second.id) == {}
    with pytest.raises(InvalidInput):
        taxonomy.retire_tag(price.id)

    taxonomy.restore_tag(price.id)

    assert shares(survey.id) == {"price": 1, "support": 1}
    with pytest.raises(InvalidInput):
        taxonomy.restore_tag(price.id)


def test_merging_moves_tags_corrections_and_keywords_and_keeps_manual_ones(app: Flask) -> None:
    editor = factories.gen_user("editor")
    survey = factories.gen_survey("nps")
    both = gen_tagged_response(survey, "Too expensive, and the invoice was wrong", score=2)
    only_price = gen_tagged_response(survey, "Way too expensive", score=3)
    support = gen_tagged_response(survey, "Support never answered", score=3)
    assert set(stored_tags(both.id)) == {"price", "billing"}
    correct(support.id, {"support", "price"}, editor)  # a manual "price"
    taxonomy.add_keyword(reason("price").id, "en", "tariff")

    target = taxonomy.merge_tag(reason("price").id, reason("billing").id)

    assert target.code == "billing"
    assert reason("price").status == "merged" and reason("price").merged_into_id == target.id
    assert set(stored_tags(both.id)) == {"billing"}
    assert stored_tags(only_price.id)["billing"].source == "rule"
    assert stored_tags(support.id)["billing"].source == "manual"
    assert set(stored_tags(support.id)) == {"support", "billing"}
    assert db.session().scalars(sa.select(TagCorrection.tag)).all() == ["billing"]
    assert [k.phrase for k in reason("billing").keywords] == ["tariff"]
    # The built-in price rules now count for billing.
    later = gen_tagged_response(survey, "Much too expensive", score=1)
    assert set(stored_tags(later.id)) == {"billing"}
    assert shares(survey.id)["billing"] == 4


def test_merging_into_itself_or_a_retired_reason_is_refused(app: Flask) -> None:
    price, billing, other = reason("price"), reason("billing"), reason("other")
    taxonomy.retire_tag(other.id)
    for target, message in [
        (price.id, "itself"),
        (other.id, "not active"),
        (None, "Choose"),
        (99999, "Choose"),
    ]:
        with pytest.raises(InvalidInput, match=message) as error:
            taxonomy.merge_tag(price.id, target)
        assert error.value.field == "target"
    taxonomy.merge_tag(price.id, billing.id)
    with pytest.raises(InvalidInput, match="not active"):
        taxonomy.merge_tag(reason("support").id, price.id)
    assert reason("price").status == "merged"


def test_a_retired_tag_stays_in_answer_tags(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "The app crashes all the time", score=2)
    taxonomy.retire_tag(reason("bugs_reliability").id)
    rows = db.session().scalars(
        sa.select(AnswerTag.tag).where(AnswerTag.answer_id == comment_of(response.id).id)
    )
    assert list(rows) == ["bugs_reliability"]
