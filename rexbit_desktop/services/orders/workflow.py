"""The order status workflow: validate a change, apply its side effects, record it, tell listeners.

Side effects follow the automation settings: reserve stock on entering ``awaiting_fulfillment``, issue
the WZ on entering ``picking`` or ``ready_for_shipment``, release reservations and put issued goods back
(storno IN) on cancel. They run inside the transition's transaction: either everything happens or
nothing does. Listeners hear about a change only after it was committed; a queued listener is a
procrastinate job deferred in the same transaction, for slow work (e-mails, pushing the status to the
shop).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, String, Update, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rexbit_desktop.db.models.orders import Order, OrderShipment, OrderStatusHistory
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.orders import (
    SHIPPED_STATUSES,
    OrderStatus,
    allowed_transitions,
    check_transition,
    fulfillment_on_enter,
    parse_status,
    permission_for,
)
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.orders.settings import (
    load_settings,
    prime_settings,
    settings_column,
    settings_loaded,
)
from rexbit_desktop.services.stock import issues as stock_issues
from rexbit_desktop.services.stock import ledger, stock
from rexbit_desktop.services.stock import reservations as stock_reservations
from rexbit_desktop.services.stock.documents import retry_on_deadlock
from rexbit_desktop.services.stock.dto import ReservationResultDTO

log = logging.getLogger(__name__)

STATUS_CHANGED_TASK = "orders:order_status_changed"


@dataclass(frozen=True)
class OrderStatusChanged:
    order_id: int
    order_number: str
    from_status: str | None
    to_status: str
    changed_by: str
    comment: str | None
    at: datetime


@dataclass(frozen=True)
class TransitionResult:
    order_number: str
    from_status: str | None
    to_status: str
    reservation: ReservationResultDTO | None = None
    issued_documents: list[str] = field(default_factory=list)
    storno_documents: list[str] = field(default_factory=list)
    released_qty: str = "0"


@dataclass(frozen=True)
class StatusOption:
    status: str
    label_pl: str
    label_en: str
    colour: str
    allowed: bool
    """False when the acting user lacks the right (the UI shows it disabled)."""


Listener = Callable[[OrderStatusChanged], None]


@functools.cache
def _find_order_statement(by_id: bool, lock: bool, with_settings: bool, with_warehouses: bool) -> Select[Any]:
    """Built once per shape (values as bind parameters): building a statement costs more client CPU
    than sending it."""
    key = bindparam("key", type_=String)
    cond = Order.number == key
    if by_id:
        cond = or_(cond, Order.id == bindparam("id", type_=BigInteger))
    columns: list[Any] = [Order]
    if with_settings:
        columns.append(settings_column().label("settings"))
    if with_warehouses:
        columns.append(ledger.warehouses_column().label("warehouses"))
    stmt = select(*columns).where(cond).order_by(Order.number != key).limit(1)
    return stmt.with_for_update(of=Order) if lock else stmt


def find_order(session: Session, number: str, *, lock: bool = False) -> Order:
    """An order by its number (or numeric id as typed in the CLI)."""
    key = number.strip()
    # The settings and the warehouses (a handful of rows every order use case needs) come along in the
    # same round trip unless the session has them already.
    with_settings = not settings_loaded(session)
    with_warehouses = not ledger.warehouses_loaded(session)
    stmt = _find_order_statement(key.isdigit(), lock, with_settings, with_warehouses)
    params: dict[str, Any] = {"key": key}
    if key.isdigit():
        params["id"] = int(key)
    row = session.execute(stmt, params).first()
    if row is None:
        raise NotFound(
            f"There is no order '{number}'.",
            code="order_not_found",
            params={"number": number},
        )
    if with_settings:
        prime_settings(session, row.settings)
    if with_warehouses:
        ledger.prime_warehouses(session, row.warehouses)
    return row[0]  # type: ignore[no-any-return]


_HISTORY_COLUMNS = ("from_status", "to_status", "changed_by", "changed_by_user_id", "comment", "context")


@functools.cache
def _record_change_statement(changed: tuple[str, ...]) -> Update:
    """The status update with its history insert, built once per set of changed columns."""
    history = insert(OrderStatusHistory).values(
        order_id=bindparam("order_id", type_=BigInteger),
        **{c: bindparam(f"h_{c}", type_=OrderStatusHistory.__table__.c[c].type) for c in _HISTORY_COLUMNS},
    )
    return (
        update(Order)
        .where(Order.id == bindparam("order_id", type_=BigInteger))
        .values(**{c: bindparam(f"o_{c}", type_=Order.__table__.c[c].type) for c in changed})
        .add_cte(history.cte("history"))
        .execution_options(synchronize_session=False)
    )


def _record_change(session: Session, order: Order, changes: dict[str, Any], history: dict[str, Any]) -> None:
    """Write the order's new status and its history row in one statement (the history insert as a
    data-modifying CTE of the update) instead of two flushed by the ORM; the in-memory order takes the
    written values as its committed state, so the commit does not write them again."""
    params = {"order_id": order.id}
    params.update({f"o_{c}": v for c, v in changes.items()})
    params.update({f"h_{c}": history[c] for c in _HISTORY_COLUMNS})
    with session.no_autoflush:  # what other steps changed is flushed with the commit, as before
        session.execute(_record_change_statement(tuple(changes)), params)
    for key, value in changes.items():
        set_committed_value(order, key, value)


def shipping_rule(settings: OrderSettings, context: dict[str, Any]) -> tuple[str, str]:
    """The shipping rule, one for every path to ``shipped`` (the ship dialog, ``orders ship``,
    ``orders transition --to=shipped``, "Zmień status → Wysłane", automation, a shop's report): the
    carrier is required; the tracking number too, unless the carrier's settings say it is not needed
    (personal pickup). Unknown carriers need one. A shop that reports an order shipped shipped it itself:
    its carrier is recorded with whatever tracking number it gave. Returns (carrier code, tracking)."""
    carrier = str(context.get("carrier") or "").strip()
    tracking = str(context.get("tracking") or "").strip()
    if not carrier:
        raise ValidationError(
            "Shipping records the carrier (and the tracking number when the carrier needs one).",
            code="carrier_required",
            params={"via": "transition"},
        )
    known = settings.carrier(carrier)
    if not tracking and (known is None or known.tracking_required) and "shop_state" not in context:
        raise ValidationError(
            "Give the tracking number.",
            code="tracking_required",
            params={"carrier": known.name if known else carrier},
        )
    return (known.code if known else carrier), tracking


def apply_transition(
    session: Session,
    actor: Actor,
    order: Order,
    target: OrderStatus,
    settings: OrderSettings,
    now: datetime,
    *,
    comment: str | None = None,
    context: dict[str, Any] | None = None,
    initial: bool = False,
) -> TransitionResult:
    """Change a locked order's status with its side effects; validates unless ``initial`` (a new order)."""
    current = None if initial else OrderStatus(order.status)
    if current is not None:
        check_transition(current, target)
    automation = settings.automation
    reservation = None
    issued: list[str] = []
    storno: list[str] = []
    released = "0"
    ctx = dict(context or {})
    shipment: OrderShipment | None = None
    if target is OrderStatus.SHIPPED and not initial and "shipment_id" not in ctx:
        # Recorded here, so no path ships without its carrier (a carrier shipment is recorded already).
        carrier, tracking = shipping_rule(settings, ctx)
        ctx.update(carrier=carrier, tracking=tracking)
        shipment = OrderShipment(
            order_id=order.id,
            carrier=carrier,
            service=ctx.get("service"),
            tracking_number=tracking or None,
            status="shipped",
            shipped_at=now,
        )
    if target is OrderStatus.AWAITING_FULFILLMENT and automation.reserve_on_awaiting_fulfillment:
        reservation = stock_reservations.reserve_for_order(session, actor, order, settings, now)
    wz_due = (target.value == automation.issue_wz_on) or (
        # Goods never leave without a WZ: shipping issues it if the chosen moment was skipped.
        target is OrderStatus.SHIPPED and automation.issue_wz_on != "never"
    )
    if wz_due:
        issued = stock_issues.issue_wz_for_order(session, actor, order, now)
    if target is OrderStatus.CANCELLED:
        if automation.release_reservations_on_cancel:
            released = str(
                stock_reservations.release_order_reservations(
                    session, actor, order, reason="order cancelled", now=now
                )
            )
        stock_reservations.cancel_shortages(session, order, now)
        storno = [
            d.number or ""
            for d in stock_issues.storno_issues(
                session, actor, order, now, cancel_wz=True, reason="Storno: anulowanie"
            )
        ]
    if target is OrderStatus.RETURNED:
        storno = [
            d.number or ""
            for d in stock_issues.storno_issues(
                session, actor, order, now, cancel_wz=False, reason="Zwrot towaru"
            )
        ]
    payment_status = order.payment_status
    if target is OrderStatus.PAID and payment_status in ("pending", "partially_paid"):
        payment_status = "paid"
    fulfillment = fulfillment_on_enter(target)
    if reservation is not None:
        ctx["reservation"] = {"complete": reservation.complete, "lines": len(reservation.lines)}
    if issued:
        ctx["issued"] = issued
    if storno:
        ctx["storno"] = storno
    changes: dict[str, Any] = {
        "status": target.value,
        "fulfillment_status": fulfillment.value if fulfillment is not None else order.fulfillment_status,
        "payment_status": payment_status,
    }
    if not initial:
        changes["updated_at"] = now
    _emit_change(session, order, current, target, payment_status)
    _record_change(
        session,
        order,
        changes,
        {
            "from_status": current.value if current else None,
            "to_status": target.value,
            "changed_by": actor.login,
            "changed_by_user_id": actor.user_id,
            "comment": comment,
            "context": ctx,
        },
    )
    if shipment is not None:
        session.add(shipment)
        automation_events.emit(
            session, "shipped", order.id, {"carrier": ctx["carrier"], "tracking": ctx["tracking"]}
        )
    return TransitionResult(
        order.number, current.value if current else None, target.value, reservation, issued, storno, released
    )


def _emit_change(
    session: Session, order: Order, current: OrderStatus | None, target: OrderStatus, payment_status: str
) -> None:
    """Automation events of a status change (written with the transaction, handled after the commit)."""
    emit = automation_events.emit
    data = {"from": current.value if current else None, "to": target.value, "payment_status": payment_status}
    emit(session, "status_changed", order.id, data)
    if current is not None and payment_status != order.payment_status:
        emit(session, "payment_changed", order.id, {"from": order.payment_status, "to": payment_status})


class OrderWorkflowService:
    """Status changes of orders, with in-process listeners and an optional queued listener.

    ``listeners`` are called after the commit, in this process (keep them quick: a UI refresh, a log
    line); an exception in one is logged and does not undo the change. With ``queued=True`` every change
    also defers ``orders:order_status_changed`` (queue ``orders``) inside the transaction, for slow
    listeners that run in a worker.

    An order taken in from an integration (a shop) always defers the queued listener, also without
    ``queued=True``: the shop hears about every change, whoever made it, and a slow or unreachable shop
    never holds up the operator. ``tell_integrations=False`` is for the import that mirrors the shop's
    own state changes (telling the shop what it just said would only race with its next change).
    """

    def __init__(
        self,
        listeners: list[Listener] | None = None,
        *,
        queued: bool = False,
        tell_integrations: bool = True,
    ) -> None:
        self._listeners: list[Listener] = list(listeners or [])
        self.queued = queued
        self.tell_integrations = tell_integrations

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def transition(
        self,
        uow: UnitOfWork,
        actor: Actor,
        order_number: str,
        to_status: str,
        *,
        comment: str | None = None,
        context: dict[str, Any] | None = None,
        carrier: str | None = None,
        tracking: str | None = None,
    ) -> TransitionResult:
        """``carrier``/``tracking``: needed to enter ``shipped`` (``shipping_rule``)."""
        target = parse_status(to_status)
        if carrier is not None or tracking is not None:
            context = {**(context or {}), "carrier": carrier or "", "tracking": tracking or ""}
        actor.require(permission_for(target))
        result, event = self._transition(uow, actor, order_number, target, comment, context)
        self.publish(event)
        return result

    @retry_on_deadlock
    def _transition(
        self,
        uow: UnitOfWork,
        actor: Actor,
        order_number: str,
        target: OrderStatus,
        comment: str | None,
        context: dict[str, Any] | None,
    ) -> tuple[TransitionResult, OrderStatusChanged]:
        now = stock.now_utc()
        with uow:
            s = uow.session
            order = find_order(s, order_number, lock=True)
            result = apply_transition(
                s, actor, order, target, load_settings(s), now, comment=comment, context=context
            )
            event = OrderStatusChanged(
                order.id, order.number, result.from_status, result.to_status, actor.login, comment, now
            )
            self.defer_queued(uow, event, order=order)
            uow.commit()
        return result, event

    def defer_queued(self, uow: UnitOfWork, event: OrderStatusChanged, *, order: Order | None = None) -> None:
        from_integration = order is not None and order.integration_id is not None
        # Another area may want the queued listener for this change too (wired at start-up: an e-mail
        # rule "send template X when an order enters Y"); the check reads what the transition loaded.
        wanted = order is not None and any(
            wants(uow.session, order, event.to_status) for wants in QUEUE_WANTED
        )
        if not (self.queued or (self.tell_integrations and from_integration) or wanted):
            return
        defer_job(
            uow,
            STATUS_CHANGED_TASK,
            queue="orders",
            order_id=event.order_id,
            order_number=event.order_number,
            from_status=event.from_status,
            to_status=event.to_status,
            changed_by=event.changed_by,
            comment=event.comment,
            at=event.at.isoformat(),
        )

    def publish(self, event: OrderStatusChanged) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not undo or hide a committed change
                log.exception("order status listener %r failed for %s", listener, event.order_number)

    def allowed(self, uow: UnitOfWork, actor: Actor, order_number: str) -> list[StatusOption]:
        """The next statuses of an order, labelled, with whether this user may choose each."""
        actor.require(Permission.VIEW)
        with uow:
            order = find_order(uow.session, order_number)
            settings = load_settings(uow.session)
            options = []
            for status in allowed_transitions(OrderStatus(order.status)):
                label = settings.statuses[status.value]
                options.append(
                    StatusOption(
                        status.value,
                        label.label_pl,
                        label.label_en,
                        label.colour,
                        actor.can(permission_for(status)),
                    )
                )
            return options


def transition_order(
    uow: UnitOfWork,
    actor: Actor,
    order_number: str,
    to_status: str,
    *,
    comment: str | None = None,
    workflow: OrderWorkflowService | None = None,
    carrier: str | None = None,
    tracking: str | None = None,
) -> TransitionResult:
    """Convenience for callers without their own workflow instance (CLI, demo data)."""
    return (workflow or OrderWorkflowService()).transition(
        uow, actor, order_number, to_status, comment=comment, carrier=carrier, tracking=tracking
    )


def goods_left_warehouse(status: str) -> bool:
    return OrderStatus(status) in SHIPPED_STATUSES


QueueWanted = Callable[[Session, Order, str], bool]
# Predicates (session, locked order, new status) wired at start-up (services/wiring.py): True defers the
# queued listener for an order that would not otherwise get it (not from a shop, not ``queued=True``).
QUEUE_WANTED: list[QueueWanted] = []

# Slow listeners run by the queued variant (``orders:order_status_changed`` in a worker). Other areas
# register here at start-up (``services/wiring.py``), e.g. pushing the status to the shop.
QUEUED_HANDLERS: list[Listener] = []

IntegrationHandler = Callable[[UnitOfWork, Actor, OrderStatusChanged], bool]
# Queued listeners that tell an integration (the shop) and need the database. Unlike QUEUED_HANDLERS their
# failure fails the job, so the queue's retries deliver the change later (nothing is lost while the shop is
# unreachable): they must be idempotent. A handler returns whether the order was its business (an order of
# its integration). Registered at start-up by ``services/wiring.py``.
QUEUED_INTEGRATION_HANDLERS: list[IntegrationHandler] = []


def handle_queued_status_change(uow: UnitOfWork, actor: Actor, event: OrderStatusChanged) -> int:
    """Run the slow listeners for one change and leave an audit row saying they ran.

    Raises the first integration handler's error after the audit row is saved (the job fails, the queue
    retries it; a retry runs every handler again)."""
    from rexbit_desktop.db.models.orders import OrderAuditLog

    errors = []
    for handler in QUEUED_HANDLERS:
        try:
            handler(event)
        except Exception as exc:  # one bad handler must not stop the others; the audit row names it
            log.exception("queued status listener %r failed", handler)
            errors.append(f"{getattr(handler, '__name__', handler)}: {exc}")
    failed: Exception | None = None
    handlers = len(QUEUED_HANDLERS)
    for integration_handler in QUEUED_INTEGRATION_HANDLERS:
        try:
            handlers += bool(integration_handler(uow, actor, event))
        except Exception as exc:
            log.warning("queued integration listener %r failed: %s", integration_handler, exc)
            errors.append(f"{getattr(integration_handler, '__name__', integration_handler)}: {exc}")
            failed = failed or exc
            handlers += 1
    with uow:
        uow.session.add(
            OrderAuditLog(
                order_id=event.order_id,
                actor=actor.login,
                action="status_changed_delivered",
                details={
                    "from": event.from_status,
                    "to": event.to_status,
                    "handlers": handlers,
                    "errors": errors,
                },
            )
        )
        uow.commit()
    if failed is not None:
        raise failed
    return handlers
