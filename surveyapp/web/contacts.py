"""The contact pages: list and search, create, edit, delete, CSV import and attribute types.

The import is upload -> preview -> confirm -> report. Between preview and
confirm the file waits in the session cookie when small, else in a file named
by a random id under the instance folder, removed once imported or cancelled.
"""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from surveyapp.forms.contacts import (
    ATTRIBUTE_FIELD_PREFIX,
    ATTRIBUTE_TYPE_LABELS,
    AttributeForm,
    ConfirmImportForm,
    ContactFilterForm,
    DeleteContactForm,
    ImportForm,
    NewAttributeForm,
    attribute_values,
    contact_form_class,
)
from surveyapp.models import Contact
from surveyapp.services import contacts
from surveyapp.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from surveyapp.web.access import role_required

__all__ = ["bp"]

bp = Blueprint("contacts", __name__)

STASH_KEY = "contact_import"
# Files up to this size travel in the signed session cookie (browsers cap cookies near 4 KB).
SESSION_STASH_MAX = 1500
# Room for the multipart envelope around the file when checking Content-Length.
MULTIPART_SLACK = 16 * 1024
STASH_MAX_AGE_SECONDS = 24 * 3600


@bp.route("/contacts")
@role_required("viewer")
def list_contacts() -> str | tuple[str, int]:
    """Contacts by email, with a search, an attribute segment and pages."""
    definitions = contacts.list_attributes()
    form = ContactFilterForm(formdata=request.args)
    form.attribute.choices = [SelectChoice("", _("Any attribute"))] + [
        SelectChoice(definition.key, definition.label or definition.key)
        for definition in definitions
    ]
    segment: dict[str, Any] = {}
    if form.validate() and form.attribute.data and (form.value.data or "").strip():
        segment = {form.attribute.data: form.value.data}
    page_number = request.args.get("page", 1, type=int) or 1
    try:
        page = contacts.list_contacts(page_number, form.q.data or "", segment)
    except InvalidInput as exc:
        form.value.errors = [*form.value.errors, str(exc)]
        page = contacts.list_contacts(page_number, form.q.data or "")
    filtered = bool((form.q.data or "").strip() or segment)
    html = render_template(
        "contacts/list.html",
        form=form,
        page=page,
        filtered=filtered,
        definitions=definitions,
        query_args={
            key: value
            for key, value in (
                ("q", form.q.data),
                ("attribute", form.attribute.data),
                ("value", form.value.data),
            )
            if value
        },
    )
    return (html, 400) if form.errors else html


@bp.route("/contacts/new", methods=["GET", "POST"])
@role_required("editor")
def new_contact() -> str | tuple[str, int] | Response:
    """Add one contact by hand."""
    definitions = contacts.list_attributes()
    form = contact_form_class(definitions)()
    if form.validate_on_submit():
        try:
            contact = contacts.create_contact(
                form.email.data,
                form.name.data or "",
                form.language.data or None,
                attribute_values(form),
            )
        except (InvalidInput, Conflict) as exc:
            _attach_error(form, exc)
        else:
            flash(_("Contact added."), "success")
            return redirect(url_for("contacts.edit_contact", contact_id=contact.id))
    html = render_template(
        "contacts/edit.html",
        form=form,
        contact=None,
        definitions=definitions,
        prefix=ATTRIBUTE_FIELD_PREFIX,
    )
    return (html, 400) if form.errors else html


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
@role_required("viewer")
def edit_contact(contact_id: int) -> str | tuple[str, int] | Response:
    """Show a contact (read-only for viewers); editors change it here."""
    if request.method == "POST" and not current_user.can("editor"):
        abort(403)
    contact = _contact_or_404(contact_id)
    definitions = contacts.list_attributes()
    form_class = contact_form_class(definitions)
    if request.method == "GET":
        form = form_class(data=_form_data(contact))
    else:
        form = form_class()
        if form.validate_on_submit():
            try:
                contacts.update_contact(
                    contact.id,
                    email=form.email.data,
                    name=form.name.data or "",
                    language=form.language.data or None,
                    attributes=attribute_values(form),
                )
            except (InvalidInput, Conflict) as exc:
                _attach_error(form, exc)
            else:
                flash(_("Contact saved."), "success")
                return redirect(url_for("contacts.edit_contact", contact_id=contact.id))
    html = render_template(
        "contacts/edit.html",
        form=form,
        contact=contact,
        definitions=definitions,
        prefix=ATTRIBUTE_FIELD_PREFIX,
        delete_form=DeleteContactForm(formdata=None, prefix="delete"),
    )
    return (html, 400) if form.errors else html


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST"])
@role_required("editor")
def delete_contact(contact_id: int) -> Response:
    """Delete a contact and their invitations once the confirmation box is ticked."""
    contact = _contact_or_404(contact_id)
    form = DeleteContactForm(prefix="delete")
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm the deletion."), "error")
        return redirect(url_for("contacts.edit_contact", contact_id=contact.id) + "#delete")
    email = contact.email
    try:
        contacts.delete_contact(contact.id)
    except NotFound:
        abort(404)
    flash(
        _(
            "%(email)s is deleted, with their invitations. Their answers stay, anonymised.",
            email=email,
        ),
        "success",
    )
    return redirect(url_for("contacts.list_contacts"))


