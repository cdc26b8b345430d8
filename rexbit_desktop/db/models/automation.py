"""Automation rules, the events they react to, their runs; webhook endpoints and their outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, created_at_column, updated_at_column


class AutomationRule(Base):
    """A rule: on an event, when every condition holds, run the actions in order."""

    __tablename__ = "automation_rules"
    __table_args__ = (
        # The three built-in rules (the old order-settings switches): one row each.
        Index(
            "ux_automation_rules_builtin",
            "builtin",
            unique=True,
            postgresql_where=text("builtin IS NOT NULL"),
        ),
        Index("ix_automation_rules_event", "event", "priority", postgresql_where=text("enabled")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    priority: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    conditions: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    actions: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    stop_on_failure: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    builtin: Mapped[str | None] = mapped_column(String(60))
    updated_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class AutomationEvent(Base):
    """Something that happened to an order, written in the transaction that made it happen; rules and
    webhooks are worked out from here after the commit (``automation:process_events``)."""

    __tablename__ = "automation_events"
    __table_args__ = (
        Index("ix_automation_events_pending", "id", postgresql_where=text("processed_at IS NULL")),
        Index("ix_automation_events_order_sequence", "order_id", "sequence"),
        # The daily "in status for N days" event fires once per stay in a status.
        Index("ux_automation_events_dedupe", "order_id", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    """Per order, increasing: receivers of webhooks order events by it."""
    depth: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    """0 for a person's or a job's change; n+1 for a change made by a rule run at depth n."""
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AutomationRun(Base):
    """One rule run for one order at one event: the unique key makes it happen at most once."""

    __tablename__ = "automation_runs"
    __table_args__ = (
        UniqueConstraint("event_id", "rule_id", "order_id"),
        {"postgresql_with": {"fillfactor": 60}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys: a pass over 10,000 orders writes ~100,000 runs at once and each key is a lookup
    # per row. Deleting a rule deletes its runs (services/automation/rules.py); the runs of a deleted
    # order stay as history.
    event_id: Mapped[int] = mapped_column(BigInteger)
    rule_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="claimed", server_default="claimed")
    """claimed (the run's actions were started; their results are in order_audit_logs) or failed (one of
    its actions failed)."""
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderTag(Base):
    """A tag (flag) on an order, set by hand or by a rule's "set tag" action."""

    __tablename__ = "order_tags"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    """Webhook types sent here, e.g. ["orders.updated"]; empty: only rules' "call webhook" actions."""
    secrets: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    """``whsec_`` secrets, newest first; every one signs (rotation)."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    allow_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An administrator allowed targets in private/loopback ranges (SSRF guard off for this endpoint)."""
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WebhookDelivery(Base):
    """The outbox: one message to one endpoint, tried until delivered, failed or a day is over."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed', 'cancelled')", name="status"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    """``webhook-id``: the same on every attempt, so a receiver can drop duplicates."""
    type: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("automation_events.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    """The exact JSON that is signed and sent (the same bytes on every attempt)."""
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    """The start of the receiver's answer (at most 1,000 characters) or the error."""
    duration_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
