"""Demo data: four surveys and two years of realistic answers in an empty database.

Everything is drawn from one seeded random generator, so two runs on the same
day create the same data. Rows are written with bulk inserts: the whole demo
takes well under five seconds on SQLite.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp import db
from surveyapp.analytics.csat import CsatSummary
from surveyapp.analytics.nps import NpsSummary, display_nps
from surveyapp.models import (
    Answer,
    AttributeDefinition,
    Contact,
    ContactEvent,
    Invitation,
    Response,
    Survey,
    Team,
    utcnow,
)
from surveyapp.services import rollups, surveys, tagging
from surveyapp.services.errors import Conflict

__all__ = ["DAYS", "SEED", "seed_demo"]

SEED = 20_240_917
DAYS = 730
CUSTOMERS = 110
EMPLOYEES = 40
DEMO_DOMAIN = "demo.example.com"

PLANS = ("free", "starter", "pro", "business")
PLAN_WEIGHTS = (30, 30, 25, 15)
# Paying more buys a better experience, on average.
PLAN_NPS_OFFSET = {"free": -12, "starter": -3, "pro": 6, "business": 12}
TEAMS = ("engineering", "sales", "support", "operations", "marketing")
TEAM_ENPS_OFFSET = {"engineering": 8, "sales": -10, "support": -4, "operations": 2, "marketing": 5}
# The org chart of the demo company: team -> department (services.org_chart).
TEAM_DEPARTMENTS = {
    "engineering": "Product",
    "sales": "Go to market",
    "marketing": "Go to market",
    "support": "Customers",
    "operations": "Customers",
}

FIRST_NAMES = (
    "Camille", "Léa", "Hugo", "Louis", "Chloé", "Nathan", "Manon", "Jules", "Inès", "Théo",
    "Emma", "Lucas", "Olivia", "James", "Sophie", "Daniel", "Grace", "Omar", "Amélie", "Noah",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Roux", "Fontaine", "Smith",
    "Brown", "Taylor", "Wilson", "Clarke", "Tremblay", "Gagnon", "Nguyen", "Haddad", "Silva",
)  # fmt: skip

# Customer comments by churn-reason tag (PRODUCT.md § Churn reasons), plus praise and mixed.
CUSTOMER_COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "praise": {
        "en": (
            "Does exactly what we need, and the team actually listens to feedback.",
            "Setting up our first survey took ten minutes. Love it.",
            "Reliable, fast, and the reports save me hours every month.",
            "Support answered within the hour and fixed our problem the same day.",
            "The new dashboard is much clearer, great job.",
            "We replaced two tools with this one and nobody misses the old ones.",
            "Simple to use, even for colleagues who hate new software.",
            "Great value for the price, I recommend it to every client I work with.",
            "The French version is excellent, our customers in Québec appreciate it.",
            "Rock solid for two years now. Not a single outage I noticed.",
        ),
        "fr": (
            "Fait exactement ce qu'il nous faut, et l'équipe écoute vraiment nos retours.",
            "Notre premier questionnaire était prêt en dix minutes. Super !",
            "Fiable, rapide, et les rapports me font gagner des heures chaque mois.",
            "Le support a répondu dans l'heure et a réglé notre souci le jour même.",
            "Le nouveau tableau de bord est beaucoup plus clair, bravo.",
            "Très simple à prendre en main, même pour les collègues réfractaires.",
            "Excellent rapport qualité-prix, je le recommande à tous mes clients.",
            "Outil stable et agréable, rien à redire.",
            "On a remplacé deux outils par celui-ci et personne ne regrette.",
            "Service client au top, toujours aimable et efficace.",
        ),
    },
    "mixed": {
        "en": (
            "Good product overall, but the exports could be more flexible.",
            "It works well. Nothing amazing, nothing bad.",
            "Solid tool, though I wish the mobile view was better.",
            "Does the job. The price went up a bit too much this year.",
            "Fine for what we use it for, but reporting by team is missing.",
        ),
        "fr": (
            "Bon produit dans l'ensemble, mais les exports pourraient être plus souples.",
            "Ça fonctionne bien. Rien d'extraordinaire, rien de grave non plus.",
            "Outil correct, mais l'affichage sur mobile mériterait d'être amélioré.",
            "Fait le travail. Le prix a un peu trop augmenté cette année.",
            "Suffisant pour notre usage, mais il manque les rapports par équipe.",
        ),
    },
    "price": {
        "en": (
            "Too expensive for a small business like ours.",
            "The price increase was not justified by any new features.",
            "We pay per user and it adds up quickly. Way too pricey.",
            "Competitors offer the same for half the price.",
        ),
        "fr": (
            "Beaucoup trop cher pour une petite entreprise comme la nôtre.",
            "La hausse de prix n'est justifiée par aucune nouveauté.",
            "Le tarif par utilisateur devient vite exorbitant.",
            "La concurrence propose la même chose pour moitié prix.",
        ),
    },
    "missing_feature": {
        "en": (
            "No integration with Salesforce, which is a deal breaker for us.",
            "We still cannot schedule reports by email. Please add it.",
            "Missing a proper API for exporting responses.",
            "I need conditional questions, and they are still not available.",
        ),
        "fr": (
            "Pas d'intégration avec Salesforce, c'est rédhibitoire pour nous.",
            "On ne peut toujours pas programmer l'envoi des rapports par e-mail.",
            "Il manque une vraie API pour exporter les réponses.",
            "J'ai besoin de questions conditionnelles, toujours pas disponibles.",
        ),
    },
    "bugs_reliability": {
        "en": (
            "The app crashed twice during our quarterly campaign.",
            "Emails were sent twice to half our customers. Embarrassing.",
            "Lots of small bugs since the last update.",
            "The CSV import keeps failing without telling me why.",
        ),
        "fr": (
            "L'application a planté deux fois pendant notre campagne trimestrielle.",
            "Les e-mails sont partis en double chez la moitié de nos clients.",
            "Beaucoup de petits bugs depuis la dernière mise à jour.",
            "L'import CSV échoue sans aucun message d'erreur.",
        ),
    },
    "performance": {
        "en": (
            "The results page takes forever to load with our data.",
            "Very slow in the afternoon, sometimes unusable.",
        ),
        "fr": (
            "La page des résultats met une éternité à charger.",
            "Très lent l'après-midi, parfois inutilisable.",
        ),
    },
    "support": {
        "en": (
            "Support took a week to answer a simple question.",
            "I was passed from one agent to another and nobody solved anything.",
            "The chatbot is useless and there is no phone number.",
        ),
        "fr": (
            "Le support a mis une semaine à répondre à une question simple.",
            "On m'a baladé d'un conseiller à l'autre sans rien résoudre.",
            "Le chatbot ne sert à rien et il n'y a pas de numéro de téléphone.",
        ),
    },
    "usability": {
        "en": (
            "The interface is confusing, I never find the settings I need.",
            "Too many clicks to do anything simple.",
            "My colleagues gave up using it, it is not intuitive at all.",
        ),
        "fr": (
            "L'interface est confuse, je ne trouve jamais les réglages.",
            "Trop de clics pour la moindre action.",
            "Mes collègues ont abandonné, ce n'est pas du tout intuitif.",
        ),
    },
    "onboarding": {
        "en": (
            "Getting started was hard, the documentation is thin.",
            "Nobody helped us set things up after we signed up.",
        ),
        "fr": (
            "La prise en main a été difficile, la documentation est trop légère.",
            "Personne ne nous a accompagnés après l'inscription.",
        ),
    },
    "competitor": {
        "en": (
            "We are moving to a competitor that includes this in their CRM.",
            "Another tool offered us a better deal and more features.",
        ),
        "fr": (
            "Nous passons chez un concurrent intégré à notre CRM.",
            "Un autre outil nous a fait une meilleure offre, avec plus de fonctions.",
        ),
    },
    "billing": {
        "en": (
            "I was charged twice this month and still wait for the refund.",
            "The invoices are missing our VAT number.",
        ),
        "fr": (
            "J'ai été prélevé deux fois ce mois-ci et j'attends toujours le remboursement.",
            "Notre numéro de TVA n'apparaît pas sur les factures.",
        ),
    },
    "privacy_security": {
        "en": ("I am not comfortable with where our customer data is stored.",),
        "fr": ("Je ne suis pas rassuré sur l'hébergement des données de nos clients.",),
    },
    "no_longer_needed": {
        "en": (
            "We no longer run customer surveys, the project was stopped.",
            "Our needs changed, we do not need this anymore.",
        ),
        "fr": (
            "Nous ne faisons plus d'enquêtes clients, le projet est arrêté.",
            "Nos besoins ont changé, nous n'en avons plus l'utilité.",
        ),
    },
    "business_closed": {
        "en": ("We are closing the shop at the end of the month.",),
        "fr": ("Nous fermons la boutique à la fin du mois.",),
    },
    "other": {
        "en": ("We are merging with another company that has its own tools.",),
        "fr": ("Nous fusionnons avec une autre société qui a ses propres outils.",),
    },
}

# Which complaint a detractor, a passive or an unhappy CSAT answer is about.
COMPLAINT_WEIGHTS = {
    "price": 22,
    "missing_feature": 16,
    "bugs_reliability": 14,
    "performance": 7,
    "support": 10,
    "usability": 10,
    "onboarding": 6,
    "competitor": 6,
    "billing": 5,
    "privacy_security": 2,
}
SUPPORT_COMPLAINT_WEIGHTS = {"support": 50, "bugs_reliability": 15, "billing": 15, "performance": 8}
CANCELLATION_WEIGHTS = {
    "price": 25,
    "missing_feature": 15,
    "bugs_reliability": 12,
    "performance": 6,
    "usability": 8,
    "support": 6,
    "competitor": 12,
    "no_longer_needed": 10,
    "business_closed": 4,
    "other": 3,
}

EMPLOYEE_COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "praise": {
        "en": (
            "Great team and a manager who trusts us.",
            "I learn something new every week.",
            "Flexible hours make a real difference for my family.",
            "We ship things that customers actually use. Motivating.",
        ),
        "fr": (
            "Super équipe et un manager qui nous fait confiance.",
            "J'apprends quelque chose de nouveau chaque semaine.",
            "Les horaires flexibles changent vraiment la vie.",
            "On livre des choses que les clients utilisent vraiment, c'est motivant.",
        ),
    },
    "mixed": {
        "en": (
            "Good place overall, but priorities change too often.",
            "Nice people. Salaries are below the market, though.",
        ),
        "fr": (
            "Bonne boîte dans l'ensemble, mais les priorités changent trop souvent.",
            "Des collègues sympas, mais des salaires en dessous du marché.",
        ),
    },
    "complaint": {
        "en": (
            "Workload has been unsustainable since the reorganisation.",
            "No clear career path and no feedback from management.",
            "Too many meetings, not enough time to do the actual work.",
            "Pay has not kept up with inflation.",
        ),
        "fr": (
            "La charge de travail est intenable depuis la réorganisation.",
            "Aucune perspective d'évolution et aucun retour de la direction.",
            "Trop de réunions, pas assez de temps pour travailler.",
            "Les salaires n'ont pas suivi l'inflation.",
        ),
    },
}


@dataclass
class _Batch:
    """Rows waiting for a bulk insert: responses, each with its answers, and invitations."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    answers: list[list[dict[str, Any]]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    # Position in ``invitations`` of the invitation each response answers, if any.
    invitation_of: list[int | None] = field(default_factory=list)

    def add(
        self,
        response: dict[str, Any],
        answers: list[dict[str, Any]],
        invitation: dict[str, Any] | None = None,
    ) -> None:
        self.responses.append(response)
        self.answers.append(answers)
        if invitation is None:
            self.invitation_of.append(None)
        else:
            self.invitation_of.append(len(self.invitations))
            self.invitations.append(invitation)


