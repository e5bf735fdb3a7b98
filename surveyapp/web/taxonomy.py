"""The reasons pages: the workspace's churn-reason taxonomy, re-tagging history with its
progress, and correcting the reasons of one comment.

Viewers read the taxonomy and a re-tag's progress; editors and admins change
them, queue a re-tag and correct comments. A taxonomy change does not re-tag
history by itself: a manager often makes several changes in a row (a rename
needs none), so the pages offer one "Re-tag history" for all of them.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms.fields.choices import SelectChoice

from surveyapp.forms.taxonomy import ButtonForm, CorrectionForm, KeywordForm, MergeForm, ReasonForm
from surveyapp.services import corrections, reasons, retagging, survey_access, taxonomy
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.web.access import role_required
from surveyapp.web.dashboard import LANGUAGE_NAMES

__all__ = ["bp"]

bp = Blueprint("taxonomy", __name__)


def _status_names() -> dict[str, str]:
    return {"active": _("Active"), "retired": _("Retired"), "merged": _("Merged")}


def _render_list(form: ReasonForm, status: int = 200) -> tuple[str, int]:
    tags = taxonomy.list_tags()
    job = retagging.latest_job()
    changed = taxonomy.last_change()
    return (
        render_template(
            "taxonomy/list.html",
            tags=tags,
            by_id={tag.id: tag for tag in tags},
            form=form,
            button=ButtonForm(),
            job=job,
            stale=changed is not None and (job is None or changed > job.created_at),
            reason_name=reasons.reason_namer(),
            statuses=_status_names(),
        ),
        status,
    )


@bp.get("/reasons")
@role_required("viewer")
def list_reasons() -> tuple[str, int]:
    """Every reason with its status and keywords, a form to add one, and re-tagging."""
    return _render_list(ReasonForm(formdata=None))


@bp.post("/reasons")
@role_required("editor")
def new_reason() -> WerkzeugResponse | tuple[str, int]:
    """Add a reason of the workspace's own; errors are shown next to the kept input."""
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            tag = taxonomy.create_tag(form.label_en.data, form.label_fr.data)
        except InvalidInput as exc:
            _show_error(form, exc)
        else:
            flash(
                _("Reason “%(name)s” added: give it keywords.", name=tag.label(_language())),
                "success",
            )
            return redirect(url_for("taxonomy.edit_reason", tag_id=tag.id))
    return _render_list(form, 400)


