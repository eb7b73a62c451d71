"""The plugin's pages served by Airflow's own API server app (its auth manager, its plugin loading),
in process; the warehouse is a real DuckDB file and the reports a real Azurite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from retail_factory.config import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(path))
    return path


def test_the_pages_are_in_the_ui_navigation_and_behind_airflow_login(api) -> None:
    plugins = {p["name"]: p for p in api.get("/api/v2/plugins").json()["plugins"]}
    views = plugins["retail_factory"]["external_views"]
    assert [(v["name"], v["href"], v["category"]) for v in views] == [
        ("Stockout board", "retail-factory/stockouts", "Retail Factory"),
        ("Trace", "retail-factory/trace", "Retail Factory"),
        ("Data quality", "retail-factory/quality", "Retail Factory"),
    ]
    anonymous = api.get("/retail-factory/stockouts", headers={"Authorization": ""})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/auth/login?next=")
    assert "retail-factory%2Fstockouts" in anonymous.headers["location"]
    forged = api.get("/retail-factory/trace", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 403


@pytest.mark.parametrize("warehouse", ["no DuckDB file", "an empty DuckDB file", "an empty PostgreSQL database"])
def test_before_any_run_each_page_says_there_is_nothing_yet(
    api, empty_warehouse: Path, storage, request: pytest.FixtureRequest, warehouse: str
) -> None:
    """Each engine's "no such table" is the same page (Spark's: test_spark.py)."""
    if warehouse == "an empty DuckDB file":
        import duckdb

        duckdb.connect(str(empty_warehouse)).close()
    elif warehouse == "an empty PostgreSQL database":
        request.getfixturevalue("postgres_warehouse")
    for path in ("/retail-factory/stockouts", "/retail-factory/trace?q=03000000000014"):
        page = api.get(path)
        assert page.status_code == 200 and "Nothing to show yet" in page.text, path
    quality = api.get("/retail-factory/quality")
    assert quality.status_code == 200
    assert "No gate has run" in quality.text and "No file quarantined" in quality.text


def test_a_warehouse_held_by_a_writer_gives_a_busy_page_that_retries(api, empty_warehouse: Path) -> None:
    import duckdb

    duckdb.connect(str(empty_warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(empty_warehouse)!r})
            print("holding", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        page = api.get("/retail-factory/stockouts")
        assert page.status_code == 503 and "The warehouse is busy" in page.text
        assert '<meta http-equiv="refresh"' in page.text
    finally:
        holder.communicate("", timeout=30)
    assert api.get("/retail-factory/stockouts").status_code == 200  # the writer is gone: the page answers


def test_a_search_that_names_nothing_says_why(api, empty_warehouse: Path) -> None:
    page = api.get("/retail-factory/trace", params={"q": "hello"})
    assert page.status_code == 200 and "is not an EPC URN" in page.text
    bad_digits = api.get("/retail-factory/trace", params={"q": "12345"})
    assert "has 5 digits" in bad_digits.text
    place = api.get("/retail-factory/trace", params={"q": "(414)3077739000011"})
    assert "search a lot, a GTIN or a pallet" in place.text


def test_the_quality_page_lists_the_gates_and_the_quarantine_with_their_reasons(api, storage, empty_warehouse) -> None:
    settings = get_settings()
    reports = storage.get_container_client(settings.reports_container)
    failure = {"suite": "raw_retail__pos", "expectation": "expect_column_values_to_not_be_null", "severity": "critical",
               "column": "gtin", "description": "every till line names its product", "unexpected": 3, "checked": 40,
               "observed": None, "sample": [None], "error": None}  # fmt: skip
    gate = {"gate": "raw_gate", "date": "2025-03-04", "passed": False, "failures": [failure], "warnings": [],
            "validated": {"raw_retail__pos": {"expectations": 12, "failed": 1}}, "empty": ["raw_retail__stock"],
            "report": None}  # fmt: skip
    reports.upload_blob("quality/2025-03-04/raw_gate/gate.json", json.dumps(gate))
    reports.upload_blob("quality/2025-03-04/raw_gate/data_docs/index.html", b"<html>GX Data Docs</html>")
    reports.upload_blob("quality/2025-03-03/raw_gate/gate.json", json.dumps({**gate, "date": "2025-03-03"}))
    quarantine = storage.get_container_client(settings.quarantine_container)
    error = {"file": "retail/pos/2025-03-04/pos_S1.csv", "quarantined_as": "quarantine/retail/pos/x", "ingest_date":
             "2025-03-04", "reason": "row 7: gtin 123 has a wrong check digit", "errors": [{"code": "bad_gtin",
             "message": "wrong check digit", "row": 7, "field": "gtin"}], "errors_total": 1, "row_errors_sample": [],
             "row_errors_total": 0, "how_to_fix": "Fix it and deliver again."}  # fmt: skip
    quarantine.upload_blob("retail/pos/ingest_date=2025-03-04/pos_S1.csv.error.json", json.dumps(error))

    page = api.get("/retail-factory/quality")
    assert page.status_code == 200
    text = page.text
    assert "Data quality on 2025-03-04" in text and 'href="?date=2025-03-03"' in text  # newest first, others linked
    assert 'raw_gate: <span class="bad">failed</span>' in text
    assert "expect_column_values_to_not_be_null on raw_retail__pos.gtin: 3 bad of 40" in text
    assert "raw_retail__stock" in text and "no rows for the date" in text
    assert "row 7: gtin 123 has a wrong check digit" in text and "row 7 field gtin: wrong check digit" in text
    docs = api.get("/retail-factory/quality/report/2025-03-04/raw_gate/data_docs/index.html")
    assert docs.status_code == 200 and "GX Data Docs" in docs.text
    assert docs.headers["content-type"].startswith("text/html")
    assert api.get("/retail-factory/quality/report/2025-03-04/../../secret").status_code == 404
    assert api.get("/retail-factory/quality/report/2025-03-05/raw_gate/gate.json").status_code == 404