def seed_demo() -> str:
    """Fill an empty database with a realistic demo and return a one-paragraph summary.

    Raises Conflict when the database already has a survey or the demo contacts.
    """
    session = db.session()
    if session.scalar(sa.select(sa.func.count(Survey.id))):
        raise Conflict(
            "The demo only fills an empty database, and this one already has surveys. "
            "Point SURVEYAPP_DATABASE_URL at a new database to try the demo."
        )
    if session.scalar(
        sa.select(sa.func.count(Contact.id)).where(Contact.email.like(f"%@{DEMO_DOMAIN}"))
    ):
        raise Conflict(f"Contacts at {DEMO_DOMAIN} already exist: the demo has been loaded before.")

    created: list[Survey] = []
    try:
        return _seed(random.Random(SEED), created)
    except BaseException:
        # Surveys are committed one by one by create_survey; take them back out.
        session.rollback()
        for survey in created:
            session.delete(survey)
        session.commit()
        raise


def _seed(rng: random.Random, created: list[Survey]) -> str:
    session = db.session()
    now = utcnow()
    today = now.date()
    first_day = today - dt.timedelta(days=DAYS - 1)
    started = _at(first_day, 9) - dt.timedelta(days=3)

    nps = _new_survey(created, "nps", "Customer NPS", started)
    enps = _new_survey(created, "enps", "Monthly eNPS pulse", started)
    csat = _new_survey(created, "csat", "Support CSAT", started)
    csat.settings = {
        "topic": {"en": "our support team", "fr": "notre équipe support"},
    }
    cancellation = _new_survey(created, "cancellation", "Cancellation survey", started)

    _define_attributes(session)
    _org_chart(session)
    customers, employees = _insert_contacts(session, rng)
    session.flush()

    batch = _Batch()
    nps_scores = _nps_responses(rng, batch, nps, customers, first_day, now)
    enps_scores = _enps_responses(rng, batch, enps, employees, first_day, now)
    csat_scores = _csat_responses(rng, batch, csat, customers, first_day, now)
    cancelled = _cancellation_responses(rng, batch, cancellation, customers, first_day, now)
    commented = _write(session, batch)
    # Bulk inserts bypass submit-time tagging: tag the demo's comments in one pass.
    tagging.tag_surveys(survey.id for survey in created)
    session.commit()
    # Bulk inserts bypass the ORM flush that maintains the rollups: rebuild them once.
    rollups.rebuild(survey.id for survey in created)
    _customer_history(random.Random(SEED + 1), nps.id, cancellation.id, first_day, today)

    total = len(batch.responses)
    nps_summary = NpsSummary.from_histogram(_histogram(nps_scores))
    enps_summary = NpsSummary.from_histogram(_histogram(enps_scores))
    csat_summary = CsatSummary.from_histogram(_histogram(csat_scores))
    return (
        f"Created 4 active demo surveys: {nps.title!r} ({len(nps_scores)} responses, "
        f"NPS {_signed(display_nps(nps_summary.score))}), {enps.title!r} (anonymous, "
        f"{len(enps_scores)} responses, eNPS {_signed(display_nps(enps_summary.score))}), "
        f"{csat.title!r} ({len(csat_scores)} responses, "
        f"CSAT {round(csat_summary.score or 0)} %) and {cancellation.title!r} "
        f"({cancelled} responses); {CUSTOMERS + EMPLOYEES} contacts ({CUSTOMERS} customers "
        f"with a plan, {EMPLOYEES} employees with a team, both reportable attributes) and "
        f"{total} responses from {first_day.isoformat()} to {today.isoformat()}, "
        f"{round(100 * commented / total)} % of them with a comment in English or French."
    )