@bp.route("/contacts/import", methods=["GET", "POST"])
@role_required("editor")
def import_contacts() -> str | tuple[str, int] | Response:
    """Upload a CSV file, check the preview, then confirm to import it and read the report."""
    limit = int(current_app.config["CONTACT_IMPORT_MAX_BYTES"])
    if request.method == "GET":
        return _render_upload(ImportForm(), limit)
    # Refuse an oversized upload before any of its body is parsed or read.
    if request.content_length is not None and request.content_length > limit + MULTIPART_SLACK:
        return _too_large(limit)
    request.max_content_length = limit + MULTIPART_SLACK
    try:
        action = request.form.get("action")
    except RequestEntityTooLarge:
        return _too_large(limit)
    if action in ("confirm", "cancel"):
        return _confirm_or_cancel(action)

    form = ImportForm()
    if not form.validate_on_submit():
        return _render_upload(form, limit), 400
    upload: FileStorage = form.file.data
    data = _read_capped(upload, limit)
    if data is None:
        return _too_large(limit)
    try:
        preview = contacts.preview_import(data)
    except InvalidInput as exc:
        form.file.errors = [*form.file.errors, str(exc)]
        return _render_upload(form, limit), 400
    _stash(data, upload.filename or "contacts.csv")
    return render_template(
        "contacts/preview.html",
        preview=preview,
        filename=upload.filename or "contacts.csv",
        form=ConfirmImportForm(),
        delimiter_names={",": _("comma"), ";": _("semicolon"), "\t": _("tab")},
    )


@bp.route("/contacts/attributes", methods=["GET", "POST"])
@role_required("editor")
def list_attributes() -> str | tuple[str, int] | Response:
    """Attribute definitions: change a type, label or reporting flag, or add one."""
    definitions = contacts.list_attributes()
    new_form = NewAttributeForm(formdata=None)
    forms = {
        definition.id: AttributeForm(formdata=None, prefix=f"a{definition.id}-", obj=definition)
        for definition in definitions
    }
    if request.method == "POST":
        target = request.form.get("form", "")
        if target == "new":
            new_form = NewAttributeForm()
            if new_form.validate_on_submit() and _save_attribute(
                new_form,
                new_form.new_key.data,
                new_form.new_type.data,
                new_form.new_label.data,
                new_form.new_reportable.data,
                {"key": "new_key", "type": "new_type", "label": "new_label"},
            ):
                flash(_("Attribute added."), "success")
                return redirect(url_for("contacts.list_attributes"))
        elif target.isdigit() and int(target) in forms:
            form = AttributeForm(prefix=f"a{target}-")
            forms[int(target)] = form
            if form.validate_on_submit() and _save_attribute(
                form, form.key.data, form.type.data, form.label.data, form.reportable.data, {}
            ):
                flash(_("Attribute saved."), "success")
                return redirect(url_for("contacts.list_attributes"))
        else:
            abort(400)
    failed = new_form.errors or any(form.errors for form in forms.values())
    html = render_template(
        "contacts/attributes.html",
        definitions=definitions,
        forms=forms,
        new_form=new_form,
        type_labels=ATTRIBUTE_TYPE_LABELS,
    )
    return (html, 400) if failed else html


def _save_attribute(
    form: FlaskForm,
    key: str,
    attribute_type: str,
    label: str | None,
    reportable: bool,
    aliases: dict[str, str],
) -> bool:
    """Define the attribute; on a refusal show it on the form and return False."""
    try:
        contacts.define_attribute(key, attribute_type, label or "", bool(reportable))
    except (InvalidInput, Conflict) as exc:
        name = getattr(exc, "field", None) or ""
        field = form._fields.get(aliases.get(name, name))
        if field is None or field.type == "HiddenField":
            form.form_errors.append(str(exc))
        else:
            field.errors = [*field.errors, str(exc)]
        return False
    return True


