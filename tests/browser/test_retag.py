"""Re-tagging the history in a real browser: the job page's progress bar follows the worker."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from surveyapp.services import responses, retagging
from tests import factories
from tests.browser.conftest import ADMIN_EMAIL, LiveServer, WatchedPage, log_in

COMMENTS = 30


def _seed() -> None:
    factories.gen_user("admin", email=ADMIN_EMAIL)
    survey = factories.gen_survey("nps", title="Customer NPS")
    by_type = {question.type: question.id for question in survey.questions}
    for number in range(COMMENTS):
        responses.submit_response(
            survey,
            {
                by_type["nps"]: responses.AnswerValue(number=number % 7),
                by_type["text"]: responses.AnswerValue(text=f"Far too expensive, invoice {number}"),
            },
            language="en",
            submission_key=responses.new_submission_key(),
        )


def test_the_progress_bar_follows_the_worker_to_the_end(
    live_server: LiveServer, open_page: Callable[..., WatchedPage]
) -> None:
    live_server.seed(_seed)
    watched = open_page()
    page = watched.page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/reasons")
    page.locator("#retag").get_by_role("button", name="Re-tag history").click()
    page.wait_for_url(re.compile(r"/reasons/jobs/\d+$"))
    bar = page.locator("progress#retag-progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_role("status")).to_contain_text("Waiting for the worker")

    # The worker's cycle, as `flask worker` runs it, in batches of 7 comments.
    handled = live_server.seed(lambda: retagging.work("browser-test", batch_size=7))
    assert handled == COMMENTS

    # The page polls the job and reloads itself once it is over: no click needed.
    expect(page.get_by_role("status")).to_contain_text("Done.", timeout=15_000)
    expect(bar).to_have_attribute("max", str(COMMENTS))
    expect(bar).to_have_attribute("value", str(COMMENTS))
    expect(page.get_by_role("status")).to_contain_text(f"{COMMENTS} of {COMMENTS} comments")
    assert watched.problems() == []
