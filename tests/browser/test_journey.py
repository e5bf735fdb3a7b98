"""The whole journey in a real browser: set-up, survey, contact import, email, answer, results.

One long test on purpose: each step starts from what the previous one left,
exactly as a new installation is used on its first day. It also covers a
respondent's mistakes: an empty required answer (announced, typed text kept),
a double click on submit and the back button (one response each time).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from surveyapp import db
from surveyapp.models import Invitation, Response
from tests import factories
from tests.browser.conftest import ADMIN_EMAIL, PHONE, LiveServer, WatchedPage

CONTACTS_CSV = (
    b"email,name,language,plan\n"
    b"alice@example.com,Alice Martin,en,pro\n"
    b"bruno@example.com,Bruno Petit,en,free\n"
)
TITLE = "Customer NPS, spring"
REASON = "Fast delivery, friendly support"


def test_first_day_from_setup_to_results(
    live_server: LiveServer, open_page: Callable[..., WatchedPage]
) -> None:
    """Set up, build, import, send, answer on a phone with the keyboard, read the results."""
    admin = open_page()
    page = admin.page
    base = live_server.url

    _set_up_first_admin(page, base)
    survey_id = _create_and_activate_nps_survey(page)
    _import_contacts(page, base)
    _send_survey(page, base, survey_id)

    result = live_server.deliver_outbox()
    assert (result.sent, result.failed) == (2, 0)
    links = live_server.mail.survey_links()
    assert set(links) == {"Alice Martin <alice@example.com>", "Bruno Petit <bruno@example.com>"}

    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    _answer_with_keyboard_only(phone.page, links["Alice Martin <alice@example.com>"])
    assert phone.problems() == []

    other = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    _double_click_then_go_back(other.page, links["Bruno Petit <bruno@example.com>"])
    assert other.problems() == []

    assert _stored_scores(live_server, survey_id) == [4, 9]

    page.goto(f"{base}/surveys/{survey_id}/results")
    summary = page.locator("section[aria-labelledby=summary-title]")
    expect(summary.locator(".stat .value").first).to_have_text("2")
    # One promoter (9), one detractor (4): NPS 0.
    expect(page.locator("[data-metric=nps]")).to_have_text("0")
    expect(page.locator(".comments blockquote")).to_have_text([REASON])
    # The plotly chart drawn by static/js/charts.js, its layers stacked on one another as
    # plotly's stylesheet places them (they fall one under the other when it is missing).
    chart = page.locator(".js-plotly-plot").first
    expect(chart.locator(".main-svg").first).to_be_visible()
    tops = chart.locator(".main-svg").evaluate_all(
        "layers => layers.map(layer => layer.getBoundingClientRect().top)"
    )
    assert len(set(tops)) == 1, f"the chart's layers are not stacked: {tops}"
    assert admin.problems() == []


def _set_up_first_admin(page: Page, base: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_label("Repeat the password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Create the admin account").click()
    expect(page).to_have_url(re.compile(r"/surveys$"))
    expect(page.get_by_role("heading", name="No surveys yet")).to_be_visible()


def _create_and_activate_nps_survey(page: Page) -> int:
    page.get_by_role("link", name="Create your first survey").click()
    page.locator("#kind-nps").check()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_role("button", name="Create the survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    survey_id = int(re.search(r"/surveys/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    page.get_by_role("button", name="Activate").click()
    expect(page.locator(".flashes")).to_contain_text("The survey is active")
    return survey_id


def _import_contacts(page: Page, base: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    # The empty contact list says what to do next: import a file.
    expect(page.get_by_role("heading", name="No contacts yet")).to_be_visible()
    page.locator("section.empty").get_by_role("link", name="Import a CSV file").click()
    page.locator("input[type=file]").set_input_files(
        {"name": "contacts.csv", "mimeType": "text/csv", "buffer": CONTACTS_CSV}
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.locator(".import-summary")).to_contain_text("2 contacts will be created")
    page.get_by_role("button", name="Import 2 contacts").click()
    expect(page.locator(".import-summary")).to_contain_text("2 contacts created")
    page.get_by_role("link", name="See the contacts").click()
    expect(page.locator("table")).to_contain_text("alice@example.com")


def _send_survey(page: Page, base: str, survey_id: int) -> None:
    page.goto(f"{base}/surveys/{survey_id}")
    page.get_by_role("link", name="Send by email").click()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".send-preview")).to_contain_text("2")
    page.get_by_role("button", name="Send 2 invitations").click()
    expect(page).to_have_url(re.compile(rf"/surveys/{survey_id}/invitations$"))
    expect(page.locator(".flashes")).to_contain_text("2 invitations queued")


def _answer_with_keyboard_only(page: Page, link: str) -> None:
    """Forget the score first (the error is announced, the reason stays), then answer 9."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your feedback")
    scale_name = "How likely are you to recommend Acme to a friend or colleague?"
    scale = page.get_by_role("group", name=re.compile(re.escape(scale_name)))
    reason = page.get_by_label("What is the main reason for your score?")

    # Tab from the top of the page to the reason box, skipping the score.
    _tab_until(page, lambda: reason.evaluate("e => e === document.activeElement"))
    page.keyboard.type(REASON)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my answers")).to_be_focused()
    page.keyboard.press("Enter")

    # Announced three ways: the page title, the focused summary, the alert under the question.
    expect(page).to_have_title(re.compile(r"^Error: Your feedback"))
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(scale_name)
    error = page.locator(".question.has-error [role=alert]")
    expect(error).to_have_count(1)
    error_id = error.get_attribute("id")
    assert error_id and error_id in (scale.get_attribute("aria-describedby") or "").split()
    expect(reason).to_have_value(REASON)

    # The scale is one radio group: Tab enters it, arrow keys choose, focus is visible.
    _tab_until(page, lambda: page.evaluate("document.activeElement.type === 'radio'"))
    expect(scale.get_by_role("radio")).to_have_count(11)
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    expect(scale.get_by_role("radio", name="9")).to_be_checked()
    outline = page.evaluate(
        "getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
    )
    assert outline == "solid", "the focused score shows no focus outline"
    _tab_until(page, lambda: reason.evaluate("e => e === document.activeElement"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/thanks"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")


def _double_click_then_go_back(page: Page, link: str) -> None:
    """Double click on submit, go back, then send another score twice at the same moment."""
    page.goto(link)
    page.get_by_role("radio", name="3").check()
    page.get_by_role("button", name="Send my answers").dblclick()
    expect(page).to_have_url(re.compile(r"/thanks"))

    page.go_back()
    # The form comes back with the stored answer: the same response, not a blank new one.
    expect(page.get_by_role("radio", name="3")).to_be_checked()
    page.get_by_role("radio", name="4").check()
    # Chromium sends a double-clicked form once; a slow network or another browser may send
    # it twice, so the same form is posted twice at once, as such a double click would.
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector("form[method=post]");
            const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map(answer => answer.url.includes("/thanks") ? answer.status : 0);
        }"""
    )
    assert statuses == [200, 200]


def _tab_until(page: Page, reached: Callable[[], bool], limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if reached():
            return
    raise AssertionError("the element was never reached with the Tab key")


def _stored_scores(server: LiveServer, survey_id: int) -> list[int]:
    """The scores of the survey's responses, and a check that each invitation has one."""

    def read() -> list[int]:
        session = db.session()
        scores = session.scalars(
            sa.select(Response.score).where(Response.survey_id == survey_id).order_by("score")
        ).all()
        statuses = session.scalars(
            sa.select(Invitation.status).where(Invitation.survey_id == survey_id)
        ).all()
        assert statuses == ["answered", "answered"]
        return list(scores)

    return server.seed(read)
