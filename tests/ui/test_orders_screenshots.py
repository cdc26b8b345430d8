"""``python -m rexbit_desktop.ui.screenshots OUTDIR`` renders every main view to PNG."""

from __future__ import annotations

from PySide6.QtGui import QImage

from rexbit_desktop.ui import screenshots
from tests.support.orders_seed import seed_orders


def test_screenshots_of_every_main_view(qtbot, db, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 12)
    assert screenshots.main([str(tmp_path), "--database-url", db_url, "--size", "1280x800"]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert {"orders-list.png", "order-detail.png", "order-settings.png"} <= set(names)
    assert {"mail-settings.png", "mail-templates.png"} <= set(names)
    assert {"products.png", "integrations.png", "queues.png", "schedules.png"} <= set(names)
    assert {"orders-multiselect.png", "order-pick-check.png", "print-dialog.png"} <= set(names)
    assert {"dashboard.png", "kpi-settings.png"} <= set(names)
    assert not QImage(str(tmp_path / "print-dialog.png")).isNull()
    image = QImage(str(tmp_path / "orders-list.png"))
    assert (image.width(), image.height()) == (1280, 800)
    detail = QImage(str(tmp_path / "order-detail.png"))
    assert detail.width() > 800 and not detail.isNull()
