"""EPCIS 2.0 contract: GS1's own examples pass; schema violations and unknown CBV values are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retail_factory.sources.contracts import contract_for, validate_file
from retail_factory.sources.contracts.epcis_format import SCHEMA_PATH

# GS1's schema and examples, copied unchanged from ../shared/epcis (see its README.md)
SHARED = Path(__file__).resolve().parents[1] / "data" / "gs1-epcis"
EXAMPLES = sorted((SHARED / "examples").glob("*.json*"))
EPCIS = contract_for("producer", "epcis")


def test_the_packaged_schema_is_gs1s_official_schema_unchanged() -> None:
    assert SCHEMA_PATH.read_bytes() == (SHARED / "EPCIS-JSON-Schema.json").read_bytes()


def test_there_are_gs1_examples_to_check() -> None:
    assert len(EXAMPLES) >= 40


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_official_example_passes_the_producer_contract(example: Path) -> None:
    report = validate_file(example, EPCIS)
    assert report.accepted, [f.to_dict() for f in report.file_errors]


def edited(tmp_path: Path, edit) -> Path:
    document = json.loads((SHARED / "examples" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    edit(document["epcisBody"]["eventList"])
    path = tmp_path / "epcis.jsonld"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    "step",
    ["teleporting", "urn:epcglobal:cbv:bizstep:teleporting", "https://ns.gs1.org/cbv/BizStep-teleporting"],
)
def test_unknown_bizstep_in_any_spelling_is_refused(tmp_path: Path, step: str) -> None:
    report = validate_file(edited(tmp_path, lambda events: events[1].update(bizStep=step)), EPCIS)
    assert [(f.code, f.row, f.found) for f in report.file_errors] == [("unknown_bizstep", 2, "teleporting")]
    assert "not a CBV 2.0 business step" in report.file_errors[0].message


@pytest.mark.parametrize(
    "step",
    [
        "urn:epcglobal:cbv:bizstep:receiving",
        "https://ns.gs1.org/cbv/BizStep-receiving",
        "https://example.com/bizstep/quality-check",
    ],
)
def test_urn_and_web_uri_spellings_and_extensions_are_accepted(tmp_path: Path, step: str) -> None:
    assert validate_file(edited(tmp_path, lambda events: events[0].update(bizStep=step)), EPCIS).accepted


def test_unknown_disposition(tmp_path: Path) -> None:
    report = validate_file(edited(tmp_path, lambda events: events[0].update(disposition="teleported")), EPCIS)
    assert [f.code for f in report.file_errors] == ["unknown_disposition"]


def test_schema_violation_names_the_event_and_the_rule(tmp_path: Path) -> None:
    report = validate_file(edited(tmp_path, lambda events: events[0].pop("eventTime")), EPCIS)
    error = report.file_errors[0]
    assert (error.code, error.row) == ("schema_violation", 1)
    assert "'eventTime' is a required property" in error.message and error.field == "epcisBody.eventList.0"


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "epcis.jsonld"
    path.write_text('{"type": "EPCISDocument",')
    report = validate_file(path, EPCIS)
    assert [(f.code, f.row) for f in report.file_errors] == [("bad_json", 1)]


def test_documents_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    from dataclasses import replace

    small_limit = replace(EPCIS, max_bytes=100)
    report = validate_file(SHARED / "examples" / "Example_9.6.1-ObjectEvent.jsonld", small_limit)
    assert [f.code for f in report.file_errors] == ["file_too_large"]
