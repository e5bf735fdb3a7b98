"""Invitations: who gets a survey, throttling, the outbox rows, unsubscribing, and delivery status.

Inviting never sends anything: it writes the invitations and one outbox row
each in the same transaction, and the worker sends them. The same planning
code answers the send screen's preview, so the numbers shown before sending
are the rules that apply when sending.

Contacts are held back, with a reason code, when their address is not valid
(``invalid_email``), they unsubscribed (``unsubscribed``), they were already
invited to this survey (``already_invited``), they were invited to any survey
within ``THROTTLE_DAYS`` days (``throttled``), or a given contact id does not
exist (``unknown_contact``).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.mail import outbox
from surveyapp.models import Contact, Invitation, Survey, utcnow
from surveyapp.models.invitation import INVITATION_STATUSES
from surveyapp.services import audit, contacts
from surveyapp.services.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "HELD_BACK_REASONS",
    "MAX_EMAILS",
    "InviteResult",
    "failure_reasons",
    "get_invitation_by_token",
    "invite_contacts",
    "list_invitations",
    "load_for_sending",
    "parse_email_list",
    "preview_invitations",
    "resubscribe",
    "status_counts",
    "unsubscribe",
]

HELD_BACK_REASONS = (
    "invalid_email",
    "unknown_contact",
    "unsubscribed",
    "already_invited",
    "throttled",
)
# A pasted or uploaded list longer than this is refused rather than half processed.
MAX_EMAILS = 50_000
MAX_EMAIL_LENGTH = 320
# Keeps every IN (…) list far below SQLite's limit on bound parameters.
_CHUNK = 1000
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class InviteResult:
    """How many invitations were (or would be) queued, and who was held back and why."""

    queued: int
    held_back: list[tuple[str, str]] = field(default_factory=list)

    def held_back_counts(self) -> dict[str, int]:
        """Reason code -> number of contacts held back for it, in HELD_BACK_REASONS order."""
        counts = Counter(reason for _email, reason in self.held_back)
        return {reason: counts[reason] for reason in HELD_BACK_REASONS if counts[reason]}


@dataclass
class _Plan:
    survey: Survey
    existing: list[Contact]
    new_emails: list[str]
    held_back: list[tuple[str, str]]


def parse_email_list(text: str) -> list[str]:
    """Split pasted text into addresses: commas, semicolons, spaces or new lines separate them.

    >>> parse_email_list("a@example.com, b@example.com;\\nc@example.com  ")
    ['a@example.com', 'b@example.com', 'c@example.com']
    """
    return [part for part in _SEPARATORS.split(text or "") if part]


def preview_invitations(
    survey_id: int,
    *,
    contact_ids: Sequence[int] | None = None,
    emails: Sequence[str] | None = None,
    segment: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> InviteResult:
    """What invite_contacts would do with the same arguments, without writing anything.

    Raises NotFound, Conflict (the survey is not active) and InvalidInput.
    """
    plan = _plan(survey_id, contact_ids, emails, segment, now or utcnow())
    db.session().rollback()
    return InviteResult(len(plan.existing) + len(plan.new_emails), plan.held_back)


def invite_contacts(
    survey_id: int,
    *,
    contact_ids: Sequence[int] | None = None,
    emails: Sequence[str] | None = None,
    segment: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    wave_id: int | None = None,
) -> InviteResult:
    """Queue one invitation per eligible contact, with its outbox row, in one transaction.

    Give at most one of ``contact_ids``, ``emails`` (unknown addresses become
    new contacts) or ``segment`` (attribute -> value, all must match); none
    means every contact. A pulse wave (``wave_id``) invites again everyone who
    was invited to earlier waves and is exempt from throttling: the people
    asked expect their regular pulse. Raises NotFound, Conflict (the survey is
    not active) and InvalidInput (several audiences, or too many addresses).
    """
    now = now or utcnow()
    plan = _plan(survey_id, contact_ids, emails, segment, now, wave_id)
    session = db.session()
    new_contacts = [Contact(email=email, name="") for email in plan.new_emails]
    if new_contacts:
        session.add_all(new_contacts)
        session.flush()
    survey = plan.survey
    invited = [*plan.existing, *new_contacts]
    if invited:
        invitation_ids = _insert_invitations(
            survey,
            [contact.id for contact in invited],
            [_language_for(survey, contact.language) for contact in invited],
            now,
            wave_id,
        )
        outbox.enqueue_many("invitation", invitation_ids, now=now)
    audit.record(None, "invitations.queued", survey, {"queued": len(invited)})
    session.commit()
    return InviteResult(len(invited), plan.held_back)


def _insert_invitations(
    survey: Survey,
    contact_ids: Sequence[int],
    languages: Sequence[str],
    now: dt.datetime,
    wave_id: int | None,
) -> list[int]:
    """Insert one queued invitation per contact (no commit); their ids."""
    session = db.session()
    tokens = [secrets.token_urlsafe(32) for _ in contact_ids]
    if session.get_bind().dialect.name == "postgresql":
        # One array per column instead of a multi-row VALUES list: psycopg parses a statement
        # of eight parameters per row for every thousand rows, which cost more than the insert.
        new = (
            sa.func.unnest(
                sa.literal(list(contact_ids), sa.ARRAY(sa.Integer)),
                sa.literal(tokens, sa.ARRAY(sa.String)),
                sa.literal(list(languages), sa.ARRAY(sa.String)),
            )
            .table_valued("contact_id", "token", "language")
            .render_derived()
        )
        columns = ("survey_id", "contact_id", "token", "status", "language", "created_at")
        statement = (
            sa.insert(Invitation)
            .from_select(
                [*columns, "reminders_sent", "wave_id"],
                sa.select(
                    sa.literal(survey.id, sa.Integer),
                    new.c.contact_id,
                    new.c.token,
                    sa.literal("queued", sa.String),
                    new.c.language,
                    sa.literal(now, Invitation.created_at.type),
                    sa.literal(0, sa.Integer),
                    sa.literal(wave_id, sa.Integer),
                ).select_from(new),
            )
            .returning(Invitation.id)
        )
        return list(session.scalars(statement))
    rows = [
        {
            "survey_id": survey.id,
            "contact_id": contact_id,
            "token": token,
            "status": "queued",
            "language": language,
            "created_at": now,
            "reminders_sent": 0,
            "wave_id": wave_id,
        }
        for contact_id, token, language in zip(contact_ids, tokens, languages, strict=True)
    ]
    return list(session.scalars(sa.insert(Invitation).returning(Invitation.id), rows))


def get_invitation_by_token(token: str) -> Invitation:
    """The invitation of ``token`` with its contact and survey. Raises NotFound."""
    invitation = db.session().scalar(
        sa.select(Invitation)
        .where(Invitation.token == token)
        .options(so.joinedload(Invitation.contact), so.joinedload(Invitation.survey))
    )
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation


def unsubscribe(token: str) -> Contact:
    """Unsubscribe the contact an invitation was sent to; doing it twice changes nothing.

    Every later send and reminder skips the contact until resubscribe().
    Raises NotFound for an unknown token.
    """
    contact = get_invitation_by_token(token).contact
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = utcnow()
    db.session().commit()
    return contact


def resubscribe(contact_id: int) -> Contact:
    """Subscribe a contact again, on their or an editor's explicit request. Raises NotFound."""
    contact = db.session().get(Contact, contact_id)
    if contact is None:
        raise NotFound(_("No such contact."))
    contact.unsubscribed_at = None
    db.session().commit()
    return contact


