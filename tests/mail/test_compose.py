"""Emails rendered once per survey still carry each recipient's own name, token and links."""

from __future__ import annotations

import email
import email.policy

from flask import Flask

from surveyapp.mail.compose import EmailBuilder
from surveyapp.services import invitations as invitation_service
from tests import factories
from tests.factories_distribution import html_part, text_part


def _parsed(message: object) -> email.message.EmailMessage:
    raw = message.as_bytes()  # type: ignore[attr-defined]
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_each_recipient_gets_their_own_name_token_and_escaping(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    zoe = factories.gen_contact("zoe@example.com", language="fr")
    zoe.name = "Zoé <b>Martin</b>"
    sam = factories.gen_contact("sam@example.com", language="fr")
    sam.name = ""
    first = factories.gen_invitation(survey, zoe)
    second = factories.gen_invitation(survey, sam)
    first.language = second.language = "fr"
    loaded = invitation_service.load_for_sending([first.id, second.id])

    builder = EmailBuilder()
    to_zoe = _parsed(builder.build(loaded[first.id]))
    to_sam = _parsed(builder.build(loaded[second.id]))

    assert to_zoe["To"].addresses[0].display_name == "Zoé <b>Martin</b>"
    assert "Zoé &lt;b&gt;Martin&lt;/b&gt;" in html_part(to_zoe)
    assert "<b>Martin</b>" not in html_part(to_zoe)
    assert "Zoé <b>Martin</b>" in text_part(to_zoe)
    assert f"/s/{first.token}?score=10" in html_part(to_zoe)
    assert first.token not in html_part(to_sam) + text_part(to_sam)
    assert f"/s/{second.token}?score=0" in html_part(to_sam)
    assert f"/u/{second.token}" in to_sam["List-Unsubscribe"]
    assert "\x00" not in html_part(to_sam) + text_part(to_sam) + html_part(to_zoe)
    assert "Bonjour" in text_part(to_sam)
