"""Tasks of the maintenance area (thin wrappers over services). Added to the app by jobs/app.py."""

from __future__ import annotations

from procrastinate import Blueprint

bp = Blueprint()
