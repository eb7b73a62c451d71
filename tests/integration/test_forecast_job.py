"""The forecasting job on marts made from simulated history, with the imperfect data a real chain
sends (forecast_helpers): a product delisted, a store opening mid-history, missing days, negative
and absurd stock records, a product listed three days ago, a store whose stock file for the run
date never came. Each has its documented outcome (forecasting/job.py); none stops the run or
spoils other series."""

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

from tests.integration.forecast_helpers import AS_OF, DARK_STORE, DAYS, NEW_PRODUCT, spoiled_marts
from tests.integration.warehouse_helpers import write_tables

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("forecast-job"))


@pytest.fixture(scope="module")
def chain(sim_dir: Path) -> tuple[dict[str, tuple[str, list[tuple]]], list[str], list[str]]:
    return spoiled_marts(sim_dir)


@pytest.fixture(scope="module")
def marts(chain) -> dict[str, tuple[str, list[tuple]]]:
    return chain[0]


def _keys(chain) -> tuple[list[str], list[str]]:
    return chain[1], chain[2]


@pytest.fixture(scope="module")
def module_warehouse(marts, tmp_path_factory: pytest.TempPathFactory) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(Path(tmp_path_factory.mktemp("forecast-job-wh")) / "warehouse.duckdb")
    write_tables(warehouse, marts)
    return warehouse


@pytest.fixture(scope="module")
def run(module_warehouse, tmp_path_factory: pytest.TempPathFactory):
    return compute_forecast(AS_OF, module_warehouse, 0.975, Path(tmp_path_factory.mktemp("forecast-parts")))


def _table(run, name: str) -> pd.DataFrame:
    return run.rows(name)


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


def test_fresh_units_that_expire_before_the_delivery_are_not_counted_on(run, marts) -> None:
    fresh = {gtin for gtin, _, is_fresh, *_ in marts["dim_products"][1] if is_fresh}
    risks = _table(run, "stockout_risks")
    expiring = risks[risks["expiring_qty"] > 0]
    assert len(expiring) > 0 and set(expiring["gtin"]) <= fresh  # only fresh products expire
    assert (expiring["expiring_qty"] <= expiring["on_hand"]).all()
    orders = _table(run, "order_proposals").merge(risks, on=["store_id", "gtin"])
    # the order counts on what sells before it expires: less than the record for some fresh lines
    assert (orders["available"] <= orders["on_hand"].clip(lower=0) + orders["in_transit"]).all()
    assert (orders["available"] < orders["on_hand"].clip(lower=0) + orders["in_transit"]).any()


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
    assert len(written[f"{outputs.SCHEMA}.forecast_runs"]) == 1 and first["series"] > 0
    assert len(written[f"{outputs.SCHEMA}.demand_forecasts"]) == first["series"] * HORIZON_DAYS
    assert len(written[f"{outputs.SCHEMA}.stockout_risks"]) == first["series"]
    assert len(written[f"{outputs.SCHEMA}.order_proposals"]) == first["order_lines"]
    run_forecast(AS_OF, warehouse=warehouse)
    again = _written(warehouse, AS_OF)
    for name in outputs.TABLES:
        pd.testing.assert_frame_equal(written[name], again[name], obj=name)
    run_forecast(AS_OF - dt.timedelta(days=1), warehouse=warehouse)  # another date leaves this one alone
    for name in outputs.TABLES:
        pd.testing.assert_frame_equal(written[name], _written(warehouse, AS_OF)[name], obj=name)


def test_the_evaluation_replays_the_job_and_judges_it_against_the_truth(
    module_warehouse, sim_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from retail_factory.cli import main

    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "duckdb")
    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(module_warehouse.path))
    truth = str(sim_dir / "truth")
    assert main(["evaluate-forecast", "--truth", truth, "--json", "--replay-days", "3", "--service-level", "0.95"]) == 0
    result = json.loads(capsys.readouterr().out)
    replayed = result["replay"]
    assert replayed["days"] == 3 and replayed["proposals"]["units_ordered"] > 0 and replayed["service_level"] == 0.95
    assert 0 <= replayed["own"]["out_of_stock_rate"] <= 1 and 0 <= replayed["proposals"]["out_of_stock_rate"] <= 1
    assert result["cuts"] == [(AS_OF - dt.timedelta(days=d)).isoformat() for d in (28, 14)]
    assert result["series"] > 20 and result["wrmsse_seasonal_naive"] > 0 and result["wrmsse_model"] > 0
    assert 0.5 < result["p95_coverage"] <= 1 and result["pinball"]["p50"] > 0
    assert result["stockout_days"] > 0 and result["bias_sales"] < 0  # sales on an empty shelf fall short of demand
    assert result["bias_unconstrained"] > result["bias_sales"]  # unconstraining raises them towards demand
    for measure in ("detection_records", "detection_sales_ceiling"):
        precision, recall = result[measure]
        assert 0 < precision <= 1 and 0 < recall <= 1, measure
    assert main(["evaluate-forecast", "--truth", str(sim_dir)]) == 2  # not a truth folder: a clear error
    assert "not a simulation's truth folder" in capsys.readouterr().err
    assert main(["evaluate-forecast", "--truth", truth, "--replay-days", "3", "--service-level", "1.5"]) == 2
    assert "must be a share between 0.5 and 1" in capsys.readouterr().err


