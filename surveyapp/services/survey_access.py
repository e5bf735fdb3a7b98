"""Who may see an eNPS survey: HR, the accounts it is shared with, managers for their teams.

eNPS surveys are restricted (``RESTRICTED_KINDS``): only staff accounts with
the HR capability (``User.hr``) see them, their results, exports, reasons and
cases, unless HR shares one survey with another account (``SurveyShare``).
The role does not matter: an admin without HR does not see them either, as
PRODUCT.md asks ("not even an admin"); an admin can grant HR, and that change
is in the audit log. A manager of org-chart teams (``services.org_chart``)
sees the eNPS dashboard of their own teams and sub-teams only, under the
same reporting threshold. API keys belong to no person and never see
restricted surveys.

``survey_access`` is the one check; every page, list, export and API
answer that shows a survey or its data goes through it or ``visible_surveys``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import Survey, SurveyShare, User, utcnow
from surveyapp.services import audit, org_chart
from surveyapp.services.errors import InvalidInput, NotFound

__all__ = [
    "RESTRICTED_KINDS",
    "SurveyAccess",
    "check_may_create",
    "hidden_survey_ids",
    "is_restricted",
    "list_shares",
    "may_open",
    "require_access",
    "set_hr",
    "share_survey",
    "survey_access",
    "team_surveys",
    "unshare_survey",
    "visible_surveys",
]

RESTRICTED_KINDS = ("enps",)


@dataclass(frozen=True)
class SurveyAccess:
    """What one account may see of one survey: all of it, or the results of some teams."""

    full: bool
    teams: frozenset[str] = frozenset()

    @property
    def visible(self) -> bool:
        """True when the account may see anything of the survey."""
        return self.full or bool(self.teams)


FULL = SurveyAccess(full=True)
NONE = SurveyAccess(full=False)


def is_restricted(survey: Survey) -> bool:
    """True for the survey kinds only HR sees (eNPS)."""
    return survey.kind in RESTRICTED_KINDS


def survey_access(user: User | None, survey: Survey) -> SurveyAccess:
    """What ``user`` (None: an API key) may see of ``survey``: the one access check."""
    if not is_restricted(survey):
        return FULL
    if user is None or not user.is_active:
        return NONE
    if user.hr or _shared(survey.id, user.id):
        return FULL
    teams = org_chart.managed_teams(user.email)
    return SurveyAccess(full=False, teams=teams) if teams else NONE


def require_access(
    user: User | None, survey_id: int, *, teams_enough: bool = False
) -> SurveyAccess:
    """``survey_access`` of an existing survey, or NotFound when it may not be seen.

    ``teams_enough`` accepts a manager's team-only access (the eNPS dashboard);
    everything else needs full access. NotFound rather than a refusal, so that
    an eNPS survey's existence is not revealed either.
    """
    survey = db.session().get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("No such survey."))
    access = survey_access(user, survey)
    if not (access.full or (teams_enough and access.visible)):
        raise NotFound(_("No such survey."))
    return access


def may_open(user: User | None, survey_id: int, *, teams_enough: bool = False) -> bool:
    """False when survey ``survey_id`` exists and ``user`` may not open it (see require_access).

    An unknown id is True: the page itself answers 404 after its role check.
    """
    survey = db.session().get(Survey, survey_id)
    if survey is None:
        return True
    access = survey_access(user, survey)
    return access.full or (teams_enough and access.visible)


def check_may_create(user: User, kind: str) -> None:
    """Raise InvalidInput ("kind") unless ``user`` may create a survey of ``kind``.

    Only HR creates eNPS surveys: a survey its creator could not open would be a trap.
    """
    if kind in RESTRICTED_KINDS and not user.hr:
        raise InvalidInput(
            _("Only HR can create eNPS surveys: ask an admin for HR access."), "kind"
        )


def visible_surveys(user: User | None, surveys: Iterable[Survey]) -> list[Survey]:
    """The surveys of ``surveys`` that ``user`` may see in full, in their order."""
    return [survey for survey in surveys if survey_access(user, survey).full]


def team_surveys(user: User | None, surveys: Iterable[Survey]) -> list[Survey]:
    """The surveys of ``surveys`` that ``user`` sees for their teams only (a manager)."""
    found = []
    for survey in surveys:
        access = survey_access(user, survey)
        if access.visible and not access.full:
            found.append(survey)
    return found


def hidden_survey_ids(user: User | None) -> set[int]:
    """The ids of the restricted surveys ``user`` may not see in full."""
    restricted = db.session().scalars(sa.select(Survey).where(Survey.kind.in_(RESTRICTED_KINDS)))
    return {survey.id for survey in restricted if not survey_access(user, survey).full}


def _shared(survey_id: int, user_id: int) -> bool:
    return (
        db.session().scalar(
            sa.select(SurveyShare.user_id).where(
                SurveyShare.survey_id == survey_id, SurveyShare.user_id == user_id
            )
        )
        is not None
    )


def list_shares(survey_id: int) -> list[User]:
    """The accounts an eNPS survey is shared with, by email."""
    return list(
        db.session().scalars(
            sa.select(User)
            .join(SurveyShare, SurveyShare.user_id == User.id)
            .where(SurveyShare.survey_id == survey_id)
            .order_by(User.email)
        )
    )


def share_survey(survey_id: int, email: str, actor: User) -> User:
    """Share a restricted survey with the account of ``email``; only HR may.

    Raises NotFound when ``actor`` may not see the survey, InvalidInput for an
    unknown or inactive account, a survey that is not restricted, or an
    actor without HR.
    """
    require_access(actor, survey_id)
    survey = db.session().get(Survey, survey_id)
    assert survey is not None
    if not is_restricted(survey):
        raise InvalidInput(_("Only eNPS surveys are shared one by one."), "email")
    if not actor.hr:
        raise InvalidInput(_("Only HR can share an eNPS survey."), "email")
    session = db.session()
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        raise InvalidInput(_("No active account has this email."), "email")
    if not _shared(survey_id, user.id):
        session.add(SurveyShare(survey_id=survey_id, user_id=user.id, created_at=utcnow()))
        audit.record(None, "survey.shared", survey, {"user": user.email})
        session.commit()
    return user


def unshare_survey(survey_id: int, user_id: int, actor: User) -> None:
    """Stop sharing a restricted survey with one account. Raises NotFound, InvalidInput."""
    require_access(actor, survey_id)
    if not actor.hr:
        raise InvalidInput(_("Only HR can share an eNPS survey."), "email")
    session = db.session()
    share = session.get(SurveyShare, (survey_id, user_id))
    if share is not None:
        user = session.get(User, user_id)
        session.delete(share)
        audit.record(
            None,
            "survey.unshared",
            session.get(Survey, survey_id),
            {"user": user.email if user else ""},
        )
        session.commit()


def set_hr(user_id: int, hr: bool) -> User:
    """Give or take the HR capability (who sees eNPS surveys). Raises NotFound."""
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    if user.hr != hr:
        user.hr = hr
        audit.record(None, "user.hr_changed", user, {"hr": hr})
        session.commit()
    return user
