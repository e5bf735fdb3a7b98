"""The OpenAPI document matches the code: every route described, and fuzzed responses conform.

schemathesis generates requests from the document (a bounded, deterministic
number per operation) and checks that none gets a 5xx and that every answer
has a documented status, content type and body shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from surveyapp.web.api.openapi import OPERATIONS, document
from tests import factories
from tests.conftest import make_test_app

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _api_rules(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule.removeprefix("/api/v1"), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_api_route_is_in_the_document_and_nothing_else() -> None:
    app = make_test_app("sqlite://")
    spec = document(app)
    described = {
        (path.replace("{survey_id}", "<int:survey_id>"), method.upper())
        for path, methods in spec["paths"].items()
        for method in methods
    }
    assert described == _api_rules(app)
    assert len(OPERATIONS) == len(described)
    app.extensions["surveyapp.engine"].dispose()


def test_an_undescribed_route_breaks_the_document() -> None:
    app = make_test_app("sqlite://")
    app.add_url_rule("/api/v1/secret", "api.secret", lambda: "", methods=["GET"])
    with pytest.raises(LookupError, match="not described"):
        document(app)
    app.extensions["surveyapp.engine"].dispose()


def test_the_document_is_served_and_the_docs_page_renders_it(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    assert spec["paths"]["/surveys/{survey_id}/metrics"]["get"]["x-scope"] == "read"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path, methods in spec["paths"].items():
        for method in methods:
            assert f"{method.upper()} /api/v1{path}" in html


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzed_requests_get_documented_answers_and_no_server_error(
    app: Flask, write_headers: dict[str, str], mode: GenerationMode
) -> None:
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    survey_ids = [factories.gen_survey("nps", status="active").id]
    for result in api.get_all_operations():
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and not (
            operation.query or operation.body or operation.path_parameters
        ):
            # Nothing in the request can be made invalid.
            continue

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            survey_id = case.path_parameters.get("survey_id") if case.path_parameters else None
            if isinstance(survey_id, int) and survey_id % 2 == 0:
                # Half the cases aim at a real survey, so the views past the 404 are fuzzed too.
                case.path_parameters["survey_id"] = survey_ids[0]
            case.call_and_validate(headers=write_headers, checks=CHECKS)

        run()