def test_the_readme_forecast_queries_run_after_a_forecast(
    module_warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import shlex

    from retail_factory.cli import main

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Forecast stockouts")[1].split("\n## ")[0]
    commands = [line for line in section.splitlines() if line.startswith(".venv/bin/retail-factory sql")]
    assert len(commands) >= 3
    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "duckdb")
    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(module_warehouse.path))
    assert main(["forecast", "--date", AS_OF.isoformat()]) == 0
    assert "series forecast" in capsys.readouterr().out
    for command in commands:
        assert main(shlex.split(command)[1:]) == 0, command
        assert len(capsys.readouterr().out.splitlines()) >= 3, command  # a header, a rule, rows


def test_a_date_without_stock_records_writes_an_empty_run_and_a_report_that_says_so(marts, duckdb_warehouse) -> None:
    from retail_factory.forecasting.report import build_report

    empty = {name: (columns, []) for name, (columns, _) in marts.items()}
    write_tables(duckdb_warehouse, empty)
    summary = run_forecast(AS_OF, warehouse=duckdb_warehouse)
    assert summary["series"] == 0 and summary["order_lines"] == 0
    counts = {name: duckdb_warehouse.query(f"select count(*) from {name}")[1][0][0] for name in outputs.TABLES}
    assert counts == {name: int(name.endswith("forecast_runs")) for name in outputs.TABLES}
    index = build_report(AS_OF, duckdb_warehouse)["index.html"].decode()
    assert "nothing was forecast" in index


def test_many_series_are_scored_by_chunks_of_products_and_trained_on_a_sample(
    run, module_warehouse, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from retail_factory.forecasting import job

    monkeypatch.setattr(job, "SCORING_CHUNK_SERIES", 5)  # a handful of products per chunk
    monkeypatch.setattr(job, "TRAINING_SERIES", 8)
    chunked = compute_forecast(AS_OF, module_warehouse, 0.975, tmp_path)
    # Each chunk's rows went to disk as a part of its own; the summary adds the chunks up.
    chunks = len(chunked.tables[f"{outputs.SCHEMA}.stockout_risks"].parts)
    assert chunks > 3 and len(run.tables[f"{outputs.SCHEMA}.stockout_risks"].parts) == 1
    assert all(len(chunked.tables[name].parts) == chunks for name in outputs.TABLES if not name.endswith("_runs"))
    whole, parts = _table(run, "stockout_risks"), _table(chunked, "stockout_risks")
    assert list(zip(parts["store_id"], parts["gtin"], strict=True)) == list(
        zip(whole["store_id"], whole["gtin"], strict=True)
    )  # every listed series once, in order
    assert len(_table(chunked, "demand_forecasts")) == len(_table(run, "demand_forecasts"))
    for key in ("series", "stores", "imputed_days", "stockout_days", "history_days", "stock_checks"):
        assert chunked.summary[key] == run.summary[key], key
    trained_on = chunked.summary["backtest_rmsse"]
    assert trained_on != run.summary["backtest_rmsse"]  # learnt from a sample of products, not all


def test_the_stockout_board_shows_the_run_most_at_risk_first(run, module_warehouse) -> None:
    """The UI's Stockout board (web/board.py) on the written run: stores ranked, risks, a plot each."""
    from retail_factory.web import board

    module_warehouse.replace_rows(run.tables, outputs.KEY_COLUMN, AS_OF)
    risks = _table(run, "stockout_risks")
    with module_warehouse.session(read_only=True) as query:
        assert board.latest_run_date(query) == AS_OF
        stores = board.stores_at_risk(query, AS_OF)
        worst = stores[0]
        top = board.store_risks(query, AS_OF, worst["store_id"])
        plot = board.risk_plot(query, AS_OF, worst["store_id"], top[0]["gtin"])
        assert board.risk_plot(query, AS_OF, worst["store_id"], "00000000000000") is None
    at_risk = risks[risks["p_stockout"] >= outputs.AT_RISK].groupby("store_id").size()
    expected = {store: int(at_risk.get(store, 0)) for store in risks["store_id"].unique()}
    assert {s["store_id"]: s["at_risk"] for s in stores} == expected
    assert [s["at_risk"] for s in stores] == sorted((s["at_risk"] for s in stores), reverse=True)
    own = risks[risks["store_id"] == worst["store_id"]].sort_values("p_stockout", ascending=False)
    assert [r["p_stockout"] for r in top] == pytest.approx(list(own["p_stockout"].head(len(top))))
    assert plot is not None and plot.startswith(b"\x89PNG")
