"""The committed GX file context says what the code declares, and the custom SQL means what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from retail_factory import gs1
from retail_factory.config import PROJECT_ROOT
from retail_factory.quality import duckdb_dialect
from retail_factory.quality.context import CHECKPOINTS, DATASOURCE, URL_VARIABLE
from retail_factory.quality.expectations import gtin_is_valid
from retail_factory.quality.suites import CURATED_GATE, RAW_GATE, TRACE_GATE, all_suites

CONTEXT = PROJECT_ROOT / "expectations"
STALE = "the committed GX context is stale: run `retail-factory quality write-context` and commit expectations/"


def _committed_suite(name: str) -> dict:
    schema, table = name.split(".", 1)
    return json.loads((CONTEXT / "expectations" / schema / f"{table}.json").read_text(encoding="utf-8"))


def _comparable(configuration: dict) -> dict:
    return {key: value for key, value in configuration.items() if key not in ("id", "rendered_content")}


@pytest.mark.parametrize("spec", all_suites(), ids=lambda s: s.name)
def test_each_committed_suite_is_the_declared_one(spec) -> None:
    committed = _committed_suite(spec.name)
    assert committed["meta"] | spec.meta == committed["meta"], STALE
    declared = [_comparable(e.configuration.to_json_dict()) for e in spec.expectations]
    assert [_comparable(e) for e in committed["expectations"]] == declared, STALE


def test_every_expectation_has_a_severity_and_every_suite_can_fail_its_gate() -> None:
    for spec in all_suites():
        severities = [_comparable(e.configuration.to_json_dict())["severity"] for e in spec.expectations]
        assert set(severities) <= {"critical", "warning"}, spec.name
        if spec.gate == TRACE_GATE:  # reports the genealogy's issues, never stops a trace or a recall
            assert set(severities) == {"warning"}, spec.name
        else:
            assert "critical" in severities, f"{spec.name} has no critical expectation: it could never stop its gate"


def test_the_checkpoints_hold_every_suite_of_their_gate_once() -> None:
    members: dict[str, str] = {}
    for name in CHECKPOINTS:
        checkpoint = json.loads((CONTEXT / "checkpoints" / f"{name}.json").read_text(encoding="utf-8"))
        for definition in checkpoint["validation_definitions"]:
            assert definition["name"] not in members, definition
            members[definition["name"]] = CHECKPOINTS[name][0]
        assert [a["type"] for a in checkpoint["actions"]] == ["update_data_docs"]
    assert members == {s.name: s.gate for s in all_suites()}, STALE
    assert set(members.values()) == {RAW_GATE, CURATED_GATE, TRACE_GATE}


def test_the_context_keeps_no_url_and_sends_no_usage_statistics() -> None:
    config = yaml.safe_load((CONTEXT / "great_expectations.yml").read_text(encoding="utf-8"))
    assert config["analytics_enabled"] is False
    source = config["fluent_datasources"][DATASOURCE]
    assert source["connection_string"] == f"${{{URL_VARIABLE}}}"
    assert set(source["assets"]) == {s.name for s in all_suites()}, STALE
    for spec in all_suites():
        batches = source["assets"][spec.name]["batch_definitions"]
        if spec.partition_column:
            assert batches["daily"]["partitioner"]["column_name"] == spec.partition_column
            assert batches["daily"]["partitioner"]["method_name"] == "partition_on_column_value"
        else:
            assert "whole_table" in batches


VALUES = [
    "3017620422003",  # GTIN-13
    "3017620422004",
    "96385074",  # GTIN-8
    "96385075",
    "036000291452",  # GTIN-12
    "036000291453",
    "10036000291459",  # GTIN-14
    "10036000291450",
    "301762042200",  # 12 digits, wrong digit
    "30176204220",  # 11 digits
    "30176A0422003",
    " 3017620422003",
    "",
]


def test_the_gtin_sql_agrees_with_the_python_check_on_duckdb(tmp_path: Path) -> None:
    duckdb_dialect.register()
    engine = sa.create_engine(duckdb_dialect.duckdb_url(str(tmp_path / "gtin.duckdb")))
    values = sa.values(sa.column("gtin", sa.String), name="v").data([(v,) for v in VALUES])
    with engine.connect() as connection:
        rows = connection.execute(sa.select(values.c.gtin, gtin_is_valid(values.c.gtin))).fetchall()
    assert {value: bool(valid) for value, valid in rows} == {value: gs1.is_gtin(value) for value in VALUES}
    assert sum(bool(valid) for _, valid in rows) == 4


def test_the_duckdb_dialect_returns_rows_after_the_connection_is_released(tmp_path: Path) -> None:
    # GX reads a query's rows after leaving `with engine.connect()`; plain duckdb-engine returns none.
    duckdb_dialect.register()
    engine = sa.create_engine(duckdb_dialect.duckdb_url(str(tmp_path / "r.duckdb")))
    with engine.connect() as connection:
        result = connection.execute(sa.text("select 42 as answer"))
    assert result.fetchall() == [(42,)]
    with engine.begin() as connection:
        connection.execute(sa.text("create schema s; create table s.t (a varchar, b integer, c date)"))
    columns = sa.inspect(engine).get_columns("t", schema="s")
    assert [(c["name"], type(c["type"])) for c in columns] == [("a", sa.String), ("b", sa.Integer), ("c", sa.Date)]
