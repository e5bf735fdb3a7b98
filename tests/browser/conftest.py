"""Browser tests: the real app over HTTP, Debian's headless chromium, a local SMTP sink, axe-core.

Every test here is marked ``browser``. The server is the real application,
served by werkzeug in a background thread on 127.0.0.1 and a free port, on a
fresh migrated SQLite file, with CSRF protection on and its mail going to an
aiosmtpd server inside the test process.

What the machine lacks is installed when CI=true and skipped with the reason
elsewhere: chromium (``apt-get install -y chromium``; a browser cannot be
downloaded by Playwright here) and axe-core (``npm ci``, from package-lock.json,
with npm from apt when it is missing).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, sync_playwright
from playwright.sync_api import Response as PageResponse
from werkzeug.serving import BaseWSGIServer, make_server

from surveyapp import ROOT, create_app, db
from surveyapp.mail.worker import CycleResult, Worker
from surveyapp.models import utcnow
from surveyapp.services import responses, surveys
from tests import factories
from tests.databases import IN_CI
from tests.factories_enps import gen_anonymous_answers, gen_org_chart, gen_reportable, hr

BROWSER_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("SURVEYAPP_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps trying hosts it cannot reach.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ADMIN_EMAIL = "admin@example.com"
# Milliseconds Playwright waits for a page or an element before failing the test.
TIMEOUT_MS = 10_000


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``browser`` (``-m "not browser"`` leaves them out)."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _missing(reason: str) -> None:
    """Fail in CI, where everything must run; skip with the reason elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests are required)")
    pytest.skip(reason)


def _run(command: list[str], cwd: Path | None = None) -> None:
    """Run an install step (never asking questions); raise with its output when it fails."""
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def _apt_install_in_ci(package: str) -> None:
    """Install a Debian package when CI=true (CI runs as root); do nothing elsewhere."""
    if IN_CI and shutil.which("apt-get"):
        _run(["apt-get", "update"])
        _run(["apt-get", "install", "-y", package])


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's chromium; installed with apt when CI=true and it is missing."""
    if not Path(CHROMIUM).exists():
        _apt_install_in_ci("chromium")
    if not Path(CHROMIUM).exists():
        _missing(f"chromium not found at {CHROMIUM} (install it with: apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's script, installed from package-lock.json with ``npm ci`` when missing."""
    if not AXE_SCRIPT.exists():
        if shutil.which("npm") is None:
            _apt_install_in_ci("npm")
        if shutil.which("npm") is None:
            _missing("npm is not installed, so axe-core cannot be installed (run: npm ci)")
        _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT)
    if not AXE_SCRIPT.exists():
        _missing(f"{AXE_SCRIPT} is missing after npm ci")
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """The Playwright driver process, shared by the whole run."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_executable: str) -> Iterator[Browser]:
    """One headless chromium for the whole run; each test opens its own contexts."""
    instance = playwright_driver.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
    )
    yield instance
    instance.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """An aiosmtpd handler keeping every message it receives; its server listens on ``port``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        """Keep the message (aiosmtpd's hook for the DATA command)."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def survey_links(self) -> dict[str, str]:
        """Recipient address -> the survey link (``…/s/<token>``) of its plain-text part."""
        links: dict[str, str] = {}
        with self._lock:
            messages = list(self.messages)
        for message in messages:
            body = message.get_body(preferencelist=("plain",))
            assert body is not None, "the invitation has no plain-text part"
            found = re.findall(r"https?://\S+/s/[\w-]+(?=\s)", body.get_content())
            assert found, "no survey link in the email"
            links[str(message["To"])] = found[-1]
        return links


@dataclass
class LiveServer:
    """The application served over HTTP, with its mail sink."""

    app: Flask
    url: str
    mail: MailSink

    def deliver_outbox(self) -> CycleResult:
        """Run the outbox worker once, as ``flask worker --once`` does."""
        return Worker(self.app).run_once()

    def seed(self, build: Callable[[], Any]) -> Any:
        """Run ``build`` (factories, services) in an app context of the server's app."""
        with self.app.app_context():
            try:
                return build()
            finally:
                db.session().close()


