"""The reasons pages through the test client: the taxonomy, correcting a comment, re-tagging."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Case
from surveyapp.services import retagging, taxonomy
from tests import factories
from tests.factories_enps import hr
from tests.factories_reasons import gen_tagged_response, stored_tags
from tests.factories_taxonomy import comment_of, reason, run_retag
from tests.web.test_dashboard_reasons import page, reason_cells


def text(response) -> str:
    return response.get_data(as_text=True)


def test_viewers_read_the_reasons_without_forms(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    html = text(client.get("/reasons"))
    assert "Bugs and reliability" in html and "<code>bugs_reliability</code>" in html
    assert 'action="/reasons"' not in html and "/reasons/retag" not in html
    edit = text(client.get(f"/reasons/{reason('price').id}"))
    assert "Prix" in edit and 'name="action"' not in edit
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav is not None and 'href="/reasons"' in nav.group(1)


def test_an_editor_adds_a_reason_and_bad_input_keeps_what_was_typed(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    response = client.post("/reasons", data={"label_en": "Billing", "label_fr": "Ma fiche"})
    assert response.status_code == 400
    html = text(response)
    assert "Another reason is already called “Billing”." in html
    assert 'value="Ma fiche"' in html
    response = client.post("/reasons", data={"label_en": "   ", "label_fr": "Matériel"})
    assert response.status_code == 400 and "Give the reason a name." in text(response)
    assert 'value="Matériel"' in text(response)

    response = client.post("/reasons", data={"label_en": "Hardware", "label_fr": "Matériel"})

    assert response.status_code == 302
    tag = reason("hardware")
    assert response.headers["Location"] == f"/reasons/{tag.id}"
    assert "Matériel" in text(client.get(f"/reasons/{tag.id}"))


def test_keywords_rename_merge_and_retire_from_the_reason_page(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    price = reason("price")
    url = f"/reasons/{price.id}"

    response = client.post(
        url, data={"action": "keyword", "keyword-language": "fr", "keyword-phrase": "?!"}
    )
    assert response.status_code == 400
    assert "punctuation and emoji alone match nothing" in text(response)
    assert 'value="?!"' in text(response)

    response = client.post(
        url, data={"action": "keyword", "keyword-language": "fr", "keyword-phrase": "Hors de prix"}
    )
    assert response.status_code == 302
    html = text(client.get(url))
    assert "Hors de prix" in html and "Re-tag history to apply it to past comments." in html
    keyword = reason("price").keywords[0]
    assert client.post(f"{url}/keywords/{keyword.id}/delete").status_code == 302
    assert reason("price").keywords == []

    response = client.post(
        url, data={"action": "rename", "rename-label_en": "Cost", "rename-label_fr": ""}
    )
    assert response.status_code == 400 and 'value="Cost"' in text(response)
    client.post(
        url, data={"action": "rename", "rename-label_en": "Cost", "rename-label_fr": "Coût"}
    )
    assert reason("price").label_en == "Cost" and reason("price").code == "price"

    response = client.post(url, data={"action": "merge", "merge-target": str(price.id)})
    assert response.status_code == 400
    assert "A reason cannot be merged into itself." in text(response)
    other = reason("other")
    taxonomy.retire_tag(other.id)
    response = client.post(url, data={"action": "merge", "merge-target": str(other.id)})
    assert response.status_code == 400 and "is not active" in text(response)

    response = client.post(url, data={"action": "retire"})
    assert response.status_code == 302 and reason("price").status == "retired"
    response = client.post(url, data={"action": "retire"})
    assert response.status_code == 400 and "Only an active reason can be retired." in text(response)
    client.post(url, data={"action": "restore"})
    assert reason("price").status == "active"

    billing = reason("billing")
    response = client.post(url, data={"action": "merge", "merge-target": str(billing.id)})
    assert response.headers["Location"] == "/reasons"
    assert reason("price").status == "merged"
    assert 'data-reason="price" class="reason-merged"' in text(client.get("/reasons"))


def test_a_retired_reason_leaves_the_results_page_and_comes_back(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "Way too expensive", score=1)
    gen_tagged_response(survey, "Support never answered my tickets", score=5)
    taxonomy.rename_tag(reason("support").id, "Help desk", "Assistance")
    html = page(client, survey.id)
    assert reason_cells(html, "price")[0] == "Price"
    assert reason_cells(html, "support")[0] == "Help desk"

    taxonomy.retire_tag(reason("price").id)

    html = page(client, survey.id)
    assert 'data-reason="price"' not in html and 'data-reason="support"' in html
    assert 'data-verbatims="price"' not in page(client, survey.id, "?reason=price")
    export = text(client.get(f"/surveys/{survey.id}/export.csv"))
    assert "price" not in export.split("\n", 1)[1]

    taxonomy.restore_tag(reason("price").id)
    assert 'data-reason="price"' in page(client, survey.id)
    assert "price" in text(client.get(f"/surveys/{survey.id}/export.csv")).split("\n", 1)[1]


def test_a_comment_is_corrected_from_the_results_page(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "Way too expensive <b>really</b>", score=1)
    answer_id = comment_of(response.id).id
    html = page(client, survey.id, "?reason=price")
    link = re.search(rf'href="(/answers/{answer_id}/tags\?next=[^"]+)"', html)
    assert link is not None

    form = text(client.get(link.group(1).replace("&amp;", "&")))
    assert "Way too expensive &lt;b&gt;really&lt;/b&gt;" in form
    assert re.search(r'<input checked[^>]*value="price"', form) or re.search(
        r'value="price"[^>]*checked', form
    )

    next_url = f"/surveys/{survey.id}/results?reason=price"
    saved = client.post(
        f"/answers/{answer_id}/tags", data={"tags": ["support", "billing"], "next": next_url}
    )
    assert saved.status_code == 302 and saved.headers["Location"] == next_url
    assert set(stored_tags(response.id)) == {"support", "billing"}
    history = text(client.get(f"/answers/{answer_id}/tags"))
    assert "Removed “Price”" in history and "Added “Billing”" in history
    # The export shows the corrected tags, as the dashboards count them.
    row = text(client.get(f"/surveys/{survey.id}/export.csv")).splitlines()[1]
    assert set(row.rsplit(",", 1)[1].split("; ")) == {"support", "billing"}

    # A foreign "next" is ignored.
    saved = client.post(
        f"/answers/{answer_id}/tags", data={"tags": ["support"], "next": "//evil.example/"}
    )
    assert saved.headers["Location"] == f"/answers/{answer_id}/tags"
    bad = client.post(f"/answers/{answer_id}/tags", data={"tags": ["nonsense"]})
    assert bad.status_code == 400
    assert client.get("/answers/999999/tags").status_code == 404


def test_the_reasons_dashboard_links_each_comment_to_its_correction(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "Way too expensive", score=1)
    answer_id = comment_of(response.id).id
    login("viewer")
    assert f"/answers/{answer_id}/tags" not in text(
        client.get(f"/surveys/{survey.id}/reasons?reason=price")
    )
    client.post("/logout")
    login("editor")
    assert f"/answers/{answer_id}/tags" in text(
        client.get(f"/surveys/{survey.id}/reasons?reason=price")
    )


def test_comments_of_anonymous_surveys_are_not_corrected_one_by_one(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("enps", anonymous=True)
    response = gen_tagged_response(survey, "Way too expensive", score=2)
    answer_id = comment_of(response.id).id
    assert client.get(f"/answers/{answer_id}/tags").status_code == 404
    assert client.post(f"/answers/{answer_id}/tags", data={"tags": []}).status_code == 404


def test_only_hr_corrects_the_comments_of_an_enps_survey(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    editor = login("editor")
    survey = factories.gen_survey("enps", anonymous=False)
    response = gen_tagged_response(survey, "Way too expensive", score=2)
    answer_id = comment_of(response.id).id
    assert client.get(f"/answers/{answer_id}/tags").status_code == 404
    assert client.post(f"/answers/{answer_id}/tags", data={"tags": []}).status_code == 404
    hr(editor)
    assert client.get(f"/answers/{answer_id}/tags").status_code == 200


def test_the_case_page_links_to_the_correction_of_its_comment(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "Support never answered", score=2)

    case_id = db.session().scalar(sa.select(Case.id).where(Case.response_id == response.id))
    html = text(client.get(f"/cases/{case_id}"))
    assert f"/answers/{comment_of(response.id).id}/tags" in html


def test_retag_history_shows_a_progress_bar_and_json(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "The widget again", score=2)
    gen_tagged_response(survey, "The widget, again", score=2)
    hardware = taxonomy.create_tag("Hardware", "Matériel")
    taxonomy.add_keyword(hardware.id, "en", "widget")
    assert "The reasons changed since the last re-tag." in text(client.get("/reasons"))

    response = client.post("/reasons/retag")

    job = retagging.latest_job()
    assert job is not None and response.headers["Location"] == f"/reasons/jobs/{job.id}"
    html = text(client.get(f"/reasons/jobs/{job.id}"))
    assert '<progress id="retag-progress" max="2" value="0">' in html
    assert 'http-equiv="refresh"' in html and "js/retag.js" in html
    progress = client.get(f"/reasons/jobs/{job.id}/progress").json
    assert progress["status"] == "queued" and progress["finished"] is False
    assert progress["summary"] == "0 of 2 comments (0 %), 0 changed."

    retagging.run_batch("w1", batch_size=1)
    progress = client.get(f"/reasons/jobs/{job.id}/progress").json
    assert (progress["done"], progress["percent"], progress["status"]) == (1, 50, "running")
    run_retag("w1")

    html = text(client.get(f"/reasons/jobs/{job.id}"))
    assert '<progress id="retag-progress" max="2" value="2">' in html
    assert "refresh" not in html and "js/retag.js" not in html and "Done." in html
    assert "2 of 2 comments (100 %), 2 changed." in html
    assert "The reasons changed since the last re-tag." not in text(client.get("/reasons"))
    assert client.get("/reasons/jobs/999/progress").status_code == 404
