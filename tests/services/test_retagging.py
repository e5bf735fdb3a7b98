"""Corrections, the model they train, and re-tagging history in the background, on a real
database."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.mail.worker import Worker
from surveyapp.models import RetagJob, TagCorrection, utcnow
from surveyapp.services import corrections, retagging, tagging, taxonomy
from surveyapp.services.errors import InvalidInput
from tests import factories
from tests.factories_reasons import gen_tagged_response, stored_tags
from tests.factories_taxonomy import comment_of, correct, reason, run_retag


def test_a_correction_is_stored_and_survives_retagging_and_resubmission(app: Flask) -> None:
    editor = factories.gen_user("editor")
    survey = factories.gen_survey("nps")
    key = "c" * 22
    response = gen_tagged_response(
        survey, "Far too expensive and the app crashes", score=2, submission_key=key
    )
    assert set(stored_tags(response.id)) == {"price", "bugs_reliability"}

    added, removed = correct(response.id, {"price", "usability"}, editor)

    assert (added, removed) == (["usability"], ["bugs_reliability"])
    tags = stored_tags(response.id)
    assert set(tags) == {"price", "usability"} and tags["usability"].source == "manual"
    rows = (
        db.session()
        .execute(
            sa.select(TagCorrection.tag, TagCorrection.action, TagCorrection.user_id).order_by(
                TagCorrection.id
            )
        )
        .all()
    )
    assert [tuple(row) for row in rows] == [
        ("usability", "add", editor.id),
        ("bugs_reliability", "remove", editor.id),
    ]

    retagging.queue_retag(editor)
    run_retag()
    assert set(stored_tags(response.id)) == {"price", "usability"}

    # The respondent answers again, still about crashes: the removal holds, the addition stays.
    gen_tagged_response(
        survey, "Far too expensive and the app crashes daily", score=3, submission_key=key
    )
    tags = stored_tags(response.id)
    assert set(tags) == {"price", "usability"} and tags["usability"].source == "manual"

    # Removing the only tag left is remembered too.
    correct(response.id, set(), editor)
    gen_tagged_response(survey, "Far too expensive", score=3, submission_key=key)
    assert stored_tags(response.id) == {}


def test_a_correction_refuses_a_retired_or_unknown_reason(app: Flask) -> None:
    editor = factories.gen_user("editor")
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "Far too expensive", score=2)
    taxonomy.retire_tag(reason("other").id)
    for wanted in ({"other"}, {"no_such_reason"}):
        with pytest.raises(InvalidInput):
            correct(response.id, wanted, editor)
    assert set(stored_tags(response.id)) == {"price"}
    # A retired tag stored on the comment is not touched by a correction.
    taxonomy.retire_tag(reason("price").id)
    correct(response.id, {"support"}, editor)
    assert set(stored_tags(response.id)) == {"price", "support"}


def test_the_model_trained_on_corrections_tags_a_similar_new_text(app: Flask) -> None:
    editor = factories.gen_user("editor")
    survey = factories.gen_survey("nps")
    before = gen_tagged_response(survey, "The gizmo wobbles yesterday", score=2)
    assert stored_tags(before.id) == {}
    texts = (
        "The gizmo wobbles again this morning",
        "My gizmo wobbles twice",
        "gizmo wobbles during the meeting",
        "Again the gizmo wobbles",
    )
    for response in [gen_tagged_response(survey, text, score=3) for text in texts]:
        assert stored_tags(response.id) == {}
        correct(response.id, {"bugs_reliability"}, editor)
    # One correction that confirms nothing is wrong in a praise keeps the model honest.
    fine = gen_tagged_response(survey, "Lovely team, nothing to add", score=5)
    correct(fine.id, set(), editor)

    new = gen_tagged_response(survey, "The gizmo wobbles yesterday", score=2)

    tags = stored_tags(new.id)
    assert "bugs_reliability" in tags and tags["bugs_reliability"].source == "model"
    assert "gizmo" in tags["bugs_reliability"].words or "wobbl" in tags["bugs_reliability"].words
    # The model is cached until the corrections change.
    model = corrections.current_model(tagging.context().keywords)
    assert corrections.current_model(tagging.context().keywords) is model
    correct(new.id, {"bugs_reliability", "support"}, editor)
    assert corrections.current_model(tagging.context().keywords) is not model


def test_no_model_without_corrections(app: Flask) -> None:
    assert corrections.current_model(None) is None
    assert tagging.context().model is None


def test_a_job_runs_in_batches_reports_progress_and_applies_a_new_keyword(app: Flask) -> None:
    editor = factories.gen_user("editor")
    survey = factories.gen_survey("nps")
    texts = [f"The thermostat number {n} again" for n in range(5)]
    ids = [gen_tagged_response(survey, text, score=2).id for text in texts]
    gen_tagged_response(survey, "Great, thanks", score=10)  # a text, not considered
    assert all(stored_tags(i) == {} for i in ids)
    hardware = taxonomy.create_tag("Hardware", "Matériel")
    taxonomy.add_keyword(hardware.id, "en", "thermostat")

    job = retagging.queue_retag(editor)
    assert retagging.queue_retag(editor).id == job.id  # a waiting job is reused
    progress = retagging.get_job(job.id)
    assert (progress.status, progress.total, progress.done, progress.percent) == (
        "queued",
        6,
        0,
        0,
    )

    assert retagging.run_batch("w1", batch_size=2) == 2
    middle = retagging.get_job(job.id)
    assert (middle.status, middle.done, middle.percent) == ("running", 2, 33)
    assert middle.as_json()["finished"] is False
    assert stored_tags(ids[0]).keys() == {"hardware"}
    assert stored_tags(ids[2]) == {}

    assert run_retag("w1", batch_size=2) == 2
    done = retagging.get_job(job.id)
    assert (done.status, done.done, done.total, done.changed, done.percent) == (
        "done",
        6,
        6,
        5,
        100,
    )
    assert done.finished_at is not None and done.requested_by == editor.email
    assert all(set(stored_tags(i)) == {"hardware"} for i in ids)
    assert retagging.run_batch("w1") is None


def test_only_one_of_two_workers_runs_a_job_and_a_dead_one_is_taken_over(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    for n in range(3):
        gen_tagged_response(survey, f"Too expensive, reason {n}", score=2)
    first = retagging.queue_retag(None)
    claimed: list[int | None] = []
    barrier = threading.Barrier(2, timeout=10)

    def claim(owner: str) -> None:
        with app.app_context():
            barrier.wait()
            claimed.append(retagging.claim_job(owner))
            db.session().close()

    threads = [threading.Thread(target=claim, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(claimed, key=str) == sorted([first.id, None], key=str)
    holder = db.session().scalar(sa.select(RetagJob.lease_owner).where(RetagJob.id == first.id))
    other = "worker-1" if holder == "worker-0" else "worker-0"
    # A second job waits for the first, even for a worker that holds no lease.
    second = retagging.queue_retag(None)
    second.status = "queued"
    db.session().commit()
    assert retagging.claim_job(other) is None
    assert retagging.run_batch(other) is None
    # The holder dies: once its lease expires the other worker takes the job over.
    later = utcnow() + dt.timedelta(seconds=retagging.LEASE_SECONDS + 1)
    assert retagging.claim_job(other, now=later) == first.id
    db.session().expire_all()
    assert db.session().get(RetagJob, first.id).lease_owner == other


def test_two_worker_loops_share_one_job_without_doing_it_twice(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    for n in range(6):
        gen_tagged_response(survey, f"Support never answered, ticket {n}", score=2)
    job = retagging.queue_retag(None)
    handled: list[int] = []
    barrier = threading.Barrier(2, timeout=10)

    def work() -> None:
        worker = Worker(app)
        barrier.wait()
        with app.app_context():
            handled.append(retagging.work(worker.owner, batch_size=2, seconds=60))
            db.session().close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(handled) == [0, 6]
    progress = retagging.get_job(job.id)
    assert (progress.status, progress.done, progress.total) == ("done", 6, 6)


def test_the_worker_cycle_runs_the_job(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "The widget broke", score=2)
    hardware = taxonomy.create_tag("Hardware", "Matériel")
    taxonomy.add_keyword(hardware.id, "en", "widget")
    job = retagging.queue_retag(None)

    result = Worker(app).run_once()

    assert result.retagged == 1 and "answers re-tagged 1" in str(result)
    assert retagging.get_job(job.id).status == "done"
    assert "hardware" in stored_tags(response.id)
    assert Worker(app).run_once().retagged == 0


def test_a_failing_batch_marks_the_job_failed(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "Too expensive", score=2)
    job = retagging.queue_retag(None)

    def broken(*_args: object) -> int:
        raise RuntimeError("the tagger broke")

    monkeypatch.setattr(tagging, "retag_answers", broken)
    with pytest.raises(RuntimeError):
        retagging.run_batch("w1")

    progress = retagging.get_job(job.id)
    assert progress.status == "failed" and "the tagger broke" in (progress.error or "")
    assert comment_of(gen_tagged_response(survey, "Too expensive", score=2).id) is not None
