"""Marts for the forecasting job, from ten weeks of simulated history, with the imperfect data a
real chain sends: a product delisted (store A, GTIN 0), a store opening a month ago (C), three
missing days (A, GTIN 1), a negative (A, GTIN 2) and an absurd (A, GTIN 3) stock record on the run
date, a product listed three days ago (B), a store whose stock file for the run date never came."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

START, DAYS = dt.date(2025, 3, 3), 70
AS_OF = START + dt.timedelta(days=DAYS - 1)
NEW_PRODUCT, DARK_STORE = "09990000000017", "S-DARK"


def spoiled_marts(out: Path) -> tuple[dict[str, tuple[str, list[tuple]]], list[str], list[str]]:
    """The marts the job reads (only the columns it reads), from the simulator's recorded sales and
    stock, then spoiled as described above; with the simulated stores and GTINs."""
    from retail_factory.sources.simulator import SimulationParams, simulate

    simulate(SimulationParams(3, 10, DAYS, START, 3, out, 0.0))
    truth = pd.read_parquet(out / "truth" / "series")
    truth["date"] = pd.to_datetime(truth["date"]).dt.date
    stores = sorted(truth["store_gln"].unique())
    gtins = sorted(truth["gtin"].unique())
    store_a, store_b, store_c = stores
    rows = truth.rename(columns={"store_gln": "store_id"})[
        ["store_id", "gtin", "date", "sales", "recorded_open", "received_recorded", "recorded_close"]
    ]

    at_a = rows["store_id"] == store_a
    gap = [AS_OF - dt.timedelta(days=d) for d in (30, 31, 40)]
    rows = rows[
        ~(at_a & (rows["gtin"] == gtins[0]) & (rows["date"] > AS_OF - dt.timedelta(days=20)))  # delisted
        & ~((rows["store_id"] == store_c) & (rows["date"] < AS_OF - dt.timedelta(days=30)))  # opened a month ago
        & ~(at_a & (rows["gtin"] == gtins[1]) & rows["date"].isin(gap))  # three days never sent
    ]
    at_a = rows["store_id"] == store_a
    rows.loc[at_a & (rows["gtin"] == gtins[2]) & (rows["date"] == AS_OF), "recorded_close"] = -4
    rows.loc[at_a & (rows["gtin"] == gtins[3]) & (rows["date"] == AS_OF), "recorded_close"] = 100_000
    listed = [AS_OF - dt.timedelta(days=d) for d in (2, 1, 0)]
    new = pd.DataFrame(
        {"store_id": store_b, "gtin": NEW_PRODUCT, "date": listed, "sales": [2, 0, 3], "recorded_open": [0, 10, 10],
         "received_recorded": [12, 0, 0], "recorded_close": [10, 10, 7]}
    )  # fmt: skip
    dark = rows[(rows["store_id"] == store_b) & (rows["date"] < AS_OF)].assign(store_id=DARK_STORE)
    rows = pd.concat([rows, new, dark], ignore_index=True)

    world_products = pd.read_parquet(out / "truth" / "world" / "products.parquet")
    world_stores = pd.read_parquet(out / "truth" / "world" / "stores.parquet")
    columns = ["gtin", "case_size", "is_fresh", "shelf_life_days", "name", "category"]
    products = [
        (g, int(c), bool(f), int(s), n, k) for g, c, f, s, n, k in world_products[columns].itertuples(index=False)
    ]
    known = world_stores.set_index("store_gln")
    promotions = pd.read_parquet(out / "truth" / "promotions.parquet")
    tables = {
        "fct_inventory_daily": (
            "store_id varchar, gtin varchar, snapshot_date date, on_hand_qty integer, previous_on_hand_qty integer,"
            " received_qty integer",
            [(r.store_id, r.gtin, r.date, int(r.recorded_close), int(r.recorded_open), int(r.received_recorded))
             for r in rows.itertuples()],
        ),
        "fct_sales_daily": (
            "store_id varchar, gtin varchar, sold_date date, units_sold integer",
            [(r.store_id, r.gtin, r.date, int(r.sales)) for r in rows.itertuples() if r.sales > 0],
        ),
        "fct_shipments": (
            "shipment_id varchar, shipment_line integer, store_id varchar, gtin varchar, shipped_qty integer,"
            " shipped_date date",
            [("SH1", 1, store_a, gtins[4], 12, AS_OF)],  # on its way: counts as stock
        ),
        "fct_receipts": (
            "shipment_id varchar, shipment_line integer, store_id varchar, gtin varchar, received_qty integer,"
            " received_date date, best_before_date date",
            _receipts(out / "drop" / "supply"),
        ),
        "dim_products": (
            "gtin varchar, case_size integer, is_fresh boolean, shelf_life_days integer, product_name varchar,"
            " category varchar",
            [*products, (NEW_PRODUCT, 6, False, 365, "New granola", "Breakfast")],
        ),
        "dim_stores": (
            "store_id varchar, order_days varchar, region varchar, store_name varchar, store_format varchar",
            [*((s, str(known.loc[s, "order_days"]), known.loc[s, "region"], known.loc[s, "name"],
                known.loc[s, "format"]) for s in stores), (DARK_STORE, None, "Corse", "Dark store", "proximity")],
        ),
        "fct_promotions": (
            "promo_id varchar, gtin varchar, store_format varchar, start_date date, end_date date,"
            " discount_pct double precision, announced_on date",
            [(r.promo_id, r.gtin, r.store_format, _day(r.start_date), _day(r.end_date), float(r.discount) * 100,
              _day(r.announced_on)) for r in promotions.itertuples()],
        ),
        "fct_lead_times": ("flow varchar, receiver_id varchar, lead_time_days integer, received_date date", []),
        "fct_store_orders": ("store_id varchar, requested_lead_time_days integer, ordered_date date", []),
    }  # fmt: skip
    return tables, stores, gtins


def _receipts(drop: Path) -> list[tuple]:
    """The simulated stores' receipt lines with the best-before date of the shipment line they book in."""

    def read(entity: str) -> pd.DataFrame:
        return pd.concat([pd.read_csv(f, sep=";", dtype=str) for f in sorted((drop / entity).rglob("*.csv"))])

    keys = ["shipment_id", "sscc", "gtin", "lot"]
    shipped = read("shipments")[[*keys, "shipment_line", "best_before_date"]].drop_duplicates(keys)
    received = read("receipts").merge(shipped, on=keys, how="left")
    return [(r.shipment_id, int(r.shipment_line), r.store_gln, r.gtin, int(r.quantity), _day(r.received_at[:10]),
             _day(r.best_before_date)) for r in received.itertuples()]  # fmt: skip


def _day(value) -> dt.date:
    return pd.Timestamp(value).date()
