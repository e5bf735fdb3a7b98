"""Accessibility of the respondent pages and the results page: English and French, light and dark.

axe-core (WCAG 2.x A and AA rules plus best practices) must report no serious
or critical violation; beyond what axe sees, every control reached with the
Tab key must show a focus indicator, and the 0–10 scale must be a labelled
radio group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    PHONE,
    STAFF_PAGES,
    Demo,
    LiveServer,
    WatchedPage,
    log_in,
    run_axe,
)

LANGUAGES = ["en", "fr"]
SCHEMES = ["light", "dark"]
QUESTION = {
    "en": "How likely are you to recommend Acme to a friend or colleague?",
    "fr": "Quelle est la probabilité que vous recommandiez Acme à un ami ou à un collègue ?",
}
SEND = {"en": "Send my answers", "fr": "Envoyer mes réponses"}

# Elements that show their focus on another element (the scale's radios are hidden
# behind the number they label; the number's box draws the outline).
FOCUS_INDICATOR_SCRIPT = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const shown = element.matches(".scale input") ? element.nextElementSibling : element;
    const style = getComputedStyle(shown);
    const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const shadowed = style.boxShadow && style.boxShadow !== "none";
    const label = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + (element.name ? "[name=" + element.name + "]" : "")
        + " " + (element.textContent || element.value || "").trim().slice(0, 40);
    return {label: label, visible: Boolean(outlined || shadowed)};
}"""


def respondent_pages(base: str, demo: Demo, language: str) -> dict[str, str]:
    """Name -> URL of every respondent page state read without changing any data."""
    return {
        "invitation form": f"{base}/s/{demo.token_en}?lang={language}",
        "public link form": f"{base}/p/{demo.public_slug}?lang={language}",
        "thank-you page": f"{base}/thanks?lang={language}",
        "already answered": f"{base}/s/{demo.answered_token}?lang={language}",
    }


def assert_no_violations(page: Page, axe: Path, name: str, scheme: str = "light") -> None:
    """Fail with a readable list of the serious and critical axe violations.

    In the dark scheme only the colours change, so only contrast is checked again.
    """
    violations = run_axe(page, axe, rules=["color-contrast"] if scheme == "dark" else None)
    details = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
        for v in violations
    ]
    assert not violations, f"{name} ({page.url}):\n" + "\n".join(details)


def test_axe_finds_what_it_must(open_page: Callable[..., WatchedPage], axe_script: Path) -> None:
    """The harness itself: a control without a label and grey-on-white text are reported."""
    page = open_page().page
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Form</h1>'
        '<input type="text"><p class="faint">Faint text</p></main></body></html>'
    )
    page.add_style_tag(content=".faint { color: #c8c8c8; background: #fff; }")
    found = {violation["id"] for violation in run_axe(page, axe_script)}
    assert {"label", "color-contrast"} <= found
    only_contrast = run_axe(page, axe_script, rules=["color-contrast"])
    assert [violation["id"] for violation in only_contrast] == ["color-contrast"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_respondent_pages_have_no_serious_violations(
    demo_server: tuple[LiveServer, Demo],
    open_page: Callable[..., WatchedPage],
    axe_script: Path,
    language: str,
) -> None:
    """Forms, the form with an error, the thank-you and already-answered pages, on a phone."""
    server, demo = demo_server
    watched = open_page(viewport=PHONE, is_mobile=True)
    page = watched.page
    pages = respondent_pages(server.url, demo, language)
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_no_violations(page, axe_script, f"{name}, {scheme}", scheme)

        page.goto(pages["invitation form"])
        page.get_by_role("button", name=SEND[language]).click()
        expect(page.locator(".error-summary[role=alert]")).to_be_visible()
        assert_no_violations(page, axe_script, f"form with an error, {scheme}", scheme)
    assert watched.problems() == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_score_scale_is_a_labelled_radio_group(
    demo_server: tuple[LiveServer, Demo], open_page: Callable[..., WatchedPage], language: str
) -> None:
    """Screen readers hear the question as the group's name and each number as a radio."""
    server, demo = demo_server
    page = open_page(viewport=PHONE).page
    page.goto(f"{server.url}/s/{demo.token_en}?lang={language}")
    group = page.get_by_role("group", name=re.compile(re.escape(QUESTION[language])))
    expect(group).to_have_count(1)
    radios = group.get_by_role("radio")
    expect(radios).to_have_count(11)
    for number in range(11):
        expect(group.get_by_role("radio", name=str(number), exact=True)).to_have_count(1)
    # The ends of the scale are read with the group, not only seen.
    described = group.get_attribute("aria-describedby") or ""
    ends = page.locator(f"#{described.split()[0]}")
    expect(ends).to_contain_text("10")


@pytest.mark.parametrize("language", LANGUAGES)
def test_results_pages_have_no_serious_violations(
    demo_server: tuple[LiveServer, Demo],
    open_page: Callable[..., WatchedPage],
    axe_script: Path,
    language: str,
) -> None:
    """The results of a survey with answers and of one without, in the staff's language."""
    server, demo = demo_server
    watched = open_page(locale={"en": "en-GB", "fr": "fr-FR"}[language])
    page = watched.page
    log_in(page, server.url)
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for survey_id in (demo.survey_id, demo.empty_survey_id):
            page.goto(f"{server.url}/surveys/{survey_id}/results")
            expect(page.locator("html")).to_have_attribute("lang", language)
            name = f"results of survey {survey_id}, {scheme}"
            assert_no_violations(page, axe_script, name, scheme)
    assert watched.problems() == []


def test_every_other_staff_page_has_no_serious_violations(
    demo_server: tuple[LiveServer, Demo], open_page: Callable[..., WatchedPage], axe_script: Path
) -> None:
    """The rest of the staff side (lists, builder, sending, contacts, settings), in English."""
    server, demo = demo_server
    page = open_page().page
    log_in(page, server.url)
    for name, path in STAFF_PAGES.items():
        if not name.startswith("results"):
            page.goto(server.url + path.format(demo=demo))
            assert_no_violations(page, axe_script, name)


@pytest.mark.parametrize(
    ("path", "staff"),
    [("/s/{demo.token_en}", False), ("/surveys/{demo.survey_id}/results", True)],
    ids=["respondent form", "results"],
)
def test_every_control_reached_with_tab_shows_its_focus(
    demo_server: tuple[LiveServer, Demo],
    open_page: Callable[..., WatchedPage],
    path: str,
    staff: bool,
) -> None:
    """Tab through the whole page: each focused element draws an outline (or a shadow)."""
    server, demo = demo_server
    page = open_page().page
    if staff:
        log_in(page, server.url)
    page.goto(server.url + path.format(demo=demo))
    seen: list[dict[str, object]] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_INDICATOR_SCRIPT)
        if state is None or (seen and state["label"] == seen[0]["label"]):
            break
        seen.append(state)
    assert len(seen) >= 3, "Tab reached almost nothing on the page"
    invisible = [state["label"] for state in seen if not state["visible"]]
    assert invisible == []
