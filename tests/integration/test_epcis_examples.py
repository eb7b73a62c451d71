"""GS1's own EPCIS 2.0 examples go through the whole chain: landed, loaded, built by dbt.

Every example lands (none quarantined), and every identifier the warehouse parsed (dbt's
``epc`` macros, SQL) has the same GTIN, lot, serial and SSCC as the Python reading of it
(``traceability.identifiers``): one canonical key on both sides.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from retail_factory.config import DOMAINS
from retail_factory.landing.lander import Lander
from retail_factory.sources.contracts import contract_for
from retail_factory.storage import blob_service, empty_containers
from retail_factory.traceability.identifiers import parse_identifier
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.dbt import run_dbt
from retail_factory.warehouse.loader import RawLoader

from tests.integration.warehouse_helpers import environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLES = Path(__file__).parents[1] / "data" / "gs1-epcis" / "examples"
DAY = dt.date(2025, 3, 3)


@pytest.fixture(scope="module")
def examples_built(azurite, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("gs1-examples")
    target = folder / "drop" / "producer" / "epcis" / DAY.isoformat()
    target.mkdir(parents=True)
    for n, path in enumerate(sorted(EXAMPLES.glob("*.jsonld"))):
        shutil.copyfile(path, target / f"epcis_example-{n:02d}_{DAY.isoformat()}.jsonld")
    service = blob_service()
    empty_containers(service)
    env = {"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(folder / "w.duckdb")}
    with environment(env):
        landing = Lander(service, run_id="test").land_entity(contract_for("producer", "epcis"), folder / "drop", DAY)
        RawLoader(service, get_warehouse()).load_day(DAY, DOMAINS)
        run_dbt(["run", "--full-refresh", "--select", "+int_epcis_items_parsed"], run_date=DAY)
        yield landing, get_warehouse()


def test_every_gs1_example_lands_and_loads(examples_built) -> None:
    landing, warehouse = examples_built
    counts = landing.counts()
    assert counts["files"] == len(list(EXAMPLES.glob("*.jsonld"))) == counts["landed"]
    assert counts["quarantined"] == 0
    _, rows = warehouse.query("select count(distinct _source_blob), count(*) from raw.producer__epcis_events")
    assert rows[0][0] == counts["files"] and rows[0][1] >= counts["files"]
    # Several examples repeat the same events (with a comment, with Digital Links …): each event
    # counts once, the repeats are kept as rejected rows that name the file that came first.
    _, rejected = warehouse.query(
        "select rejection_reason from staging.base_producer__epcis_events where rejection_reason is not null"
    )
    assert rejected and all(r.startswith("duplicate_event: event ") for (r,) in rejected), rejected
    assert all("was already delivered in producer/epcis/" in r for (r,) in rejected)


def test_sql_and_python_read_every_identifier_to_the_same_key(examples_built) -> None:
    _, warehouse = examples_built
    _, rows = warehouse.query(
        "select epc, gtin14, lot, serial, sscc from intermediate.int_epcis_items_parsed where epc is not null"
    )
    checked = 0
    for epc, gtin14, lot, serial, sscc in rows:
        if not epc.startswith(("urn:epc:id:sgtin", "urn:epc:class:lgtin", "urn:epc:id:sscc", "https://")):
            continue  # other schemes (GRAI, GIAI, GSRN …) carry no product, lot or pallet
        parsed = parse_identifier(epc)
        assert (parsed.gtin14, parsed.lot, parsed.serial, parsed.sscc) == (gtin14, lot, serial, sscc), epc
        checked += 1
    assert checked > 40
