"""Emails rendered once per survey still carry each recipient's own name, token and links."""

from __future__ import annotations

import doctest
import email
import email.policy

from flask import Flask

from surveyapp.mail import compose
from surveyapp.mail.compose import EmailBuilder, build_case_reply_email
from surveyapp.mail.transport import OutgoingEmail
from surveyapp.services import invitations as invitation_service
from tests import factories
from tests.factories_distribution import html_part, text_part


def _parsed(message: OutgoingEmail) -> email.message.EmailMessage:
    return email.message_from_bytes(message.data, policy=email.policy.default)  # type: ignore[return-value]


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


def test_the_bytes_are_a_well_formed_multipart_message_with_encoded_names(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    survey.settings = {**survey.settings, "company": "Société Générale d’Équipement Ünïcode"}
    contact = factories.gen_contact("zoe@example.com", language="fr")
    contact.name = "Zoé\r\nBcc: victim@example.com Ångström-Łukasiewicz " * 3
    invitation = factories.gen_invitation(survey, contact)
    invitation.language = "fr"
    loaded = invitation_service.load_for_sending([invitation.id])

    outgoing = EmailBuilder().build(loaded[invitation.id])
    parsed = _parsed(outgoing)

    assert (outgoing.sender, outgoing.recipient) == ("surveys@localhost", "zoe@example.com")
    lines = outgoing.data.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 998
    assert outgoing.data.isascii()
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Bcc"] is None  # a line break in a name cannot add a header
    [to] = parsed["To"].addresses
    assert to.addr_spec == "zoe@example.com"
    assert to.display_name.startswith("Zoé Bcc: victim@example.com Ångström-Łukasiewicz")
    [sender] = parsed["From"].addresses
    assert sender.display_name == "Société Générale d’Équipement Ünïcode"
    assert sender.addr_spec == "surveys@localhost"
    assert "Société Générale" in parsed["Subject"]
    assert parsed["Content-Language"] == "fr"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe"] == f"<http://surveys.test/u/{invitation.token}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"].endswith("@localhost>")
    assert parsed["Date"].datetime is not None
    assert [part.get_content_type() for part in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert "Ångström" in text_part(parsed)
    assert f'href="http://surveys.test/s/{invitation.token}?score=7"' in html_part(parsed)


def test_case_replies_carry_reply_to_and_no_unsubscribe_headers(app: Flask) -> None:
    outgoing = build_case_reply_email(
        {
            "to": "client@example.com",
            "name": "Renée",
            "subject": "À propos de votre réponse",
            "body": "Merci.\n\nNous vous rappelons.",
            "language": "fr",
            "reply_to": "agent@acme.test",
        }
    )
    parsed = _parsed(outgoing)
    assert parsed["Subject"] == "À propos de votre réponse"
    assert parsed["To"].addresses[0].display_name == "Renée"
    assert parsed["Reply-To"] == "agent@acme.test"
    assert parsed["List-Unsubscribe"] is None
    assert "Nous vous rappelons." in text_part(parsed)


def test_doctests() -> None:
    failures, _tests = doctest.testmod(compose)
    assert failures == 0


def test_the_longest_name_and_subject_still_fit_on_lines_of_998(app: Flask) -> None:
    outgoing = build_case_reply_email(
        {"to": "c@example.com", "name": "𝔘" * 200, "subject": "Été " * 200, "body": "x"}
    )
    assert max(len(line) for line in outgoing.data.split(b"\r\n")) <= 998
    parsed = _parsed(outgoing)
    assert parsed["To"].addresses[0].addr_spec == "c@example.com"
    assert parsed["Subject"] == "Été " * 200