@pytest.fixture
def live_server(
    tmp_path: Path, sqlite_template: Path, mail_sink_server: MailSink
) -> Iterator[LiveServer]:
    """The real application on a fresh migrated SQLite file, with no account yet."""
    with _serving(tmp_path / "live.db", sqlite_template, mail_sink_server) as server:
        yield server


@pytest.fixture
def mail_sink_server() -> Iterator[MailSink]:
    """An SMTP server on a free port of 127.0.0.1 keeping every message."""
    with _mail_sink() as sink:
        yield sink


@contextmanager
def _mail_sink() -> Iterator[MailSink]:
    """An aiosmtpd server on a free port for the duration of a ``with`` block."""
    sink = MailSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@contextmanager
def _serving(database: Path, template: Path, sink: MailSink) -> Iterator[LiveServer]:
    """The application on a copy of the migrated ``template``, served until the block ends."""
    shutil.copyfile(template, database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "browser-test-secret-key",
            "ARGON2_PROFILE": "CHEAPEST",
            "COMPANY_NAME": "Acme",
            "BASE_URL": url,
            "MAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "MAIL_FROM": "surveys@acme.test",
            "CONTACT_IMPORT_DIR": str(database.parent / "imports"),
            # Every page comes from 127.0.0.1 here: one person's limits would stop the run.
            "RATELIMIT_ENABLED": False,
        }
    )
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url, mail=sink)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["surveyapp.engine"].dispose()


@dataclass
class WatchedPage:
    """A page and what went wrong while it loaded: console errors and failed requests."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every console error and failed request seen so far."""
        return [*self.console_errors, *self.failed_requests]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., WatchedPage]]:
    """Open a page in a new browser context (its own cookies), watched for errors.

    Keyword arguments go to ``browser.new_context`` (viewport, locale, color_scheme…).
    """
    contexts = []

    def opener(**options: Any) -> WatchedPage:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        watched = WatchedPage(context.new_page())

        def on_console(message: ConsoleMessage) -> None:
            # "Failed to load resource" repeats a response that on_response judges itself.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                watched.console_errors.append(f"console: {message.text} ({message.location})")

        def on_failed(request: Request) -> None:
            # ERR_ABORTED: the test navigated on before a late request (the icon) finished.
            if request.failure != "net::ERR_ABORTED":
                watched.failed_requests.append(
                    f"failed: {request.method} {request.url} ({request.failure})"
                )

        def on_response(response: PageResponse) -> None:
            # A page may answer 4xx on purpose (a form with errors, "already answered"); a 5xx
            # or a 4xx for anything the page itself loads is a failure.
            document = response.request.resource_type == "document"
            if response.status >= 500 or (response.status >= 400 and not document):
                watched.failed_requests.append(f"{response.status}: {response.url}")

        watched.page.on("console", on_console)
        watched.page.on("requestfailed", on_failed)
        watched.page.on("response", on_response)
        return watched

    yield opener
    for context in contexts:
        context.close()


def log_in(page: Page, base_url: str, email_address: str = ADMIN_EMAIL) -> None:
    """Log in through the login form."""
    page.goto(f"{base_url}/login")
    page.locator("input[name=email]").fill(email_address)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/surveys$"))


