"""All SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from rexbit_desktop.db.base import Base
from rexbit_desktop.db.models.automation import (
    AutomationEvent,
    AutomationRule,
    AutomationRun,
    OrderTag,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from rexbit_desktop.db.models.catalog import Product, Warehouse, WarehouseStockTotal
from rexbit_desktop.db.models.contractors import Contractor
from rexbit_desktop.db.models.documents import NumberSeries, WarehouseDocument, WarehouseDocumentItem
from rexbit_desktop.db.models.integrations import (
    ImportRun,
    Integration,
    IntegrationProductLink,
    IntegrationTask,
    ShopSyncRecord,
    ShopSyncState,
    SyncRun,
)
from rexbit_desktop.db.models.kpi import (
    KpiCalendarDay,
    KpiCalendarState,
    KpiDaily,
    KpiDailyProduct,
    KpiDailyShipped,
    KpiDirtyMark,
    KpiMonthlyProduct,
    KpiProductTotal,
)
from rexbit_desktop.db.models.mail import MailAccount, MailAttempt, MailMessage, MailReply, MailTemplate
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAddress,
    OrderAuditLog,
    OrderDocument,
    OrderItem,
    OrderItemReservation,
    OrderNote,
    OrderPayment,
    OrderSetting,
    OrderShipment,
    OrderStatusHistory,
)
from rexbit_desktop.db.models.scheduling import Schedule, ScheduleRun
from rexbit_desktop.db.models.shipping import CarrierAccount, CarrierProtocol, ShipmentEvent, ShipmentLabel
from rexbit_desktop.db.models.shop_orders import ShopOrderCursor, ShopOrderRetry, ShopStockDirty
from rexbit_desktop.db.models.users import User

__all__ = [
    "AutomationEvent",
    "AutomationRule",
    "AutomationRun",
    "Base",
    "CarrierAccount",
    "CarrierProtocol",
    "Contractor",
    "ImportRun",
    "Integration",
    "IntegrationProductLink",
    "IntegrationTask",
    "KpiCalendarDay",
    "KpiCalendarState",
    "KpiDaily",
    "KpiDailyProduct",
    "KpiDailyShipped",
    "KpiDirtyMark",
    "KpiMonthlyProduct",
    "KpiProductTotal",
    "MailAccount",
    "MailAttempt",
    "MailMessage",
    "MailReply",
    "MailTemplate",
    "NumberSeries",
    "Order",
    "OrderAddress",
    "OrderAuditLog",
    "OrderDocument",
    "OrderItem",
    "OrderItemReservation",
    "OrderNote",
    "OrderPayment",
    "OrderSetting",
    "OrderShipment",
    "OrderStatusHistory",
    "OrderTag",
    "Product",
    "Schedule",
    "ScheduleRun",
    "ShipmentEvent",
    "ShipmentLabel",
    "ShopOrderCursor",
    "ShopOrderRetry",
    "ShopStockDirty",
    "ShopSyncRecord",
    "ShopSyncState",
    "SyncRun",
    "User",
    "Warehouse",
    "WarehouseDocument",
    "WarehouseDocumentItem",
    "WarehouseStockTotal",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
