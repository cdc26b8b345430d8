"""The demo data agrees with itself: the wholesaler's feed names every catalog product as the catalog
does, and buys below the demo's sale prices (purchase < sale, net against net)."""

from __future__ import annotations

from decimal import Decimal

from rexbit_desktop.services import demo_data


def _feed() -> dict[str, list[str]]:
    raw = (demo_data.feeds_dir() / demo_data.DEMO_FEED).read_bytes()
    lines = raw.decode("cp1250").splitlines()[1:]
    return {parts[0]: parts for parts in (line.split(";") for line in lines)}


def test_the_committed_feed_is_the_generated_one() -> None:
    assert (demo_data.feeds_dir() / demo_data.DEMO_FEED).read_bytes() == demo_data.demo_feed_csv()


def test_feed_names_vat_and_units_are_the_catalogs() -> None:
    feed = _feed()
    catalog = {p["sku"]: p for p in demo_data.demo_products()}
    listed = [sku for sku in feed if sku in catalog]
    assert len(listed) > 250
    for sku in listed:
        name = feed[sku][2].strip('"').replace('""', '"')
        assert name == catalog[sku]["name"], sku
        assert Decimal(feed[sku][5]) == catalog[sku]["vat_rate"], sku
        assert feed[sku][7] == catalog[sku]["unit"], sku


def test_purchase_prices_are_below_sale_prices() -> None:
    products = demo_data.demo_products()
    sale_gross = demo_data._prices(products)
    purchase = demo_data.demo_purchase_prices(products)
    feed = _feed()
    for p in products:
        sale_net = sale_gross[p["sku"]] / (1 + p["vat_rate"] / 100)
        assert Decimal(0) < purchase[p["sku"]] < sale_net, p["sku"]
        if p["sku"] in feed:
            shown = Decimal(feed[p["sku"]][4].replace("\u00a0", "").replace(" ", "").replace(",", "."))
            assert shown == purchase[p["sku"]], p["sku"]
