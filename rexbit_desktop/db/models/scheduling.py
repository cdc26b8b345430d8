from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, created_at_column, updated_at_column


class Schedule(Base):
    """A recurring job: which task, with which arguments, on which cron expression."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    task: Mapped[str] = mapped_column(String(200))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    cron: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    without_overlapping: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    on_one_server: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ScheduleRun(Base):
    """One due tick of a schedule; the unique key makes every tick run once across all hosts."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    host: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(32), default="deferred", server_default="deferred")
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class JobFailure(Base):
    """One failed attempt of a queued job: procrastinate keeps only the status, we keep the error.

    ``job_id`` points at ``procrastinate_jobs.id`` without a foreign key (migration 0001 owns that table);
    deleting failed jobs (flush, prune) deletes their failures in the same transaction.
    """

    __tablename__ = "job_failures"
    __table_args__ = (Index("ix_job_failures_job_id_failed_at", "job_id", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int]
    attempt: Mapped[int]
    task_name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(128))
    error: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[datetime] = created_at_column()


class WorkerSignal(Base):
    """A broadcast to every worker on every host, e.g. ``restart`` (``rexbit queue restart``).

    Workers remember the signal's time when they start and stop after their current job once it moves.
    """

    __tablename__ = "worker_signals"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    signalled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
