"""Traces against the simulator's truth: every store that truly received a lot is found, and no other.

A chain of eight days is landed, loaded and built like the DAGs do; ``trace_lots`` builds the
genealogy; then random lots are traced forward and backward and compared with what the simulator
says happened (``truth/lot_flows``, ``truth/transformations``), which the factory never reads.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from retail_factory.storage import blob_service, empty_containers
from retail_factory.traceability.genealogy import build_genealogy
from retail_factory.traceability.identifiers import lot_key, parse_identifier
from retail_factory.traceability.trace import LotNotFoundError, lots_on_shelf, trace_lot

from tests.conftest import SIM_START, _simulate
from tests.integration.warehouse_helpers import environment, land_and_load, run_models

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAYS = [SIM_START + dt.timedelta(days=i) for i in range(8)]
SAMPLE = 12  # lots of each kind traced


class Truth:
    """What the simulator says happened to each lot."""

    def __init__(self, truth: Path) -> None:
        flows = pd.concat(pd.read_parquet(p) for p in sorted((truth / "lot_flows").glob("*.parquet")))
        made = pd.concat(pd.read_parquet(p) for p in sorted((truth / "transformations").glob("*.parquet")))
        self.children: dict[str, set[str]] = defaultdict(set)
        self.parents: dict[str, set[str]] = defaultdict(set)
        for _, event in made.groupby("event_id"):
            inputs = {parse_identifier(c).key for c in event.loc[event["direction"] == "input", "epc_class"]}
            outputs = {parse_identifier(c).key for c in event.loc[event["direction"] == "output", "epc_class"]}
            for i in inputs:
                self.children[i] |= outputs
            for o in outputs:
                self.parents[o] |= inputs
        to_plant = flows[flows["step"] == "to_plant"]
        self.sources: dict[str, set[str]] = defaultdict(set)
        for gtin, lot, source in zip(to_plant["gtin"], to_plant["lot"], to_plant["from_gln"], strict=True):
            self.sources[lot_key(gtin, lot)].add(str(source))
        to_store = flows[flows["step"] == "to_store"]
        self.receipts = to_store[["date", "to_gln", "gtin", "lot"]].astype(str)
        self.stores: dict[str, set[str]] = defaultdict(set)
        for gtin, lot, store in zip(to_store["gtin"], to_store["lot"], to_store["to_gln"], strict=True):
            self.stores[lot_key(gtin, lot)].add(str(store))
        self.materials = sorted(self.children)

    def closure(self, key: str, step: dict[str, set[str]]) -> set[str]:
        seen, todo = {key}, [key]
        while todo:
            for nxt in step.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def stores_reached(self, key: str) -> set[str]:
        return set().union(*(self.stores.get(k, set()) for k in self.closure(key, self.children)))


@pytest.fixture(scope="module")
def genealogy(azurite, tmp_path_factory: pytest.TempPathFactory):
    folder = _simulate(tmp_path_factory.mktemp("trace-chain"), days=len(DAYS), faults=0.0, stores=4, products=40)
    service = blob_service()
    empty_containers(service)
    path = folder / "w.duckdb"
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(path)}):
        land_and_load(service, folder / "drop", DAYS)
        run_models(DAYS[-1], "--full-refresh")  # the genealogy reads the marts; dbt's data tests run elsewhere
        size = build_genealogy()
        yield Truth(folder / "truth"), size, path


def test_every_store_that_received_a_farm_lot_is_found_and_no_other(genealogy) -> None:
    truth, _, _ = genealogy
    lots = random.Random(7).sample(truth.materials, min(SAMPLE, len(truth.materials)))
    reached_stores = 0
    for key in lots:
        found = {s["store_id"] for s in trace_lot(key).stores if s["status"] == "received"}
        assert found == truth.stores_reached(key), key
        reached_stores += bool(found)
    assert reached_stores >= SAMPLE // 2  # the sample is not trivially empty


def test_every_store_that_received_a_shelf_lot_is_found_and_no_other(genealogy) -> None:
    truth, _, _ = genealogy
    lots = random.Random(11).sample(sorted(truth.stores), SAMPLE)
    for key in lots:
        trace = trace_lot(key)
        found = {s["store_id"] for s in trace.stores if s["status"] == "received"}
        assert found == truth.stores[key], key
        assert all(s["units_received"] > 0 and s["first_received"] for s in trace.stores if s["status"] == "received")


def test_a_backward_trace_finds_every_lot_a_product_was_made_from_and_where_it_came_from(genealogy) -> None:
    truth, _, _ = genealogy
    made = sorted(truth.parents)
    with_origin = 0
    for key in random.Random(3).sample(made, min(SAMPLE, len(made))):
        trace = trace_lot(key, "backward")
        ancestors = truth.closure(key, truth.parents)
        assert {lot["lot_key"] for lot in trace.lots} == ancestors, key
        for root in ancestors - set(truth.parents):  # what no transformation made: farm, mill, co-op lots
            found = {o["location_id"] for o in trace.origins if o["lot_key"] == root}
            if truth.sources.get(root):
                assert found == truth.sources[root], (key, root)
                with_origin += 1
            else:  # shipped before the data begins: said, not guessed
                assert not found and any(root in warning for warning in trace.warnings), (root, trace.warnings)
        assert {o["location_type"] for o in trace.origins} <= {"farm", "mill", "cooperative"}
    assert with_origin >= SAMPLE // 2


def test_the_lots_of_a_product_on_a_store_shelf_are_lots_the_store_received(genealogy) -> None:
    truth, _, _ = genealogy
    store, gtin = truth.receipts.iloc[len(truth.receipts) // 2][["to_gln", "gtin"]]
    day = DAYS[-1]
    lots = lots_on_shelf(gtin, store, day)
    mine = truth.receipts[(truth.receipts["to_gln"] == store) & (truth.receipts["gtin"] == gtin)]
    received = {lot_key(gtin, lot) for lot, date in zip(mine["lot"], mine["date"], strict=True) if date <= str(day)}
    assert lots and set(lots) <= received
    assert lots_on_shelf(gtin, store, DAYS[0] - dt.timedelta(days=1)) == []  # nothing received before the data


def test_a_lot_is_traced_whatever_its_spelling(genealogy) -> None:
    truth, _, _ = genealogy
    key = next(k for k in truth.materials if truth.stores_reached(k))
    lot = parse_identifier(key)
    by_link = trace_lot(lot.digital_link())
    by_urn = trace_lot(lot.urn(7))  # the simulator's company prefixes have 7 digits
    assert by_link.to_dict() == by_urn.to_dict() == trace_lot(key).to_dict()


def test_an_unknown_lot_and_a_malformed_identifier_get_clear_answers(genealogy) -> None:
    _, size, _ = genealogy
    assert size.lots > 100 and size.edges > 0 and size.movements > size.lots
    with pytest.raises(LotNotFoundError, match=r"no lot \(01\)03101285000093\(10\)NOPE in the genealogy"):
        trace_lot("(01)03101285000093(10)NOPE")
    with pytest.raises(ValueError, match="names a pallet, not a lot"):
        trace_lot("urn:epc:id:sscc:4012345.0000000001")


def test_the_command_line_answers_in_table_json_and_csv(genealogy) -> None:
    truth, _, path = genealogy
    key = next(k for k in truth.materials if truth.stores_reached(k))
    env = {"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(path)}
    command = [str(Path(sys.executable).with_name("retail-factory")), "trace", "--lot", key]
    with environment(env):
        table = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        as_json = json.loads(subprocess.run([*command, "--format", "json"], capture_output=True, text=True).stdout)
        as_csv = subprocess.run([*command, "--format", "csv"], capture_output=True, text=True).stdout
        missing = subprocess.run([*command[:-1], "(01)03101285000093(10)NOPE"], capture_output=True, text=True)
    stores = truth.stores_reached(key)
    assert f"forward trace of {key}" in table and f"stores reached ({len(stores)})" in table
    assert {s["store_id"] for s in as_json[0]["stores"]} >= stores
    assert as_csv.splitlines()[0].startswith("lot_key,movement,movement_date") and len(as_csv.splitlines()) > 2
    assert missing.returncode == 1 and "no lot (01)03101285000093(10)NOPE" in missing.stderr


def _recall(airflow_db: Path, tmp_path: Path, conf: dict) -> tuple:
    from retail_factory.runner import load_dags, run_dag

    dag = load_dags(("recall",))["recall"]
    return run_dag(dag, DAYS[-1], tmp_path / "recall.log", conf), tmp_path / "recall.log"


def _files(service, prefix: str) -> dict[str, bytes]:
    client = service.get_container_client("reports")
    return {b.name.removeprefix(prefix): client.download_blob(b.name).readall() for b in client.list_blobs(prefix)}


def test_a_recall_writes_the_spreadsheet_the_epcis_events_and_a_summary(genealogy, airflow_db, tmp_path) -> None:
    import io

    from retail_factory.sources.contracts.epcis_format import epcis_validator

    truth, _, _ = genealogy
    key = next(k for k in truth.materials if len(truth.stores_reached(k)) >= 2)
    conf = {"reason": "Listeria in a farm's lot", "lots": [parse_identifier(key).digital_link()], "recall_id": "t-1"}
    result, _ = _recall(airflow_db, tmp_path, conf)
    assert result.ok, result.failed_tasks
    service = blob_service()
    files = _files(service, "recalls/t-1/")
    assert set(files) == {"summary.md", "summary.json", "tracking_events.csv", "tracking_events.xlsx", "epcis.jsonld"}
    summary = json.loads(files["summary.json"])
    assert {s["store_id"] for s in summary["stores_to_alert"] if s["status"] == "received"} == truth.stores_reached(key)
    assert summary["lots_asked"] == [key] and "Listeria" in files["summary.md"].decode()
    sheet = pd.read_csv(io.BytesIO(files["tracking_events.csv"]), dtype=str)
    assert (
        list(sheet.columns)[:3] == ["traceability_lot_code", "gtin", "lot"] and len(sheet) == summary["tracking_events"]
    )
    assert {"Shipping", "Receiving", "Transformation"} <= set(sheet["event_type"])
    assert sheet["ship_to_gln"].isin(truth.stores_reached(key)).any()
    workbook = pd.read_excel(io.BytesIO(files["tracking_events.xlsx"]), dtype=str)
    assert list(workbook.columns) == list(sheet.columns)
    assert workbook["traceability_lot_code"].tolist() == sheet["traceability_lot_code"].tolist()
    document = json.loads(files["epcis.jsonld"])
    assert list(epcis_validator().iter_errors(document)) == []
    types = {e["type"] for e in document["epcisBody"]["eventList"]}
    assert {"TransformationEvent", "ObjectEvent"} <= types and summary["epcis_events"] == len(
        document["epcisBody"]["eventList"]
    )

    again, _ = _recall(airflow_db, tmp_path, conf)  # the same request replaces the same reports with the same bytes
    assert again.ok and {n: d for n, d in _files(service, "recalls/t-1/").items() if n != "tracking_events.xlsx"} == {
        n: d for n, d in files.items() if n != "tracking_events.xlsx"
    }


def test_a_refused_recall_says_why_and_writes_nothing(genealogy, airflow_db, tmp_path, capsys, caplog) -> None:
    def said(log: Path) -> str:  # wherever pytest sent the task's log
        return capsys.readouterr().out + caplog.text + log.read_text(errors="replace")

    conf = {"reason": "Bad lot", "lots": ["(01)03101285000093(10)NOPE"], "recall_id": "t-2"}
    result, log = _recall(airflow_db, tmp_path, conf)
    assert not result.ok and result.failed_tasks == ["write_recall_report"]
    assert "no lot (01)03101285000093(10)NOPE in the genealogy" in said(log)
    assert _files(blob_service(), "recalls/t-2/") == {}
    conf = {"reason": "Mixed", "lots": ["urn:epc:id:sscc:4012345.0000000001"], "recall_id": "t-3"}
    result, log = _recall(airflow_db, tmp_path, conf)
    assert not result.ok and "names a pallet, not a lot" in said(log)
    assert _files(blob_service(), "recalls/t-3/") == {}