# The rule sets axe runs: WCAG 2.x A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def run_axe(page: Page, script: Path, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now.

    ``rules`` limits the run to those rule ids (every WCAG A/AA rule and best practice
    otherwise).
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # add_script_tag with a path inlines the file: the page's CSP would block that,
        # so the script is evaluated directly instead (the test's own code, not the page's).
        page.evaluate(script.read_text(encoding="utf-8"))
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    result = page.evaluate(
        """async (runOnly) => {
            const results = await axe.run(document, {runOnly, resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }""",
        run_only,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@dataclass(frozen=True)
class Demo:
    """What ``demo_server`` holds: ids, tokens and slugs of the seeded data."""

    survey_id: int
    empty_survey_id: int
    public_slug: str
    token_en: str
    token_fr: str
    answered_token: str
    enps_survey_id: int


# Screenshot name -> path on the demo server ({demo} is its Demo), staff pages.
STAFF_PAGES = {
    "overview": "/overview",
    "surveys": "/surveys",
    "survey-new": "/surveys/new",
    "survey-edit": "/surveys/{demo.survey_id}",
    "survey-preview": "/surveys/{demo.survey_id}/preview",
    "survey-send": "/surveys/{demo.survey_id}/send",
    "survey-invitations": "/surveys/{demo.survey_id}/invitations",
    "results": "/surveys/{demo.survey_id}/results",
    "results-empty": "/surveys/{demo.empty_survey_id}/results",
    "reason-dashboard": "/surveys/{demo.survey_id}/reasons",
    "enps": "/surveys/{demo.enps_survey_id}/enps",
    "contacts": "/contacts",
    "contacts-import": "/contacts/import",
    "users": "/users",
    "api-keys": "/settings/api-keys",
    "audit": "/settings/audit",
    "webhooks": "/settings/webhooks",
    "reasons": "/reasons",
    "org-chart": "/org-chart",
    "cases": "/cases",
    "retention": "/retention",
    "alerts": "/cases/alerts",
}
RESPONDENT_PAGES = {
    "respondent-form": "/s/{demo.token_en}",
    "respondent-form-fr": "/s/{demo.token_fr}",
    "respondent-public-link": "/p/{demo.public_slug}",
    "respondent-thanks": "/thanks",
    "respondent-already-answered": "/s/{demo.answered_token}",
}


DEMO_ANSWERS = [
    (10, "en", "Great support team, they answered within minutes."),
    (9, "fr", "Livraison rapide et service client très agréable."),
    (9, "en", None),
    (8, "en", "Good value, the app is sometimes slow."),
    (7, "fr", None),
    (6, "en", "Too expensive for what it does."),
    (3, "fr", "Trop de bugs depuis la dernière mise à jour."),
    (10, "en", None),
]


def _seed_demo() -> Demo:
    """An admin (with HR access), two contacts, an NPS survey with answers, an empty survey,
    an eNPS survey with an org chart and yesterday's anonymous answers."""
    hr(factories.gen_user("admin", email=ADMIN_EMAIL))
    alice = factories.gen_contact("alice@example.com", language="en", attributes={"plan": "pro"})
    bruno = factories.gen_contact("bruno@example.com", language="fr", attributes={"plan": "free"})
    survey = factories.gen_survey("nps", title="Customer NPS")
    by_type = {question.type: question.id for question in survey.questions}
    for score, language, comment in DEMO_ANSWERS:
        answers = {by_type["nps"]: responses.AnswerValue(number=score)}
        if comment:
            answers[by_type["text"]] = responses.AnswerValue(text=comment)
        responses.submit_response(
            survey, answers, language=language, submission_key=responses.new_submission_key()
        )
    invitation_en = factories.gen_invitation(survey, alice)
    invitation_fr = factories.gen_invitation(survey, bruno)
    empty = factories.gen_survey("csat", title="Onboarding CSAT")
    anonymous = factories.gen_survey("enps", title="Team eNPS")
    answered = factories.gen_invitation(anonymous, alice)
    answered.status = "answered"
    answered.answered_at = utcnow()
    db.session().commit()
    assert surveys.get_survey(anonymous.id).anonymous
    gen_reportable("team")
    gen_org_chart("team,department\nSupport,Operations\nSales,Revenue\n")
    for team, scores in (("Support", [9, 10, 8, 6, 3]), ("Sales", [10, 9, 9, 7, 5, 8])):
        gen_anonymous_answers(
            anonymous, scores, segment={"team": team}, comment="Great colleagues, low pay"
        )
    return Demo(
        survey_id=survey.id,
        empty_survey_id=empty.id,
        public_slug=survey.public_slug,
        token_en=invitation_en.token,
        token_fr=invitation_fr.token,
        answered_token=answered.token,
        enps_survey_id=anonymous.id,
    )


@pytest.fixture(scope="session")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[LiveServer, Demo]]:
    """A server shared by the read-only tests (accessibility, screenshots), with seeded data."""
    directory = tmp_path_factory.mktemp("demo")
    with _mail_sink() as sink, _serving(directory / "demo.db", sqlite_template, sink) as server:
        yield server, server.seed(_seed_demo)
