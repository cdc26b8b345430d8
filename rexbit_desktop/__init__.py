"""rexbit desktop: supplier feeds, PrestaShop sync, orders and WZ documents on PostgreSQL."""

__version__ = "0.1.0"
