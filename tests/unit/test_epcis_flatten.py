"""EPCIS documents flattened for the warehouse: GS1's own examples and our simulator's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retail_factory.sources.contracts.epcis_format import events_of
from retail_factory.warehouse.epcis import event_key, flatten_epcis

EXAMPLES = sorted((Path(__file__).parents[1] / "data" / "gs1-epcis" / "examples").glob("*.json*"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_gs1_example_flattens_to_one_row_per_event(path: Path) -> None:
    events = events_of(json.loads(path.read_text(encoding="utf-8-sig")))
    tables = flatten_epcis(path)
    assert tables["epcis_events"].num_rows == len(events)
    assert tables["epcis_events"].column("_source_row").to_pylist() == list(range(1, len(events) + 1))
    for row, event in zip(tables["epcis_events"].to_pylist(), events, strict=True):
        assert json.loads(row["event_json"]) == event  # the original event is kept whole
        assert row["event_type"] == event["type"]


def test_transformation_inputs_and_outputs_are_listed_with_their_quantities(tmp_path: Path) -> None:
    event = {
        "type": "TransformationEvent",
        "eventTime": "2025-03-03T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
        "inputQuantityList": [
            {"epcClass": "urn:epc:class:lgtin:3405687.000001.F01", "quantity": 0.2, "uom": "LTR"},
            {"epcClass": "urn:epc:class:lgtin:3405687.000001.F02", "quantity": 0.3, "uom": "LTR"},
        ],
        "outputQuantityList": [{"epcClass": "https://id.gs1.org/01/03077739000043/10/LT1", "quantity": 24}],
        "outputEPCList": ["urn:epc:id:sscc:3077739.0000000089"],
    }
    path = tmp_path / "doc.jsonld"
    path.write_text(json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": [event]}}), encoding="utf-8")
    tables = flatten_epcis(path)
    quantities = tables["epcis_quantities"].to_pylist()
    assert [(q["role"], q["position"], q["quantity"], q["uom"]) for q in quantities] == [
        ("input", "1", "0.2", "LTR"),
        ("input", "2", "0.3", "LTR"),
        ("output", "1", "24", None),
    ]
    assert quantities[2]["epc_class"] == "https://id.gs1.org/01/03077739000043/10/LT1"  # kept as sent
    assert tables["epcis_epcs"].to_pylist()[0]["role"] == "output"
    (row,) = tables["epcis_events"].to_pylist()
    assert row["biz_step"] == "commissioning"  # the URN spelling is written bare
    assert row["event_key"].startswith("sha256:")  # no eventID: a content hash, stable across deliveries
    assert event_key(event) == row["event_key"]


def test_an_error_declaration_is_a_record_of_its_own() -> None:
    original = {"type": "ObjectEvent", "eventID": "ni:///sha-256;abc"}
    declared = {**original, "errorDeclaration": {"declarationTime": "2025-03-04T10:00:00Z", "reason": "incorrect_data"}}
    assert event_key(original) == "ni:///sha-256;abc"
    assert event_key(declared) == "ni:///sha-256;abc#errorDeclaration"
