"""The simulated chain: deterministic, GS1-valid, physically consistent, and its files keep their contracts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from retail_factory import gs1
from retail_factory.sources.contracts import contract_for, validate_file
from retail_factory.sources.contracts.epcis_format import epcis_validator
from retail_factory.sources.simulator import SimulationParams, simulate

from tests.conftest import SIM_START


def drop_files(out: Path) -> list[Path]:
    return sorted(p for p in (out / "drop").rglob("*") if p.is_file())


def digest(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in drop_files(out)}


def truth_series(out: Path) -> pd.DataFrame:
    return pd.concat(pd.read_parquet(p) for p in sorted((out / "truth" / "series").glob("*.parquet")))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, clean_chain: Path) -> None:
    again = tmp_path / "again"
    simulate(SimulationParams(5, 60, 3, SIM_START, 11, again, 0.0))
    assert digest(again) == digest(clean_chain)
    other = tmp_path / "other"
    simulate(SimulationParams(5, 60, 3, SIM_START, 12, other, 0.0))
    assert digest(other) != digest(clean_chain)


def test_faults_do_not_change_the_underlying_data(clean_chain: Path, faulty_chain: Path) -> None:
    clean, faulty = truth_series(clean_chain), truth_series(faulty_chain)
    pd.testing.assert_frame_equal(clean.reset_index(drop=True), faulty.reset_index(drop=True))


def test_every_clean_file_keeps_its_contract(clean_chain: Path) -> None:
    files = drop_files(clean_chain)
    assert len(files) > 50
    for path in files:
        domain, entity, day = path.relative_to(clean_chain / "drop").parts[:3]
        report = validate_file(path, contract_for(domain, entity), dt.date.fromisoformat(day))
        assert report.accepted and not report.row_findings and not report.warnings, (path, report.file_errors)


def test_every_domain_and_entity_is_delivered(clean_chain: Path) -> None:
    from retail_factory.sources.contracts import ALL_CONTRACTS

    delivered = {tuple(p.relative_to(clean_chain / "drop").parts[:2]) for p in drop_files(clean_chain)}
    assert delivered == {(c.domain, c.entity) for c in ALL_CONTRACTS}


def test_gs1_keys_have_valid_check_digits(clean_chain: Path) -> None:
    day = SIM_START.isoformat()
    products = pd.read_json(clean_chain / f"drop/retail/products/{day}/products_{day}.jsonl", lines=True, dtype=False)
    stores = pd.read_json(clean_chain / f"drop/retail/stores/{day}/stores_{day}.jsonl", lines=True, dtype=False)
    assert all(gs1.is_gtin(g) and len(g) == 13 for g in products["gtin"])
    assert all(gs1.is_gln(g) for g in stores["store_gln"]) and all(gs1.is_gln(g) for g in products["producer_gln"])
    shipments = pd.concat(
        pd.read_csv(p, sep=";", dtype=str) for p in (clean_chain / "drop/supply/shipments").rglob("*.csv")
    )
    assert len(shipments) > 0 and all(gs1.is_sscc(s) for s in shipments["sscc"])


def test_stock_equations_hold_in_the_truth(clean_chain: Path) -> None:
    s = truth_series(clean_chain)
    physical = s.physical_open + s.received_physical - s.sales - s.shrink - s.waste
    assert (physical == s.physical_close).all()
    recorded = s.recorded_open + s.received_recorded - s.sales - s.waste + s.adjustment
    assert (recorded == s.recorded_close).all()
    assert (s.sales <= s.demand).all() and (s.lost_sales == s.demand - s.sales).all()
    assert (s.physical_close >= 0).all()


def test_recorded_stock_in_the_files_is_the_truths_recorded_stock(clean_chain: Path) -> None:
    s = truth_series(clean_chain)
    day = SIM_START.isoformat()
    files = pd.concat(pd.read_parquet(p) for p in (clean_chain / f"drop/retail/stock/{day}").glob("*.parquet"))
    merged = files.merge(s[s.date == SIM_START], on=["store_gln", "gtin"])
    assert len(merged) == len(files) and (merged.on_hand_qty == merged.recorded_close).all()


def test_sales_in_the_tills_are_the_truths_sales(clean_chain: Path) -> None:
    s = truth_series(clean_chain)
    day = SIM_START.isoformat()
    pos = pd.concat(
        pd.read_csv(p, sep=";", decimal=",", dtype={"gtin": str, "store_gln": str})
        for p in (clean_chain / f"drop/retail/pos/{day}").glob("*.csv")
    )
    sold = pos.groupby(["store_gln", "gtin"]).quantity.sum()
    truth = s[(s.date == SIM_START) & (s.sales > 0)].set_index(["store_gln", "gtin"]).sales
    pd.testing.assert_series_equal(sold.sort_index(), truth.sort_index(), check_names=False)


def test_demand_is_realistic(tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("month")
    simulate(SimulationParams(8, 150, 28, SIM_START, 3, out, 0.0))
    s = truth_series(out)
    open_days = s[s.is_store_open]
    mean_rate = open_days.groupby(["store_gln", "gtin"]).demand.mean()
    assert (mean_rate < 0.5).mean() > 0.15, "many slow movers (intermittent demand)"
    assert (open_days.demand == 0).mean() > 0.25
    stockout_rate = open_days.is_stockout.mean()
    assert 0.01 < stockout_rate < 0.2, stockout_rate
    per_store = open_days.groupby("store_gln").is_stockout.mean()
    assert per_store.max() - per_store.min() > 0.005, "stockouts differ by store"
    weekday = open_days.assign(wd=pd.to_datetime(open_days.date).dt.day_of_week).groupby("wd").demand.mean()
    assert weekday[5] > weekday[1] * 1.2, "Saturdays are busier than Tuesdays"
    assert (s.recorded_close != s.physical_close).mean() > 0.01, "some recorded stock is phantom"
    assert (open_days.lost_sales > 0).any()


def test_epcis_documents_validate_against_the_official_schema(clean_chain: Path) -> None:
    documents = sorted((clean_chain / "drop/producer/epcis").rglob("*.jsonld"))
    assert documents
    types = set()
    for path in documents:
        document = json.loads(path.read_text())
        assert list(epcis_validator().iter_errors(document)) == []
        types |= {event["type"] for event in document["epcisBody"]["eventList"]}
    assert {"ObjectEvent", "AggregationEvent", "TransformationEvent"} <= types


def test_transformations_respect_their_maximum_yield(clean_chain: Path) -> None:
    t = pd.concat(pd.read_parquet(p) for p in (clean_chain / "truth/transformations").glob("*.parquet"))
    assert len(t) > 0
    per_event = t.pivot_table(index=["event_id", "max_yield"], columns="direction", values="kg", aggfunc="sum")
    ratio = per_event["output"] / per_event["input"]
    assert (ratio <= ratio.index.get_level_values("max_yield")).all()
    assert (ratio > 0.5).all()


def test_lots_received_by_stores_were_shipped_and_delivered_before(clean_chain: Path) -> None:
    flows = pd.concat(pd.read_parquet(p) for p in (clean_chain / "truth/lot_flows").glob("*.parquet"))
    receipts = pd.concat(
        pd.read_csv(p, sep=";", dtype=str) for p in (clean_chain / "drop/supply/receipts").rglob("*.csv")
    )
    shipments = pd.concat(
        pd.read_csv(p, sep=";", dtype=str) for p in (clean_chain / "drop/supply/shipments").rglob("*.csv")
    )
    shipped = set(zip(shipments.sscc, shipments.gtin, shipments.lot, strict=True))
    # lorries that left during the simulation's warm-up arrive on the first days: skip those
    receipts = receipts[receipts.shipment_id.isin(shipments.shipment_id)]
    assert len(receipts) > 0
    assert set(zip(receipts.sscc, receipts.gtin, receipts.lot, strict=True)) <= shipped
    assert {"to_plant", "ship_to_warehouse", "to_store"} <= set(flows.step)


def test_bad_parameters_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days"):
        simulate(SimulationParams(2, 10, 0, SIM_START, 1, tmp_path / "x", 0.0))
    with pytest.raises(ValueError, match="rate"):
        simulate(SimulationParams(2, 10, 1, SIM_START, 1, tmp_path / "x", 1.5))
    (tmp_path / "busy" / "drop").mkdir(parents=True)
    (tmp_path / "busy" / "drop" / "mine.txt").write_text("not a simulation")
    with pytest.raises(FileExistsError):
        simulate(SimulationParams(2, 10, 1, SIM_START, 1, tmp_path / "busy", 0.0))


def test_promotions_announced_before_they_start(clean_chain: Path) -> None:
    promos = pd.concat(
        pd.read_csv(p, sep=";", decimal=",", dtype=str) for p in (clean_chain / "drop/retail/promotions").rglob("*.csv")
    )
    assert len(promos) > 0
    assert (pd.to_datetime(promos.end_date) >= pd.to_datetime(promos.announced_on)).all()
    assert np.isin(promos.mechanism.unique(), ["price_cut", "loyalty_card"]).all()


def test_gate_faults_land_after_the_first_day_and_name_the_expectation_that_stops_them(tmp_path: Path) -> None:
    from retail_factory.quality.suites import all_suites
    from retail_factory.sources.simulator.faults import CAUGHT_BY, GATE_FAULTS, LANDED
    from retail_factory.sources.simulator.truth import read_faults

    out = tmp_path / "gate-faults"
    simulate(SimulationParams(5, 60, 3, SIM_START, 11, out, faults=0.3, gate_faults=0.5))
    faults = read_faults(out)
    gate_faults = [f for f in faults if f["kind"] in GATE_FAULTS]
    assert gate_faults and len(gate_faults) < len(faults)
    assert all(f["expected"] == LANDED and f["date"] != SIM_START.isoformat() for f in gate_faults)
    # a file the landing will refuse gets no gate fault on top (it would never reach a gate)
    landing_files = {f["file"] for f in faults if f["kind"] not in GATE_FAULTS}
    assert not landing_files & {f["file"] for f in gate_faults}
    # every kind names a gate, a suite and an expectation that exist
    suites = {s.name: s for s in all_suites()}
    assert set(CAUGHT_BY) == set(GATE_FAULTS)
    for gate, suite, expectation in CAUGHT_BY.values():
        assert suites[suite].gate == gate
        assert expectation in {e.expectation_type for e in suites[suite].expectations}


def test_no_store_books_a_receipt_before_its_lorry_left(clean_chain: Path) -> None:
    from retail_factory.sources.simulator.writers import _received_second, _shipped_second

    # every store index a large chain has, not only the five of the test chain
    assert all(_received_second(store) > _shipped_second(store) for store in range(10_000))
    drop = clean_chain / "drop" / "supply"
    read = {"sep": ";", "dtype": str}
    shipments = pd.concat(pd.read_csv(p, **read) for p in sorted((drop / "shipments").rglob("*.csv")))
    receipts = pd.concat(pd.read_csv(p, **read) for p in sorted((drop / "receipts").rglob("*.csv")))
    both = receipts.merge(shipments[["shipment_id", "shipped_at"]].drop_duplicates(), on="shipment_id")
    assert len(both) > 0
    assert (pd.to_datetime(both["received_at"], utc=True) > pd.to_datetime(both["shipped_at"], utc=True)).all()
