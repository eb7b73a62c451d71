"""The dbt project keeps dbt-project-evaluator's main rules, checked on ``target/manifest.json``.

dbt-project-evaluator is a dbt package and dbt's hub is out of reach here, so its main rules are
checked directly: modelling layers and names, sources read once by staging only, primary-key
tests everywhere, full documentation, enforced contracts on public marts, unit tests beside logic.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from retail_factory.warehouse.dbt import ensure_manifest

LAYER_PREFIXES = {"staging": ("stg_", "base_"), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
PK_TESTS = {"unique_combination_of_columns"}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def layer(model: dict[str, Any]) -> str:
    return model["original_file_path"].split("/")[1]


def test_models_are_named_by_layer(manifest) -> None:
    wrong = [m["name"] for m in models(manifest) if not m["name"].startswith(LAYER_PREFIXES.get(layer(m), ("<none>",)))]
    assert not wrong, f"models whose name does not match their layer's prefix: {wrong}"


def test_only_staging_reads_sources_and_never_with_a_join_to_models(manifest) -> None:
    problems = []
    for model in models(manifest):
        upstream = model["depends_on"]["nodes"]
        sources = [n for n in upstream if n.startswith("source.")]
        if sources and layer(model) != "staging":
            problems.append(f"{model['name']} ({layer(model)}) reads {sources}")
        if sources and any(n.startswith("model.") for n in upstream):
            problems.append(f"{model['name']} joins a source to models")
    assert not problems, problems


def test_each_source_table_feeds_one_model(manifest) -> None:
    readers: dict[str, list[str]] = {}
    for model in models(manifest):
        for node in model["depends_on"]["nodes"]:
            if node.startswith("source."):
                readers.setdefault(node, []).append(model["name"])
    fan_out = {source: names for source, names in readers.items() if len(names) > 1}
    unused = set(manifest["sources"]) - set(readers)
    assert not fan_out, f"source tables read by several models: {fan_out}"
    assert not unused, f"source tables no model reads: {sorted(unused)}"


def test_marts_do_not_read_staging_of_other_layers_backwards(manifest) -> None:
    by_id = {n["unique_id"]: n for n in models(manifest)}
    order = {"staging": 0, "intermediate": 1, "marts": 2}
    backwards = [
        f"{m['name']} → {by_id[n]['name']}"
        for m in models(manifest)
        for n in m["depends_on"]["nodes"]
        if n in by_id and order[layer(by_id[n])] > order[layer(m)]
    ]
    assert not backwards, backwards


def test_every_model_has_a_primary_key_test(manifest) -> None:
    tested: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or "test_metadata" not in node:
            continue
        name = node["test_metadata"]["name"]
        column = node.get("column_name") or ""
        for parent in node["depends_on"]["nodes"][:1]:
            tested.setdefault(parent, set()).add(name if name in PK_TESTS else f"{name}:{column}")
    missing = []
    for model in models(manifest):
        tests = tested.get(model["unique_id"], set())
        has_combination = bool(tests & PK_TESTS)
        unique_columns = {t.split(":", 1)[1] for t in tests if t.startswith("unique:")}
        not_null_columns = {t.split(":", 1)[1] for t in tests if t.startswith("not_null:")}
        if not has_combination and not (unique_columns & not_null_columns):
            missing.append(model["name"])
    assert not missing, f"models without a primary-key test (unique + not_null, or a combination): {missing}"


def test_every_model_source_and_column_is_documented(manifest) -> None:
    undocumented = [m["name"] for m in models(manifest) if not m["description"].strip()]
    undocumented += [
        f"{m['name']}.{c}"
        for m in models(manifest)
        for c, col in m["columns"].items()
        if not col["description"].strip()
    ]
    undocumented += [
        f"source {s['source_name']}.{s['name']}" for s in manifest["sources"].values() if not s["description"]
    ]
    no_columns = [m["name"] for m in models(manifest) if not m["columns"]]
    assert not undocumented, f"missing descriptions: {undocumented}"
    assert not no_columns, f"models whose columns are not documented: {no_columns}"


def test_public_marts_enforce_their_contract(manifest) -> None:
    loose = [m["name"] for m in models(manifest) if layer(m) == "marts" and not m["config"]["contract"]["enforced"]]
    assert not loose, f"public marts without an enforced contract: {loose}"


def test_facts_and_intermediate_models_have_unit_tests(manifest) -> None:
    unit_tested = {node for test in manifest.get("unit_tests", {}).values() for node in test["depends_on"]["nodes"][:1]}
    logic = [m for m in models(manifest) if m["name"].startswith(("fct_", "int_", "base_"))]
    missing = [m["name"] for m in logic if m["unique_id"] not in unit_tested]
    assert not missing, f"models with logic and no unit test: {missing}"


def test_no_hard_coded_relation_names(manifest) -> None:
    pattern = re.compile(r"\b(from|join)\s+(raw|staging|intermediate|marts)\.", re.IGNORECASE)
    hard_coded = [m["name"] for m in models(manifest) if pattern.search(m["raw_code"])]
    assert not hard_coded, f"models naming relations instead of ref()/source(): {hard_coded}"


def test_unit_test_names_fit_postgresql_identifiers(manifest) -> None:
    # dbt names a relation after each unit test; PostgreSQL cuts identifiers at 63 characters
    long_names = [t["name"] for t in manifest.get("unit_tests", {}).values() if len(t["name"]) > 63]
    assert not long_names, f"unit tests whose names exceed 63 characters: {long_names}"
