"""The forecasting job on marts made from simulated history, with the imperfect data a real chain
sends: a product delisted, a store opening mid-history, missing days, negative and absurd stock
records, a product listed three days ago, a store whose stock file for the run date never came.
Each has its documented outcome (forecasting/job.py); none stops the run or spoils other series."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from retail_factory.forecasting import outputs
from retail_factory.forecasting.job import compute_forecast, run_forecast
from retail_factory.forecasting.models import HORIZON_DAYS
from retail_factory.warehouse.connections import DuckDBWarehouse

from tests.integration.warehouse_helpers import write_tables

pytestmark = pytest.mark.integration
START, DAYS = dt.date(2025, 3, 3), 70
AS_OF = START + dt.timedelta(days=DAYS - 1)
NEW_PRODUCT, DARK_STORE = "09990000000017", "S-DARK"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[str, list[tuple]]], list[str], list[str]]:
    """The marts the job reads, from the simulator's recorded sales and stock, then spoiled; its stores and GTINs."""
    from retail_factory.sources.simulator import SimulationParams, simulate

    out = Path(tmp_path_factory.mktemp("forecast-job"))
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
    columns = ["gtin", "case_size", "is_fresh", "shelf_life_days"]
    products = [(g, int(c), bool(f), int(s)) for g, c, f, s in world_products[columns].itertuples(index=False)]
    order_days = dict(zip(world_stores["store_gln"], world_stores["order_days"], strict=True))
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
        "fct_receipts": ("shipment_id varchar, shipment_line integer, received_date date", []),
        "dim_products": (
            "gtin varchar, case_size integer, is_fresh boolean, shelf_life_days integer",
            [*products, (NEW_PRODUCT, 6, False, 365)],
        ),
        "dim_stores": (
            "store_id varchar, order_days varchar",
            [*((s, json.dumps(list(order_days[s]))) for s in stores), (DARK_STORE, None)],
        ),
        "fct_lead_times": ("flow varchar, receiver_id varchar, lead_time_days integer, received_date date", []),
        "fct_store_orders": ("store_id varchar, requested_lead_time_days integer, ordered_date date", []),
    }  # fmt: skip
    return tables, stores, gtins


@pytest.fixture(scope="module")
def marts(chain) -> dict[str, tuple[str, list[tuple]]]:
    return chain[0]


def _keys(chain) -> tuple[list[str], list[str]]:
    return chain[1], chain[2]


@pytest.fixture(scope="module")
def run(marts, tmp_path_factory: pytest.TempPathFactory):
    warehouse = DuckDBWarehouse(Path(tmp_path_factory.mktemp("forecast-job-wh")) / "warehouse.duckdb")
    write_tables(warehouse, marts)
    return compute_forecast(AS_OF, warehouse, 0.975)


def _table(run, name: str) -> pd.DataFrame:
    return run.tables[f"{outputs.SCHEMA}.{name}"]


def test_every_listed_series_is_forecast_and_nothing_else(run, chain, marts) -> None:
    (store_a, store_b, _), gtins = _keys(chain)
    forecasts = _table(run, "demand_forecasts")
    series = set(zip(forecasts["store_id"], forecasts["gtin"], strict=True))
    assert (store_a, gtins[0]) not in series  # delisted: no stock record on the run date
    assert not any(store == DARK_STORE for store, _ in series)  # its stock file never came
    stocked = {(store, gtin) for store, gtin, day, *_ in marts["fct_inventory_daily"][1] if day == AS_OF}
    assert series == stocked and (store_b, NEW_PRODUCT) in series
    assert forecasts.groupby(["store_id", "gtin"]).size().eq(HORIZON_DAYS).all()
    assert forecasts["horizon_day"].between(1, HORIZON_DAYS).all()
    assert (forecasts["p50"] <= forecasts["p95"]).all() and (forecasts["mean"] >= 0).all()
    assert json.loads(run.summary["stores_without_stock"]) == [DARK_STORE]


def test_short_histories_get_their_fallbacks_and_the_rest_are_backtested(run, chain) -> None:
    (_, store_b, store_c), _ = _keys(chain)
    models = _table(run, "demand_forecasts").groupby(["store_id", "gtin"])["model"].first()
    assert models.loc[(store_b, NEW_PRODUCT)] == "historic_average"
    new = _table(run, "demand_forecasts").query("gtin == @NEW_PRODUCT")
    assert new["mean"].sub(5 / 3).abs().max() < 1e-9  # its mean of three days
    assert set(models.loc[store_c]) == {"seasonal_naive"}  # opened 31 days ago: too short to backtest
    learnt = models.drop(index=[store_c], level=0).drop(index=(store_b, NEW_PRODUCT))
    assert set(learnt) <= set(json.loads(run.summary["models_chosen"]).values())
    assert run.summary["fallback_series"] == len(models.loc[store_c]) + 1


