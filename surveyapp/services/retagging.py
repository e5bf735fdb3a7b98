"""Re-tagging every stored comment with the current taxonomy, in the background.

A taxonomy change offers "Re-tag history"; the manager's click queues a
``RetagJob`` (a second click while one waits reuses it). The ``flask worker``
loop runs it in batches of answers, in id order, each batch committed with the
job's progress (``done``, and ``cursor``, the last answer id handled): the page
polls that progress, and a job whose worker died resumes at its cursor once its
lease expires. Manual tags and a manager's removals are never touched
(``tagging.retag_answers``).

One job runs at a time, whatever the number of workers. Only the oldest
unfinished job can be claimed, and claiming takes a lease on it, with the
outbox's approach (``mail.outbox``): on PostgreSQL the row is locked with
``FOR UPDATE SKIP LOCKED`` (a worker that finds it locked takes nothing); on
SQLite one ``UPDATE … RETURNING`` statement takes the database's write lock and
the lease together. A worker renews its lease with every batch.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import Answer, RetagJob, User, utcnow
from surveyapp.services import audit, tagging
from surveyapp.services.errors import NotFound

__all__ = [
    "BATCH_SIZE",
    "LEASE_SECONDS",
    "JobProgress",
    "claim_job",
    "get_job",
    "latest_job",
    "queue_retag",
    "run_batch",
    "work",
]

BATCH_SIZE = 200
LEASE_SECONDS = 300
# Time one worker cycle spends re-tagging before it sees to the outbox again.
CYCLE_SECONDS = 5.0
MAX_ERROR_LENGTH = 1000
UNFINISHED = ("queued", "running")


@dataclass(frozen=True)
class JobProgress:
    """A job as the progress page and its JSON show it."""

    id: int
    status: str
    total: int
    done: int
    changed: int
    error: str | None
    requested_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        """Whether the job is over (done or failed)."""
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 for a job with nothing to do once done)."""
        if self.total <= 0:
            return 100 if self.status == "done" else 0
        return min(100, self.done * 100 // self.total)

    def as_json(self) -> dict[str, object]:
        """The polling endpoint's shape."""
        return {
            "id": self.id,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "changed": self.changed,
            "percent": self.percent,
            "error": self.error,
            "finished": self.finished,
        }


def _progress(job: RetagJob, email: str | None) -> JobProgress:
    return JobProgress(
        id=job.id,
        status=job.status,
        total=job.total,
        done=job.done,
        changed=job.changed,
        error=job.error,
        requested_by=email,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _texts() -> sa.Select[tuple[int]]:
    """The answers a job goes through: every non-empty text answer, in id order."""
    return sa.select(Answer.id).where(Answer.text.is_not(None), Answer.text != "")


def queue_retag(user: User | None) -> RetagJob:
    """Queue a re-tag of every stored comment; a job still waiting to start is reused."""
    session = db.session()
    waiting = session.scalar(
        sa.select(RetagJob).where(RetagJob.status == "queued").order_by(RetagJob.id).limit(1)
    )
    if waiting is not None:
        return waiting
    total = session.scalar(sa.select(sa.func.count()).select_from(_texts().subquery())) or 0
    job = RetagJob(
        status="queued",
        total=total,
        requested_by_id=user.id if user is not None else None,
        created_at=utcnow(),
    )
    session.add(job)
    audit.record(None, "reason.retag_queued", job, {"total": total})
    session.commit()
    return job


def get_job(job_id: int) -> JobProgress:
    """One job's progress. Raises NotFound."""
    session = db.session()
    row = session.execute(
        sa.select(RetagJob, User.email)
        .outerjoin(User, User.id == RetagJob.requested_by_id)
        .where(RetagJob.id == job_id)
    ).first()
    if row is None:
        raise NotFound(_("No such re-tagging job."))
    # Progress is written by the worker's own sessions: read the row afresh.
    session.refresh(row[0])
    return _progress(row[0], row[1])


def latest_job() -> JobProgress | None:
    """The most recent job, or None."""
    job_id = db.session().scalar(sa.select(sa.func.max(RetagJob.id)))
    return get_job(job_id) if job_id is not None else None


def claim_job(
    owner: str, *, lease_seconds: int = LEASE_SECONDS, now: dt.datetime | None = None
) -> int | None:
    """Take (or renew) the lease of the oldest unfinished job for ``owner`` and commit;
    return its id, or None when there is none or another worker holds it."""
    now = now or utcnow()
    session = db.session()
    # A write transaction must start with its write on SQLite (see mail.outbox).
    session.commit()
    oldest = (
        sa.select(RetagJob.id)
        .where(RetagJob.status.in_(UNFINISHED))
        .order_by(RetagJob.id)
        .limit(1)
        .scalar_subquery()
    )
    free = sa.or_(
        RetagJob.lease_owner.is_(None),
        RetagJob.lease_owner == owner,
        RetagJob.lease_expires_at < now,
    )
    lease = {
        "status": "running",
        "lease_owner": owner,
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
        "started_at": sa.func.coalesce(
            RetagJob.started_at, sa.literal(now, RetagJob.started_at.type)
        ),
    }
    if session.get_bind().dialect.name == "postgresql":
        job_id = session.scalar(
            sa.select(RetagJob.id)
            .where(RetagJob.id == oldest, RetagJob.status.in_(UNFINISHED), free)
            .with_for_update(skip_locked=True)
        )
        if job_id is not None:
            session.execute(
                sa.update(RetagJob)
                .where(RetagJob.id == job_id)
                .values(**lease)
                .execution_options(synchronize_session=False)
            )
    else:
        job_id = session.scalar(
            sa.update(RetagJob)
            .where(RetagJob.id == oldest, free)
            .values(**lease)
            .returning(RetagJob.id)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return job_id


def run_batch(owner: str, batch_size: int = BATCH_SIZE) -> int | None:
    """Claim the current job and re-tag its next batch, committing the progress.

    Returns the answers handled (0 when the job just finished), or None when there
    is no job this worker may run. A batch that raises marks the job failed.
    """
    job_id = claim_job(owner)
    if job_id is None:
        return None
    session = db.session()
    job = session.get(RetagJob, job_id, populate_existing=True)
    if job is None:  # pragma: no cover - jobs are never deleted
        return None
    try:
        ids = list(
            session.scalars(
                _texts().where(Answer.id > job.cursor).order_by(Answer.id).limit(batch_size)
            )
        )
        if not ids:
            _finish(job, "done")
            return 0
        changed = tagging.retag_answers(ids, tagging.context())
        job.done += len(ids)
        job.changed += changed
        job.cursor = ids[-1]
        # New comments since the job was queued are handled too: the total follows.
        job.total = max(job.total, job.done)
        session.commit()
        return len(ids)
    except Exception as exc:
        session.rollback()
        job = session.get(RetagJob, job_id, populate_existing=True)
        if job is not None:
            job.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
            _finish(job, "failed")
        raise


def _finish(job: RetagJob, status: str) -> None:
    job.status = status
    job.finished_at = utcnow()
    job.lease_owner = None
    job.lease_expires_at = None
    db.session().commit()


def work(owner: str, *, batch_size: int = BATCH_SIZE, seconds: float = CYCLE_SECONDS) -> int:
    """Run re-tag batches for up to ``seconds`` (at least one batch); return answers handled."""
    session = db.session()
    # The usual case, no job: one read, and no write lock taken on SQLite.
    unfinished = sa.select(RetagJob.id).where(RetagJob.status.in_(UNFINISHED)).limit(1)
    if session.scalar(unfinished) is None:
        session.commit()
        return 0
    deadline = time.monotonic() + seconds
    handled = 0
    while True:
        count = run_batch(owner, batch_size)
        if not count:
            return handled
        handled += count
        if time.monotonic() >= deadline:
            return handled