def _confirm_or_cancel(action: str) -> str | Response:
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    stashed = _stashed()
    if action == "cancel":
        _discard_stash()
        flash(_("Import cancelled: nothing was changed."), "info")
        return redirect(url_for("contacts.import_contacts"))
    if stashed is None:
        flash(_("There is no file waiting to be imported: upload it again."), "error")
        return redirect(url_for("contacts.import_contacts"))
    data, filename = stashed
    try:
        report = contacts.import_contacts_csv(data)
    except ServiceError as exc:
        _discard_stash()
        flash(str(exc), "error")
        return redirect(url_for("contacts.import_contacts"))
    _discard_stash()
    return render_template("contacts/report.html", report=report, filename=filename)


def _too_large(limit: int) -> tuple[str, int]:
    form = ImportForm(formdata=None)
    form.file.errors = [
        _(
            "The file is larger than %(size)s: split it into smaller files.",
            size=_megabytes(limit),
        )
    ]
    return _render_upload(form, limit), 413


def _render_upload(form: ImportForm, limit: int) -> str:
    return render_template("contacts/import.html", form=form, limit_text=_megabytes(limit))


def _megabytes(size: int) -> str:
    return (
        _("%(n)s MB", n=round(size / (1024 * 1024), 1))
        if size >= 1024 * 1024
        else _("%(n)s KB", n=max(1, round(size / 1024)))
    )


def _read_capped(upload: FileStorage, limit: int) -> bytes | None:
    """The uploaded bytes, or None as soon as they pass ``limit`` (never read past it)."""
    data = upload.stream.read(limit + 1)
    return None if len(data) > limit else data


def _stash_dir() -> Path:
    configured = current_app.config.get("CONTACT_IMPORT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "contact_imports"


def _stash(data: bytes, filename: str) -> None:
    """Keep the previewed file until it is confirmed or cancelled."""
    _discard_stash()
    _remove_stale_files()
    name = filename[-200:]
    if len(data) <= SESSION_STASH_MAX:
        session[STASH_KEY] = {"data": base64.b64encode(data).decode("ascii"), "name": name}
        return
    token = secrets.token_urlsafe(18)
    directory = _stash_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{token}.csv"
    path.touch(mode=0o600)
    path.write_bytes(data)
    session[STASH_KEY] = {"file": token, "name": name}


def _stashed() -> tuple[bytes, str] | None:
    """The file kept by ``_stash`` and its name, or None when there is none."""
    stash = session.get(STASH_KEY)
    if not isinstance(stash, dict):
        return None
    name = str(stash.get("name") or "contacts.csv")
    if "data" in stash:
        return base64.b64decode(stash["data"]), name
    path = _stash_path(stash.get("file"))
    if path is None or not path.is_file():
        return None
    return path.read_bytes(), name


def _discard_stash() -> None:
    stash = session.pop(STASH_KEY, None)
    if isinstance(stash, dict):
        path = _stash_path(stash.get("file"))
        if path is not None:
            path.unlink(missing_ok=True)


def _stash_path(token: object) -> Path | None:
    # The token comes from the signed session, but a path is only built from a plain id.
    if not isinstance(token, str) or not token.replace("-", "").replace("_", "").isalnum():
        return None
    return _stash_dir() / f"{token}.csv"


def _remove_stale_files() -> None:
    """Remove files of previews that were never confirmed nor cancelled."""
    directory = _stash_dir()
    if not directory.is_dir():
        return
    cutoff = time.time() - STASH_MAX_AGE_SECONDS
    for path in directory.glob("*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _contact_or_404(contact_id: int) -> Contact:
    try:
        return contacts.get_contact(contact_id)
    except NotFound:
        abort(404)


def _form_data(contact: Contact) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": contact.email,
        "name": contact.name,
        "language": contact.language or "",
    }
    for key, value in contact.attributes.items():
        data[ATTRIBUTE_FIELD_PREFIX + key] = str(value)
    return data


def _attach_error(form: FlaskForm, exc: ServiceError) -> None:
    """Show a service's refusal next to the field it names, else at the top of the form."""
    name = getattr(exc, "field", None) or ""
    if name.startswith("attributes."):
        name = ATTRIBUTE_FIELD_PREFIX + name.removeprefix("attributes.")
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))