def status_counts(survey_id: int) -> dict[str, int]:
    """Invitation status -> count for a survey, every status present (zero when none)."""
    rows = db.session().execute(
        sa.select(Invitation.status, sa.func.count(Invitation.id))
        .where(Invitation.survey_id == survey_id)
        .group_by(Invitation.status)
    )
    counts = dict.fromkeys(INVITATION_STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def failure_reasons(survey_id: int) -> list[tuple[str, int]]:
    """Each failure reason of a survey's invitations with its count, most frequent first."""
    count = sa.func.count(Invitation.id)
    rows = db.session().execute(
        sa.select(Invitation.failure_reason, count)
        .where(Invitation.survey_id == survey_id, Invitation.status == "failed")
        .group_by(Invitation.failure_reason)
        .order_by(count.desc(), Invitation.failure_reason)
    )
    return [(reason or "", n) for reason, n in rows]


def list_invitations(
    survey_id: int, *, status: str | None = None, limit: int = 200
) -> list[Invitation]:
    """A survey's invitations with their contacts, newest first; ``status`` filters.

    Raises InvalidInput for an unknown status.
    """
    query = (
        sa.select(Invitation)
        .where(Invitation.survey_id == survey_id)
        .options(so.joinedload(Invitation.contact))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    if status is not None:
        if status not in INVITATION_STATUSES:
            raise InvalidInput(_("Unknown status %(status)r.", status=status), "status")
        query = query.where(Invitation.status == status)
    return list(db.session().scalars(query))


def load_for_sending(invitation_ids: Iterable[int]) -> dict[int, Invitation]:
    """Invitations by id with their contact, survey and questions, ready to be rendered.

    Ends the read transaction, so the worker's next write starts a fresh one.
    """
    session = db.session()
    found: dict[int, Invitation] = {}
    ids = sorted(set(invitation_ids))
    for start in range(0, len(ids), _CHUNK):
        for invitation in session.scalars(
            sa.select(Invitation)
            .where(Invitation.id.in_(ids[start : start + _CHUNK]))
            .options(
                so.joinedload(Invitation.contact),
                so.joinedload(Invitation.survey).selectinload(Survey.questions),
            )
        ).unique():
            found[invitation.id] = invitation
    session.commit()
    return found


def _plan(
    survey_id: int,
    contact_ids: Sequence[int] | None,
    emails: Sequence[str] | None,
    segment: Mapping[str, str] | None,
    now: dt.datetime,
    wave_id: int | None = None,
) -> _Plan:
    """Who would be invited and who held back, writing nothing.

    Raises NotFound, Conflict and InvalidInput.
    """
    survey = db.session().get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("No such survey."))
    if survey.status != "active":
        raise Conflict(_("Activate the survey before sending invitations."))
    audiences = [value for value in (contact_ids, emails, segment) if value is not None]
    if len(audiences) > 1:
        raise InvalidInput(_("Choose one audience: contacts, email addresses or a segment."))

    held_back: list[tuple[str, str]] = []
    new_emails: list[str] = []
    if emails is not None:
        candidates, new_emails = _from_emails(emails, held_back)
    elif contact_ids is not None:
        candidates = _from_ids(contact_ids, held_back)
    else:
        query = sa.select(Contact).order_by(Contact.id)
        if segment:
            # Filtered in SQL with the attributes' declared types (numbers compare as numbers).
            query = query.where(contacts.segment_filter(segment))
        candidates = list(db.session().scalars(query))

    already = _invited_to(survey.id, wave_id)
    throttle_days = 0 if wave_id is not None else int(current_app.config["THROTTLE_DAYS"])
    recent = _invited_since(now - dt.timedelta(days=throttle_days)) if throttle_days > 0 else set()
    eligible: list[Contact] = []
    for contact in candidates:
        if _valid_email(contact.email) is None:
            held_back.append((contact.email, "invalid_email"))
        elif contact.unsubscribed_at is not None:
            held_back.append((contact.email, "unsubscribed"))
        elif contact.id in already:
            held_back.append((contact.email, "already_invited"))
        elif contact.id in recent:
            held_back.append((contact.email, "throttled"))
        else:
            eligible.append(contact)
    return _Plan(survey, eligible, new_emails, held_back)


def _from_emails(
    emails: Sequence[str], held_back: list[tuple[str, str]]
) -> tuple[list[Contact], list[str]]:
    """Known contacts and new valid addresses, in the order given; invalid ones held back."""
    if len(emails) > MAX_EMAILS:
        raise InvalidInput(_("Send to at most %(n)s addresses at a time.", n=MAX_EMAILS), "emails")
    wanted: list[str] = []
    for raw in emails:
        text = (raw or "").strip()
        if not text:
            continue
        address = _valid_email(text)
        if address is None:
            held_back.append((text, "invalid_email"))
        else:
            wanted.append(address)
    wanted = list(dict.fromkeys(wanted))
    known: dict[str, Contact] = {}
    session = db.session()
    for start in range(0, len(wanted), _CHUNK):
        for contact in session.scalars(
            sa.select(Contact).where(Contact.email.in_(wanted[start : start + _CHUNK]))
        ):
            known[contact.email] = contact
    existing = [known[address] for address in wanted if address in known]
    return existing, [address for address in wanted if address not in known]


def _from_ids(contact_ids: Sequence[int], held_back: list[tuple[str, str]]) -> list[Contact]:
    wanted = list(dict.fromkeys(int(value) for value in contact_ids))
    found: dict[int, Contact] = {}
    session = db.session()
    for start in range(0, len(wanted), _CHUNK):
        for contact in session.scalars(
            sa.select(Contact).where(Contact.id.in_(wanted[start : start + _CHUNK]))
        ):
            found[contact.id] = contact
    for contact_id in wanted:
        if contact_id not in found:
            held_back.append((f"#{contact_id}", "unknown_contact"))
    return [found[contact_id] for contact_id in wanted if contact_id in found]


def _invited_to(survey_id: int, wave_id: int | None) -> set[int]:
    """Contacts already invited to this survey, or to this wave of a pulse."""
    query = sa.select(Invitation.contact_id).where(Invitation.survey_id == survey_id)
    if wave_id is not None:
        query = query.where(Invitation.wave_id == wave_id)
    return set(db.session().scalars(query.distinct()))


def _invited_since(cutoff: dt.datetime) -> set[int]:
    # A failed invitation never reached the person: it does not count as surveying them.
    return set(
        db.session().scalars(
            sa.select(Invitation.contact_id)
            .where(Invitation.created_at >= cutoff, Invitation.status != "failed")
            .distinct()
        )
    )


def _valid_email(text: str) -> str | None:
    """The address in lower case when its syntax is valid (no DNS lookup), else None."""
    if not text or len(text) > MAX_EMAIL_LENGTH:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _language_for(survey: Survey, contact_language: str | None) -> str:
    """The contact's language when the survey speaks it, else the survey's default."""
    if contact_language:
        short = contact_language.split("-")[0].lower()
        if short in survey.languages:
            return short
    return survey.default_language