def _new_survey(created: list[Survey], kind: str, title: str, started: dt.datetime) -> Survey:
    survey = surveys.create_survey(kind, title)
    created.append(survey)
    survey.status = "active"
    survey.created_at = started - dt.timedelta(days=2)
    survey.activated_at = started
    return survey


def _define_attributes(session: so.Session) -> None:
    existing = set(session.scalars(sa.select(AttributeDefinition.key)))
    for key, label in (("plan", "Plan"), ("team", "Team")):
        if key not in existing:
            session.add(AttributeDefinition(key=key, label=label, type="choice", reportable=True))


def _org_chart(session: so.Session) -> None:
    """The demo company's teams and their departments, unless teams already exist."""
    if session.scalar(sa.select(sa.func.count(Team.id))):
        return
    for team, department in TEAM_DEPARTMENTS.items():
        session.add(Team(name=team, department=department))


def _insert_contacts(
    session: so.Session, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Insert customers (with a plan) and employees (with a team); return them with their ids."""
    people: list[dict[str, Any]] = []
    for number in range(CUSTOMERS + EMPLOYEES):
        employee = number >= CUSTOMERS
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        attributes = (
            {"team": rng.choice(TEAMS)}
            if employee
            else {"plan": rng.choices(PLANS, PLAN_WEIGHTS)[0]}
        )
        people.append(
            {
                "email": f"{'staff' if employee else 'customer'}{number:03d}@{DEMO_DOMAIN}",
                "name": f"{first} {last}",
                "language": rng.choice(("en", "fr")),
                "attributes": attributes,
            }
        )
    ids = session.scalars(
        sa.insert(Contact).returning(Contact.id, sort_by_parameter_order=True), people
    ).all()
    for person, contact_id in zip(people, ids, strict=True):
        person["id"] = contact_id
    return people[:CUSTOMERS], people[CUSTOMERS:]


def _nps_responses(
    rng: random.Random,
    batch: _Batch,
    survey: Survey,
    customers: Sequence[dict[str, Any]],
    first_day: dt.date,
    now: dt.datetime,
) -> list[int]:
    """About 2.5 answers a day; NPS climbs from about +15 to +35, with a dip after a bad release."""
    main, follow_up = _question_ids(survey)
    scores: list[int] = []
    for offset in range(DAYS):
        day = first_day + dt.timedelta(days=offset)
        for _ in range(_poisson(rng, 2.6 * _activity(day))):
            created_at = _business_time(rng, day, now)
            customer = rng.choice(customers) if rng.random() < 0.4 else None
            plan = (
                customer["attributes"]["plan"] if customer else rng.choices(PLANS, PLAN_WEIGHTS)[0]
            )
            target = 15 + 20 * offset / DAYS + PLAN_NPS_OFFSET[plan]
            if 300 <= offset < 360:  # a release that broke the CSV import
                target -= 18
            score = _nps_score(rng, target)
            scores.append(score)
            language = customer["language"] if customer else rng.choice(("en", "fr"))
            comment = _customer_comment(rng, score, language, COMPLAINT_WEIGHTS, (0.55, 0.35, 0.25))
            invitation = None
            if customer is not None:
                invitation = _answered_invitation(rng, survey.id, customer, created_at, language)
            batch.add(
                _response(survey.id, language, score, created_at, {"plan": plan}, customer),
                _answers(main, follow_up, number=score, text=comment),
                invitation,
            )
    return scores


def _enps_responses(
    rng: random.Random,
    batch: _Batch,
    survey: Survey,
    employees: Sequence[dict[str, Any]],
    first_day: dt.date,
    now: dt.datetime,
) -> list[int]:
    """A wave on the first weekday of each month; anonymous: no contact, day-truncated dates."""
    main, follow_up = _question_ids(survey)
    scores: list[int] = []
    month = first_day.replace(day=1)
    wave = 0
    while month <= now.date():
        opened = _first_weekday(month)
        if first_day <= opened <= now.date():
            wave += 1
            for employee in employees:
                sent_at = _at(opened, 9)
                answered = rng.random() < 0.68
                answer_day = opened + dt.timedelta(days=min(int(rng.expovariate(0.5)), 9))
                if answered and answer_day <= now.date():
                    answered_at = _business_time(rng, answer_day, now)
                    team = employee["attributes"]["team"]
                    target = 0 + 25 * wave / 24 + TEAM_ENPS_OFFSET[team]
                    score = _nps_score(rng, target)
                    scores.append(score)
                    language = employee["language"]
                    comment = None
                    if rng.random() < 0.4:
                        mood = "praise" if score >= 9 else "mixed" if score >= 7 else "complaint"
                        comment = rng.choice(EMPLOYEE_COMMENTS[mood][language])
                    # The invitation records only that it was answered, in a separate row.
                    batch.invitations.append(
                        _invitation(rng, survey.id, employee, sent_at, language, answered_at)
                    )
                    batch.add(
                        _response(
                            survey.id,
                            language,
                            score,
                            _at(answer_day, 0),
                            {"team": team, "wave": wave},
                            None,
                        ),
                        _answers(main, follow_up, number=score, text=comment),
                    )
                else:
                    batch.invitations.append(
                        _invitation(rng, survey.id, employee, sent_at, employee["language"], None)
                    )
        month = _next_month(month)
    return scores


def _csat_responses(
    rng: random.Random,
    batch: _Batch,
    survey: Survey,
    customers: Sequence[dict[str, Any]],
    first_day: dt.date,
    now: dt.datetime,
) -> list[int]:
    """After support tickets, on weekdays: satisfaction climbs from about 76 % to 86 %."""
    main, follow_up = _question_ids(survey)
    scores: list[int] = []
    for offset in range(DAYS):
        day = first_day + dt.timedelta(days=offset)
        rate = 2.0 * _activity(day) if day.weekday() < 5 else 0.2
        for _ in range(_poisson(rng, rate)):
            created_at = _business_time(rng, day, now)
            customer = rng.choice(customers)
            satisfied = rng.random() < 0.76 + 0.10 * offset / DAYS
            if satisfied:
                score = 5 if rng.random() < 0.6 else 4
            else:
                score = rng.choices((3, 2, 1), (50, 25, 25))[0]
            scores.append(score)
            language = customer["language"]
            comment = None
            if rng.random() < 0.3:
                if satisfied:
                    comment = rng.choice(CUSTOMER_COMMENTS["praise"][language])
                else:
                    reason = _weighted(rng, SUPPORT_COMPLAINT_WEIGHTS)
                    comment = rng.choice(CUSTOMER_COMMENTS[reason][language])
            batch.add(
                _response(
                    survey.id, language, score, created_at, dict(customer["attributes"]), customer
                ),
                _answers(main, follow_up, number=score, text=comment),
            )
    return scores


def _cancellation_responses(
    rng: random.Random,
    batch: _Batch,
    survey: Survey,
    customers: Sequence[dict[str, Any]],
    first_day: dt.date,
    now: dt.datetime,
) -> int:
    """About one cancellation every two or three days, with the reason and often a comment."""
    main, follow_up = _question_ids(survey)
    count = 0
    for offset in range(DAYS):
        day = first_day + dt.timedelta(days=offset)
        for _ in range(_poisson(rng, 0.42 * _activity(day))):
            created_at = _business_time(rng, day, now)
            customer = rng.choice(customers)
            language = customer["language"]
            reason = _weighted(rng, CANCELLATION_WEIGHTS)
            other_text = None
            if reason == "other":
                other_text = rng.choice(CUSTOMER_COMMENTS["other"][language])
            comment = None
            if reason != "other" and rng.random() < 0.6:
                comment = rng.choice(CUSTOMER_COMMENTS[reason][language])
            answers = [{"question_id": main, "choices": [reason], "text": other_text}]
            if comment is not None and follow_up is not None:
                answers.append({"question_id": follow_up, "text": comment})
            batch.add(
                _response(
                    survey.id, language, None, created_at, dict(customer["attributes"]), customer
                ),
                answers,
            )
            count += 1
    return count


def _write(session: so.Session, batch: _Batch) -> int:
    """Insert the batch in three bulk statements; return how many responses have a comment."""
    invitation_ids = session.scalars(
        sa.insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True),
        batch.invitations,
    ).all()
    for response, position in zip(batch.responses, batch.invitation_of, strict=True):
        response["invitation_id"] = None if position is None else invitation_ids[position]
    response_ids = session.scalars(
        sa.insert(Response).returning(Response.id, sort_by_parameter_order=True),
        batch.responses,
    ).all()
    answers: list[dict[str, Any]] = []
    commented = 0
    for response_id, response_answers in zip(response_ids, batch.answers, strict=True):
        if any(answer.get("text") and answer.get("choices") is None for answer in response_answers):
            commented += 1
        for answer in response_answers:
            answers.append(
                # JSON columns store a Python None as JSON null: leave "choices" out instead.
                {"value_number": None, "text": None, **answer, "response_id": response_id}
            )
    session.execute(sa.insert(Answer), answers)
    return commented


def _response(
    survey_id: int,
    language: str,
    score: int | None,
    created_at: dt.datetime,
    segment: dict[str, Any],
    contact: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "survey_id": survey_id,
        "contact_id": contact["id"] if contact else None,
        "submission_key": None,
        "language": language,
        "channel": "email" if contact else "link",
        "score": score,
        "completed": True,
        "segment": segment,
        "created_at": created_at,
        "updated_at": created_at,
    }


def _answers(
    main: int, follow_up: int | None, *, number: int, text: str | None
) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = [{"question_id": main, "value_number": number}]
    if text is not None and follow_up is not None:
        answers.append({"question_id": follow_up, "text": text})
    return answers


def _answered_invitation(
    rng: random.Random,
    survey_id: int,
    contact: dict[str, Any],
    answered_at: dt.datetime,
    language: str,
) -> dict[str, Any]:
    sent_at = answered_at - dt.timedelta(hours=rng.uniform(0.2, 30))
    return _invitation(rng, survey_id, contact, sent_at, language, answered_at)


def _invitation(
    rng: random.Random,
    survey_id: int,
    contact: dict[str, Any],
    sent_at: dt.datetime,
    language: str,
    answered_at: dt.datetime | None,
) -> dict[str, Any]:
    return {
        "survey_id": survey_id,
        "contact_id": contact["id"],
        "token": f"demo{rng.getrandbits(176):044x}",
        "status": "answered" if answered_at else "sent",
        "language": language,
        "created_at": sent_at,
        "sent_at": sent_at,
        "answered_at": answered_at,
    }


def _question_ids(survey: Survey) -> tuple[int, int | None]:
    main = survey.main_question
    if main is None:
        raise RuntimeError(f"the {survey.kind} template has no main question")
    follow_up = next((q.id for q in survey.questions if q.type == "text"), None)
    return main.id, follow_up


def _customer_comment(
    rng: random.Random,
    score: int,
    language: str,
    weights: dict[str, int],
    rates: tuple[float, float, float],
) -> str | None:
    """A comment or None; ``rates`` are the chances a detractor, passive, promoter writes one."""
    detractor_rate, passive_rate, promoter_rate = rates
    if score <= 6:
        if rng.random() >= detractor_rate:
            return None
        return rng.choice(CUSTOMER_COMMENTS[_weighted(rng, weights)][language])
    if score <= 8:
        if rng.random() >= passive_rate:
            return None
        pool = "mixed" if rng.random() < 0.7 else _weighted(rng, weights)
        return rng.choice(CUSTOMER_COMMENTS[pool][language])
    if rng.random() >= promoter_rate:
        return None
    return rng.choice(CUSTOMER_COMMENTS["praise"][language])


def _nps_score(rng: random.Random, target: float) -> int:
    """A 0–10 answer from a population whose NPS is ``target`` and 30 % of whom are passives."""
    target = max(-70.0, min(70.0, target + rng.gauss(0, 4)))
    promoter = (0.7 + target / 100) / 2
    detractor = (0.7 - target / 100) / 2
    draw = rng.random()
    if draw < promoter:
        return rng.choices((9, 10), (45, 55))[0]
    if draw < promoter + detractor:
        return rng.choices(range(7), (3, 2, 3, 5, 8, 14, 20))[0]
    return rng.choice((7, 8))


def _activity(day: dt.date) -> float:
    """How busy a day is relative to an ordinary Tuesday: weekends and holidays are quiet."""
    weekday = (1.0, 1.15, 1.1, 1.05, 0.9, 0.35, 0.25)[day.weekday()]
    season = 1.0
    if day.month == 8:
        season = 0.55
    elif day.month == 12 and day.day >= 20:
        season = 0.5
    elif day.month in (1, 9):
        season = 1.15
    return weekday * season


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth's method: the rates here are small)."""
    limit = math.exp(-rate)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _business_time(rng: random.Random, day: dt.date, now: dt.datetime) -> dt.datetime:
    """A time on ``day``, mostly during office hours, never in the future."""
    hour = min(max(rng.gauss(13, 3.2), 0), 23.99)
    moment = _at(day, 0) + dt.timedelta(hours=hour)
    return min(moment, now)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _first_weekday(month: dt.date) -> dt.date:
    day = month
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _next_month(month: dt.date) -> dt.date:
    days = calendar.monthrange(month.year, month.month)[1]
    return month + dt.timedelta(days=days)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _histogram(scores: Sequence[int]) -> dict[int, int]:
    histogram: dict[int, int] = {}
    for score in scores:
        histogram[score] = histogram.get(score, 0) + 1
    return histogram


def _signed(value: int | None) -> str:
    return "n/a" if value is None else f"{value:+d}"


# ---- Customer history for the retention page -------------------------------------------------

# Monthly price (cents) of each paid plan; free accounts are not paying customers.
PLAN_MRR_CENTS = {"starter": 2_900, "pro": 9_900, "business": 29_900}
PLAN_ORDER = ("starter", "pro", "business")


def _customer_history(
    rng: random.Random, nps_id: int, cancellation_id: int, first_day: dt.date, today: dt.date
) -> None:
    """Give paying demo customers a subscription history consistent with their answers.

    Some started before the demo's first day, others during it; a cancellation
    answer ends the subscription that day, a detractor often cancels within a
    few weeks, a quarter of those who left come back later, and some upgrade.
    Uses its own random generator so the survey data stays the same.
    """
    session = db.session()
    customers = session.execute(
        sa.select(Contact.id, Contact.attributes)
        .where(Contact.email.like(f"customer%@{DEMO_DOMAIN}"))
        .order_by(Contact.id)
    ).all()
    answers: dict[int, list[tuple[dt.date, int | None, int]]] = {}
    for contact_id, created_at, score, survey_id in session.execute(
        sa.select(Response.contact_id, Response.created_at, Response.score, Response.survey_id)
        .where(Response.survey_id.in_((nps_id, cancellation_id)), Response.contact_id.is_not(None))
        .order_by(Response.created_at)
    ):
        answers.setdefault(contact_id, []).append((created_at.date(), score, survey_id))
    events: list[dict[str, Any]] = []
    views: list[dict[str, Any]] = []
    for contact_id, attributes in customers:
        plan = (attributes or {}).get("plan")
        if plan not in PLAN_MRR_CENTS:
            continue
        history = _one_history(
            rng, plan, answers.get(contact_id, []), cancellation_id, first_day, today
        )
        events += [
            {"contact_id": contact_id, "kind": kind, "occurred_on": day, "mrr_cents": mrr}
            for kind, day, mrr in history
        ]
        views.append(_customer_view(contact_id, history))
    if events:
        session.execute(sa.insert(ContactEvent), events)
        session.execute(sa.update(Contact), views)
    session.commit()


def _one_history(
    rng: random.Random,
    plan: str,
    answers: Sequence[tuple[dt.date, int | None, int]],
    cancellation_id: int,
    first_day: dt.date,
    today: dt.date,
) -> list[tuple[str, dt.date, int]]:
    """One customer's events (kind, day, MRR cents), in order, none after today."""
    if rng.random() < 0.6:
        start = first_day - dt.timedelta(days=rng.randint(1, 365))
    else:
        start = first_day + dt.timedelta(days=rng.randint(0, DAYS - 60))
    mrr = PLAN_MRR_CENTS[plan]
    history: list[tuple[str, dt.date, int]] = [("started", start, mrr)]
    active = True
    for day, score, survey_id in answers:
        if day <= history[-1][1]:
            continue
        leaves = survey_id == cancellation_id or (
            score is not None and score <= 6 and rng.random() < 0.3
        )
        if active and leaves:
            gone = (
                day if survey_id == cancellation_id else day + dt.timedelta(days=rng.randint(7, 80))
            )
            if gone > today:
                continue
            history.append(("cancelled", gone, mrr))
            active = False
            back = gone + dt.timedelta(days=rng.randint(30, 150))
            if rng.random() < 0.25 and back <= today:
                history.append(("started", back, mrr))
                active = True
        elif active and score is not None and score >= 9 and rng.random() < 0.15:
            position = PLAN_ORDER.index(plan)
            if position + 1 < len(PLAN_ORDER):
                plan = PLAN_ORDER[position + 1]
                mrr = PLAN_MRR_CENTS[plan]
                history.append(("mrr_changed", day, mrr))
    return history


def _customer_view(contact_id: int, history: Sequence[tuple[str, dt.date, int]]) -> dict[str, Any]:
    """The Contact columns that summarise a history (the last span and MRR)."""
    view: dict[str, Any] = {"id": contact_id}
    for kind, day, mrr in history:
        if kind == "started":
            view.update(customer_status="active", started_on=day, cancelled_on=None, mrr_cents=mrr)
        elif kind == "cancelled":
            view.update(customer_status="cancelled", cancelled_on=day)
        else:
            view["mrr_cents"] = mrr
    return view