@bp.route("/reasons/<int:tag_id>", methods=["GET", "POST"])
@role_required("viewer")
def edit_reason(tag_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """One reason: rename it, its keywords per language, merge, retire or restore it."""
    if request.method == "POST" and not current_user.can("editor"):
        abort(403)
    try:
        tag = taxonomy.get_tag(tag_id)
    except NotFound:
        abort(404)
    forms: dict[str, Any] = {
        "rename": ReasonForm(
            prefix="rename",
            formdata=None if request.method == "GET" else request.form,
            label_en=tag.label_en,
            label_fr=tag.label_fr,
        ),
        "keyword": KeywordForm(prefix="keyword"),
        "merge": MergeForm(prefix="merge"),
        "retire": ButtonForm(prefix="retire"),
        "restore": ButtonForm(prefix="restore"),
    }
    name = reasons.reason_namer()
    forms["merge"].target.choices = [
        SelectChoice(0, _("Choose a reason")),
        *(
            SelectChoice(other.id, name(other.code))
            for other in taxonomy.list_tags()
            if other.id != tag.id and other.status == "active"
        ),
    ]
    failed = None
    if request.method == "POST":
        action = request.form.get("action", "")
        form = forms.get(action)
        if form is None:
            abort(400)
        if form.validate_on_submit():
            try:
                message = _act(tag.id, action, form)
            except InvalidInput as exc:
                _show_error(form, exc)
            else:
                flash(message, "success")
                if action == "merge":
                    return redirect(url_for("taxonomy.list_reasons"))
                return redirect(url_for("taxonomy.edit_reason", tag_id=tag.id))
        failed = action
        tag = taxonomy.get_tag(tag_id)
    page = render_template(
        "taxonomy/reason.html",
        tag=tag,
        forms=forms,
        failed=failed,
        button=ButtonForm(),
        reason_name=name,
        statuses=_status_names(),
        language_names=LANGUAGE_NAMES,
        merged_into=taxonomy.get_tag(tag.merged_into_id) if tag.merged_into_id else None,
    )
    return (page, 400) if failed else page


def _act(tag_id: int, action: str, form: Any) -> str:
    """Run one change of a reason with the form's data; returns the message to flash."""
    later = _("Re-tag history to apply it to past comments.")
    if action == "rename":
        taxonomy.rename_tag(tag_id, form.label_en.data, form.label_fr.data)
        return _("The reason is renamed.")
    if action == "keyword":
        keyword = taxonomy.add_keyword(tag_id, form.language.data, form.phrase.data)
        return _("“%(phrase)s” added.", phrase=keyword.phrase) + " " + later
    if action == "merge":
        target = taxonomy.merge_tag(tag_id, form.target.data or None)
        return _(
            "Merged into “%(name)s”: its comments now carry that reason.",
            name=reasons.reason_namer()(target.code),
        )
    if action == "retire":
        taxonomy.retire_tag(tag_id)
        return _("The reason is retired: it no longer tags comments and is hidden everywhere.")
    taxonomy.restore_tag(tag_id)
    return _("The reason is restored, with its history.") + " " + later


@bp.post("/reasons/<int:tag_id>/keywords/<int:keyword_id>/delete")
@role_required("editor")
def remove_keyword(tag_id: int, keyword_id: int) -> WerkzeugResponse:
    """Remove one keyword of a reason."""
    if not ButtonForm().validate_on_submit():
        flash(_("The change could not be read; please try again."), "error")
        return redirect(url_for("taxonomy.edit_reason", tag_id=tag_id))
    try:
        keyword = taxonomy.remove_keyword(tag_id, keyword_id)
    except NotFound:
        abort(404)
    flash(
        _("“%(phrase)s” removed.", phrase=keyword.phrase)
        + " "
        + _("Re-tag history to apply it to past comments."),
        "success",
    )
    return redirect(url_for("taxonomy.edit_reason", tag_id=tag_id))


@bp.post("/reasons/retag")
@role_required("editor")
def retag_history() -> WerkzeugResponse:
    """Queue a re-tag of every stored comment and show its progress."""
    if not ButtonForm().validate_on_submit():
        flash(_("The change could not be read; please try again."), "error")
        return redirect(url_for("taxonomy.list_reasons"))
    job = retagging.queue_retag(current_user._get_current_object())
    return redirect(url_for("taxonomy.retag_job", job_id=job.id))


@bp.get("/reasons/jobs/<int:job_id>")
@role_required("viewer")
def retag_job(job_id: int) -> str:
    """A re-tag's progress bar (refreshed by retag.js, or by the page itself without JS)."""
    try:
        job = retagging.get_job(job_id)
    except NotFound:
        abort(404)
    return render_template(
        "taxonomy/job.html", job=job, status_text=_status_text(job), summary=_summary(job)
    )


@bp.get("/reasons/jobs/<int:job_id>/progress")
@role_required("viewer")
def retag_job_status(job_id: int) -> Response:
    """A re-tag's progress as JSON, polled by the progress page."""
    try:
        job = retagging.get_job(job_id)
    except NotFound:
        abort(404)
    response = jsonify(
        {**job.as_json(), "status_text": _status_text(job), "summary": _summary(job)}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _status_text(job: retagging.JobProgress) -> str:
    return {
        "queued": _("Waiting for the worker to start it."),
        "running": _("Running."),
        "done": _("Done."),
        "failed": _("Failed."),
    }.get(job.status, job.status)


def _summary(job: retagging.JobProgress) -> str:
    return _(
        "%(done)s of %(total)s comments (%(percent)s %%), %(changed)s changed.",
        done=format_number(job.done),
        total=format_number(job.total),
        percent=job.percent,
        changed=format_number(job.changed),
    )


@bp.route("/answers/<int:answer_id>/tags", methods=["GET", "POST"])
@role_required("editor")
def correct_tags(answer_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """The reasons of one comment, which a manager adds or removes; every change is kept."""
    try:
        view = corrections.get_answer_tags(answer_id)
    except NotFound:
        abort(404)
    # eNPS comments are for HR and the accounts a survey is shared with.
    if not survey_access.survey_access(current_user._get_current_object(), view.survey).full:
        abort(404)
    name = reasons.reason_namer()
    form = CorrectionForm(
        formdata=request.form if request.method == "POST" else None,
        tags=[row.tag for row in view.tags],
    )
    form.tags.choices = [SelectChoice(tag.code, name(tag.code)) for tag in view.choices]
    if request.method == "POST" and form.validate_on_submit():
        try:
            added, removed = corrections.correct_tags(
                answer_id, form.tags.data or [], current_user._get_current_object()
            )
        except InvalidInput as exc:
            form.tags.errors = [*form.tags.errors, str(exc)]
        else:
            if added or removed:
                flash(_("The reasons of this comment are corrected."), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(
                _local(request.form.get("next"))
                or url_for("taxonomy.correct_tags", answer_id=answer_id)
            )
    page = render_template(
        "taxonomy/correct.html",
        view=view,
        form=form,
        reason_name=name,
        back=_local(request.values.get("next")),
        language_names=LANGUAGE_NAMES,
    )
    return (page, 400) if form.errors else page


def _local(target: str | None) -> str:
    """``target`` when it is a path of this site (the page a correction came from), else ""."""
    target = target or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def _show_error(form: Any, exc: InvalidInput) -> None:
    """Put a service's error next to the field it names, else at the top of the form."""
    field = getattr(form, exc.field or "", None)
    if field is None:
        form.form_errors.append(str(exc))
    else:
        field.errors.append(str(exc))


def _language() -> str:
    return str(get_locale() or "en")