def test_missing_days_are_filled_and_counted(run) -> None:
    # Three days of one series, plus the first store's delisted product... which is not forecast.
    assert run.summary["imputed_days"] >= 3
    assert run.summary["history_days"] == DAYS


def test_bad_stock_records_have_their_documented_outcomes(run, chain) -> None:
    (store_a, _, _), gtins = _keys(chain)
    risks = _table(run, "stockout_risks").set_index(["store_id", "gtin"])
    negative, absurd = risks.loc[(store_a, gtins[2])], risks.loc[(store_a, gtins[3])]
    assert negative["stock_check"] == "negative" and negative["on_hand"] == -4  # kept as recorded …
    assert negative["expected_demand"] > 0.5  # … and counted as none: an empty shelf is at risk
    assert negative["p_stockout"] > 0.5 and negative["recommended_order_qty"] > 0
    assert absurd["stock_check"] == "implausible" and pd.isna(absurd["recommended_order_qty"])
    orders = _table(run, "order_proposals").set_index(["store_id", "gtin"])
    assert (store_a, gtins[3]) not in orders.index  # count the shelf before ordering
    assert risks.loc[(store_a, gtins[4]), "in_transit"] == 12
    assert json.loads(run.summary["stock_checks"])["implausible"] == 1


def test_risks_and_orders_are_consistent(run) -> None:
    risks = _table(run, "stockout_risks")
    assert risks["p_stockout"].between(0, 1).all()
    assert (risks["horizon_days"] >= 0).all()
    ends = pd.to_datetime(risks["expected_stockout_date"].dropna())
    assert ends.between(
        pd.Timestamp(AS_OF + dt.timedelta(days=1)), pd.Timestamp(AS_OF + dt.timedelta(HORIZON_DAYS))
    ).all()
    orders = _table(run, "order_proposals")
    assert len(orders) > 0 and (orders["order_qty"] > 0).all()
    assert (orders["order_qty"] % orders["pack_size"] == 0).all()
    assert (orders["packs"] * orders["pack_size"] == orders["order_qty"]).all()
    assert (pd.to_datetime(orders["delivery_date"]) > pd.to_datetime(orders["order_date"])).all()
    assert run.summary["order_lines"] == len(orders)


def test_recent_stockouts_are_kept_with_how_they_were_found(run) -> None:
    detected = _table(run, "detected_stockouts")
    assert len(detected) > 0 and run.summary["stockout_days"] >= len(detected)
    assert set(detected["detected_by"]) <= {"records", "sales", "both"}
    assert (pd.to_datetime(detected["stockout_date"]) > pd.Timestamp(AS_OF - dt.timedelta(days=28))).all()
    assert (detected["unconstrained_demand"] >= detected["units_sold"]).all()


def _written(warehouse, day: dt.date) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, columns in outputs.TABLES.items():
        names, rows = warehouse.query(f"select * from {name} where as_of_date = ? order by 2, 3, 4", [day])
        frame = pd.DataFrame([list(r) for r in rows], columns=names)
        tables[name] = frame.astype(str)
        assert list(frame.columns) == list(columns)
    return tables


def test_the_run_replaces_its_date_in_one_go_and_a_rerun_changes_nothing(warehouse, marts) -> None:
    write_tables(warehouse, marts)
    first = run_forecast(AS_OF, warehouse=warehouse)
    written = _written(warehouse, AS_OF)
    assert {name: len(rows) for name, rows in written.items()} == {n: len(r) for n, r in first.tables.items()}
    run_forecast(AS_OF, warehouse=warehouse)
    again = _written(warehouse, AS_OF)
    for name in outputs.TABLES:
        pd.testing.assert_frame_equal(written[name], again[name], obj=name)
    run_forecast(AS_OF - dt.timedelta(days=1), warehouse=warehouse)  # another date leaves this one alone
    for name in outputs.TABLES:
        pd.testing.assert_frame_equal(written[name], _written(warehouse, AS_OF)[name], obj=name)
