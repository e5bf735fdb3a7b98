"""Screenshots of every main page at phone and desktop sizes, into test-artifacts/screens/.

docs/screens.md says what each page is for; the file names here match it.
Each page is also checked for what a screenshot would show wrong: a phone
layout wider than the phone (sideways scrolling), a failed request, a console
error, and empty pages that do not say what to do next.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import (
    ADMIN_EMAIL,
    ARTIFACTS,
    DESKTOP,
    PHONE,
    RESPONDENT_PAGES,
    STAFF_PAGES,
    Demo,
    LiveServer,
    WatchedPage,
    log_in,
)

SCREENS = ARTIFACTS / "screens"
SIZES = {"phone": PHONE, "desktop": DESKTOP}


def capture(page: Page, name: str, size: str) -> None:
    """Write the full-page screenshot and check the page fits the width of the screen."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, f"{path} is empty"
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{name} at {size} size scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", SIZES)
def test_staff_pages(
    demo_server: tuple[LiveServer, Demo], open_page: Callable[..., WatchedPage], size: str
) -> None:
    """Every staff page, logged in as an admin, at the size."""
    server, demo = demo_server
    watched = open_page(viewport=SIZES[size])
    log_in(watched.page, server.url)
    for name, path in STAFF_PAGES.items():
        response = watched.page.goto(server.url + path.format(demo=demo))
        assert response is not None and response.status == 200, name
        capture(watched.page, name, size)
    assert watched.problems() == []


@pytest.mark.parametrize("size", SIZES)
def test_respondent_pages(
    demo_server: tuple[LiveServer, Demo], open_page: Callable[..., WatchedPage], size: str
) -> None:
    """Every respondent page, and the form showing a missing answer, at the size."""
    server, demo = demo_server
    watched = open_page(viewport=SIZES[size], is_mobile=size == "phone")
    page = watched.page
    for name, path in RESPONDENT_PAGES.items():
        page.goto(server.url + path.format(demo=demo))
        capture(page, name, size)
    page.goto(server.url + RESPONDENT_PAGES["respondent-form"].format(demo=demo))
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator(".error-summary")).to_be_visible()
    capture(page, "respondent-form-error", size)
    assert watched.problems() == []


def test_dark_scheme(
    demo_server: tuple[LiveServer, Demo], open_page: Callable[..., WatchedPage]
) -> None:
    """The same stylesheet in dark mode: the respondent form and the results on a phone."""
    server, demo = demo_server
    watched = open_page(viewport=PHONE, color_scheme="dark", is_mobile=True)
    page = watched.page
    page.goto(server.url + RESPONDENT_PAGES["respondent-form"].format(demo=demo))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 19, 24)", "the dark palette is not applied"
    capture(page, "respondent-form-dark", "phone")
    log_in(page, server.url)
    page.goto(server.url + STAFF_PAGES["results"].format(demo=demo))
    capture(page, "results-dark", "phone")
    assert watched.problems() == []


def test_first_run_and_empty_states(
    live_server: LiveServer, open_page: Callable[..., WatchedPage]
) -> None:
    """A new installation: the set-up page, then empty lists that say what to do next."""
    watched = open_page(viewport=PHONE)
    page = watched.page
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    capture(page, "setup", "phone")

    live_server.seed(lambda: factories.gen_user("admin", email=ADMIN_EMAIL))
    page.goto(live_server.url + "/login")
    capture(page, "login", "phone")
    log_in(page, live_server.url)
    empty_surveys = page.locator("section.empty")
    expect(empty_surveys.get_by_role("link", name="Create your first survey")).to_be_visible()
    capture(page, "surveys-empty", "phone")

    page.goto(live_server.url + "/contacts")
    empty_contacts = page.locator("section.empty")
    expect(empty_contacts.get_by_role("link", name="Import a CSV file")).to_be_visible()
    expect(empty_contacts.get_by_role("link", name="Add a contact")).to_be_visible()
    capture(page, "contacts-empty", "phone")
    assert watched.problems() == []
