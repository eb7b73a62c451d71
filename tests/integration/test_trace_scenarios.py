"""EPCIS scenarios through the whole chain, with exact answers: a corrected event, a duplicate event,
an out-of-order event, relabelling, pallets packed and unpacked, and a transaction event, landed
and loaded on two days, built by dbt, and traced.

Day 1: farm F1 ships lot A to plant P; the plant makes lot X from A (event E1), relabels X as X2
(another GTIN), packs X2 on pallet S and ships S to warehouse W.
Day 2: the plant declares E1 erroneous (it used lot B, not A) and sends the corrective event E2
(B → X); farm F1's shipment of A is sent again (the same eventID); farm F2's shipment of B, which
happened before everything else, arrives only now (out of order). A TransactionEvent (shipping,
against purchase order PO-7) brings lot C from F1; the plant makes Y and Y3 from it and packs both
on pallet S2, takes Y3 off again and ships S2 to W (only Y leaves); it packs Y3 on pallet S3,
empties S3 (a DELETE naming no child) and ships S3 (nothing leaves).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from retail_factory.config import DOMAINS
from retail_factory.gs1 import lgtin_urn, sgln_urn, sscc_urn, with_check_digit
from retail_factory.sources.contracts import contract_for
from retail_factory.storage import blob_service, empty_containers
from retail_factory.traceability.genealogy import build_genealogy
from retail_factory.traceability.identifiers import lot_key as key
from retail_factory.traceability.trace import trace_lot
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.loader import RawLoader

from tests.integration.warehouse_helpers import environment, run_models

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAY1, DAY2 = dt.date(2025, 3, 3), dt.date(2025, 3, 4)
PREFIX = 7
MILK, CURD, BOX = (with_check_digit(f"300000000000{n}") for n in range(1, 4))
F1, F2, P, W = (with_check_digit(f"300000000{n:03d}") for n in (11, 12, 21, 31))
PALLET, PALLET2, PALLET3 = (with_check_digit(f"0300000000000000{n}") for n in range(1, 4))


def _place(gln: str) -> dict:
    return {"id": sgln_urn(gln, PREFIX)}


def _event(kind: str, event_id: str, day: dt.date, hour: int, **fields) -> dict:
    return {
        "type": kind,
        "eventID": f"urn:uuid:00000000-0000-4000-8000-{event_id:0>12}",
        "eventTime": f"{day.isoformat()}T{hour:02d}:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        **fields,
    }


def _shipping(event_id: str, day: dt.date, hour: int, source: str, target: str, epcs=(), lots=()) -> dict:
    """An ObjectEvent shipping pallets (``epcs``) or lots of milk (``lots``: lot and kilograms)."""
    quantities = [{"epcClass": lgtin_urn(MILK, lot, PREFIX), "quantity": kg, "uom": "KGM"} for lot, kg in lots]
    return _event(
        "ObjectEvent",
        event_id,
        day,
        hour,
        epcList=list(epcs),
        **({"quantityList": quantities} if quantities else {}),
        action="OBSERVE",
        bizStep="shipping",
        disposition="in_transit",
        readPoint=_place(source),
        sourceList=[{"type": "location", "source": sgln_urn(source, PREFIX)}],
        destinationList=[{"type": "location", "destination": sgln_urn(target, PREFIX)}],
    )


def _making(event_id: str, day: dt.date, hour: int, inputs: list, outputs: list, **more) -> dict:
    def quantities(items: list) -> list:
        return [{"epcClass": lgtin_urn(g, lot, PREFIX), "quantity": q, "uom": "KGM"} for g, lot, q in items]

    return _event(
        "TransformationEvent",
        event_id,
        day,
        hour,
        inputQuantityList=quantities(inputs),
        outputQuantityList=quantities(outputs),
        bizStep="commissioning",
        disposition="active",
        readPoint=_place(P),
        bizLocation=_place(P),
        **more,
    )


def _packing(event_id: str, day: dt.date, hour: int, pallet: str, action: str, boxes: list) -> dict:
    """An AggregationEvent putting lots of boxes (lot and kilograms) on a pallet, or taking them off."""
    children = [{"epcClass": lgtin_urn(BOX, lot, PREFIX), "quantity": kg, "uom": "KGM"} for lot, kg in boxes]
    return _event(
        "AggregationEvent",
        event_id,
        day,
        hour,
        parentID=sscc_urn(pallet, PREFIX),
        childEPCs=[],
        **({"childQuantityList": children} if children else {}),
        action=action,
        bizStep="packing" if action == "ADD" else "unpacking",
        disposition="in_progress",
        readPoint=_place(P),
    )


E1 = _making("e1", DAY1, 9, [(MILK, "A", 100)], [(CURD, "X", 80)])
DAY1_EVENTS = [
    _shipping("a1", DAY1, 7, F1, P, lots=[("A", 100)]),
    E1,
    _making("r1", DAY1, 10, [(CURD, "X", 80)], [(BOX, "X2", 80)]),  # relabelling
    _packing("p1", DAY1, 11, PALLET, "ADD", [("X2", 80)]),
    _shipping("s1", DAY1, 12, P, W, epcs=[sscc_urn(PALLET, PREFIX)]),
]
DAY2_EVENTS = [
    {
        **E1,
        "errorDeclaration": {
            "declarationTime": f"{DAY2.isoformat()}T08:00:00.000+01:00",
            "reason": "incorrect_data",
            "correctiveEventIDs": ["urn:uuid:00000000-0000-4000-8000-0000000000e2"],
        },
    },
    _making("e2", DAY1, 9, [(MILK, "B", 100)], [(CURD, "X", 80)]),  # what really happened on day 1
    _shipping("a1", DAY1, 7, F1, P, lots=[("A", 100)]),  # sent again
    _shipping("b1", DAY1 - dt.timedelta(days=1), 18, F2, P, lots=[("B", 100)]),  # happened first, arrives last
    {
        **_shipping("t1", DAY2, 7, F1, P, lots=[("C", 60)]),
        "type": "TransactionEvent",
        "action": "ADD",
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:3000000000219:PO-7"}],
    },
    _making("m2", DAY2, 9, [(MILK, "C", 60)], [(BOX, "Y", 30), (BOX, "Y3", 20)]),
    _packing("p2", DAY2, 10, PALLET2, "ADD", [("Y", 30), ("Y3", 20)]),
    _packing("u2", DAY2, 11, PALLET2, "DELETE", [("Y3", 20)]),
    _shipping("s2", DAY2, 12, P, W, epcs=[sscc_urn(PALLET2, PREFIX)]),
    _packing("p3", DAY2, 13, PALLET3, "ADD", [("Y3", 20)]),
    _packing("u3", DAY2, 14, PALLET3, "DELETE", []),  # empties the pallet
    _shipping("s3", DAY2, 15, P, W, epcs=[sscc_urn(PALLET3, PREFIX)]),
]


def _document(events: list, day: dt.date) -> dict:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": f"{day.isoformat()}T20:00:00.000+01:00",
        "epcisBody": {"eventList": events},
    }


@pytest.fixture(scope="module")
def scenario(azurite, tmp_path_factory: pytest.TempPathFactory):
    from retail_factory.landing.lander import Lander

    folder = Path(tmp_path_factory.mktemp("trace-scenarios"))
    for day, events in ((DAY1, DAY1_EVENTS), (DAY2, DAY2_EVENTS)):
        target = folder / "drop" / "producer" / "epcis" / day.isoformat()
        target.mkdir(parents=True)
        (target / f"epcis_{P}_{day.isoformat()}.jsonld").write_text(json.dumps(_document(events, day)))
    service = blob_service()
    empty_containers(service)
    env = {"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(folder / "w.duckdb")}
    with environment(env):
        landed = []
        for day in (DAY1, DAY2):  # landed and loaded day by day, built after each, as the DAGs do
            landing = Lander(service, run_id="test").land_entity(
                contract_for("producer", "epcis"), folder / "drop", day
            )
            landed.append(landing.counts())
            RawLoader(service, get_warehouse()).load_day(day, DOMAINS)
            selection = "+fct_lot_links +fct_lot_events +fct_receipts +fct_inventory_daily +dim_products +dim_locations"
            run_models(day, "--select", *selection.split())  # seeds too (dim_products reads one)
        build_genealogy()
        yield landed


def test_both_days_land_whole(scenario) -> None:
    assert [c["quarantined"] for c in scenario] == [0, 0] and [c["landed"] for c in scenario] == [1, 1]


def test_a_corrected_event_no_longer_counts_its_corrective_event_does(scenario) -> None:
    back = trace_lot(key(CURD, "X"), "backward")
    assert {lot["lot_key"] for lot in back.lots} == {key(CURD, "X"), key(MILK, "B")}
    assert trace_lot(key(MILK, "A")).lots == [{"lot_key": key(MILK, "A"), "depth": 0, "gtin14": MILK, "lot": "A"}]


def test_an_out_of_order_event_takes_its_place_in_time(scenario) -> None:
    back = trace_lot(key(BOX, "X2"), "backward")
    assert [(o["location_id"], o["lot_key"], o["first_shipped"]) for o in back.origins] == [
        (F2, key(MILK, "B"), DAY1 - dt.timedelta(days=1))
    ]
    assert back.warnings == [] and back.issues == []  # B arrived (day 0) before it was used (day 1)


def test_a_duplicate_event_counts_once(scenario) -> None:
    moves = trace_lot(key(MILK, "A")).movements
    assert [(m["movement"], m["from_location_id"], m["to_location_id"], float(m["quantity"])) for m in moves] == [
        ("shipped", F1, P, 100.0)
    ]


def test_a_relabelled_lot_on_a_pallet_follows_the_pallet(scenario) -> None:
    forward = trace_lot(key(MILK, "B"))
    assert {lot["lot_key"]: lot["depth"] for lot in forward.lots} == {
        key(MILK, "B"): 0,
        key(CURD, "X"): 1,
        key(BOX, "X2"): 2,
    }
    on_pallet = [m for m in forward.movements if m["sscc"] == PALLET]
    assert [(m["lot_key"], m["from_location_id"], m["to_location_id"], float(m["quantity"])) for m in on_pallet] == [
        (key(BOX, "X2"), P, W, 80.0)
    ]


def test_a_transaction_event_moves_its_lot_with_its_purchase_order(scenario) -> None:
    moves = trace_lot(key(MILK, "C")).movements
    assert [(m["lot_key"], m["from_location_id"], m["to_location_id"], float(m["quantity"])) for m in moves] == [
        (key(MILK, "C"), F1, P, 60.0),
        (key(BOX, "Y"), P, W, 30.0),
    ]
    assert moves[0]["reference_id"] == "PO-7"


def test_a_pallet_carries_what_is_on_it_when_it_leaves(scenario) -> None:
    forward = trace_lot(key(MILK, "C"))
    assert {lot["lot_key"] for lot in forward.lots} == {key(MILK, "C"), key(BOX, "Y"), key(BOX, "Y3")}
    assert [(m["sscc"], m["lot_key"]) for m in forward.movements if m["sscc"]] == [(PALLET2, key(BOX, "Y"))]
    assert trace_lot(key(BOX, "Y3")).movements == []  # taken off S2, and S3 was emptied: it never left the plant
