"""PRODUCT.md § Anonymity, checked on every stored row: a real submission through the test
client, then every table, the captured logs and the outbox are searched for a way back to
the person."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.logging import JsonFormatter
from surveyapp.models import Base, OutboxMessage, Response
from tests import factories, factories_enps

SPY_AGENT = "SpyAgent/9.9 (fingerprint)"
SPY_ADDRESS = "203.0.113.77"


def _all_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain dicts, read fresh from the database."""
    session = db.session()
    session.expire_all()
    return {
        table.name: [dict(row._mapping) for row in session.execute(sa.select(table))]
        for table in Base.metadata.sorted_tables
    }


def _texts(value: Any) -> list[str]:
    """Every text inside a cell (JSON cells are searched too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.items() for part in item for text in _texts(part)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return [str(value)] if value is not None else []


def test_an_anonymous_submission_leaves_no_path_back_to_the_person(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    factories_enps.gen_reportable("team", "location")
    survey = factories.gen_survey("enps")
    assert survey.anonymous
    employee = factories.gen_contact(
        "zoe.martin@example.com",
        attributes={"team": "qa", "location": "Lyon", "nickname": "Zed", "badge": "B-4471"},
    )
    invitation = factories.gen_invitation(survey, employee)
    main = survey.main_question
    text = next(question for question in survey.questions if question.type == "text")
    assert main is not None
    before = _all_rows()
    outbox_before = len(before[OutboxMessage.__tablename__])
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    environ = {"REMOTE_ADDR": SPY_ADDRESS, "HTTP_USER_AGENT": SPY_AGENT}

    with caplog.at_level(logging.DEBUG):
        opened = client.get(f"/s/{invitation.token}", environ_base=environ)
        key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', opened.get_data(as_text=True))
        data = {f"q{main.id}": "2", f"q{text.id}": "My manager in QA ignores every idea"}
        if key is not None:
            data["submission_key"] = key.group(1)
        posted = client.post(f"/s/{invitation.token}", data=data, environ_base=environ)
    assert posted.status_code == 302

    rows = _all_rows()
    [response] = rows[Response.__tablename__]
    # No link from the response to the invitation or the contact.
    assert response["invitation_id"] is None and response["contact_id"] is None
    # Only the reportable attributes are copied: groups, never the person's own values.
    assert response["segment"] == {"team": "qa", "location": "Lyon"}
    secrets = {
        invitation.token,
        SPY_AGENT,
        SPY_ADDRESS,
        "Zed",
        "B-4471",
        *([response["submission_key"]] if response["submission_key"] else []),
    }
    for name, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                # Timestamps written by the submission are truncated to the day, in every table.
                if isinstance(value, dt.datetime):
                    naive = value.replace(tzinfo=None)
                    if naive >= started:
                        assert naive.time() == dt.time(0), (name, column, value)
                # The invitation and the contact keep their own token, email and attributes;
                # nothing else may repeat them, and nothing may hold the client's address.
                if name in ("invitations", "contacts") and column in ("token", "attributes"):
                    continue
                if name == "responses" and column == "submission_key":
                    continue
                for text_value in _texts(value):
                    for secret in secrets:
                        assert secret not in text_value, (name, column)
                    if name not in ("contacts", "outbox_messages", "invitations"):
                        assert employee.email not in text_value, (name, column)
    # Which response an invitation produced cannot be read from any other row either: rows
    # about the response name no invitation or contact, and no row names the invitation
    # but the invitation itself.
    for name, table_rows in rows.items():
        for row in table_rows:
            if row.get("response_id") == response["id"]:
                assert row.get("invitation_id") is None and row.get("contact_id") is None, name
            if name != "invitations":
                assert row.get("invitation_id") != invitation.id, name
    answered = next(row for row in rows["invitations"] if row["id"] == invitation.id)
    assert answered["status"] == "answered"
    assert answered["answered_at"].time() == dt.time(0)
    # An anonymous detractor opens no case and queues no alert (its minute would show).
    assert rows["cases"] == [] and rows["alerts"] == []
    assert len(rows[OutboxMessage.__tablename__]) == outbox_before

    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [JsonFormatter().format(record) for record in caplog.records]
    )
    for secret in secrets:
        assert secret not in logged
    assert "/s/<token>" in logged or "/s/…" in logged or not logged
