"""Landing against a real Azurite: byte-for-byte copies, quarantine with reasons, exactly once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from retail_factory.landing.lander import ERROR_SUFFIX, REJECTED_ROWS_SUFFIX, Lander
from retail_factory.sources.contracts import ALL_CONTRACTS, contract_for
from retail_factory.sources.simulator.faults import (
    FAULTS,
    FLAGGED,
    GATE_FAULTS,
    LANDED,
    QUARANTINED,
    ROWS_REJECTED,
    inject,
)
from retail_factory.storage import StorageUnavailableError, blob_service

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import file_to_spoil

pytestmark = pytest.mark.integration
DAY = SIM_START


@pytest.fixture
def service(storage):
    """The client the DAGs use: built by the Azure provider from the ``wasb_default`` connection."""
    return blob_service()


def land_day(service, drop: Path, day: dt.date = DAY, **kwargs) -> dict[str, object]:
    lander = Lander(service, run_id="test", **kwargs)
    return {f"{c.domain}/{c.entity}": lander.land_entity(c, drop, day) for c in ALL_CONTRACTS}


def blobs(service, container: str, prefix: str = "") -> dict[str, dict]:
    client = service.get_container_client(container)
    return {b.name: dict(b.metadata or {}) for b in client.list_blobs(name_starts_with=prefix, include=["metadata"])}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_clean_day_lands_byte_for_byte_with_its_metadata(service, drop_copy: Path) -> None:
    results = land_day(service, drop_copy)
    delivered = sorted(p for p in drop_copy.rglob(f"*/{DAY.isoformat()}/*") if p.is_file())
    assert all(o.status == "landed" for r in results.values() for o in r.outcomes)
    raw = blobs(service, "raw")
    assert len(raw) == len(delivered) and not blobs(service, "quarantine")
    client = service.get_container_client("raw")
    for path in delivered:
        domain, entity, _ = path.relative_to(drop_copy).parts[:3]
        name = f"{domain}/{entity}/ingest_date={DAY.isoformat()}/{path.name}"
        meta = raw[name]
        assert meta["sha256"] == sha(path)
        assert meta["contract"] == f"{domain}.{entity}" and meta["contract_version"]
        assert meta["source_path"] == path.relative_to(drop_copy).as_posix() and meta["version"] == "1"
        assert (
            int(meta["rows"])
            == results[f"{domain}/{entity}"]
            .outcomes[[o.source for o in results[f"{domain}/{entity}"].outcomes].index(meta["source_path"])]
            .rows
        )
    one = delivered[len(delivered) // 2]
    domain, entity, _ = one.relative_to(drop_copy).parts[:3]
    landed = client.download_blob(f"{domain}/{entity}/ingest_date={DAY.isoformat()}/{one.name}").readall()
    assert landed == one.read_bytes()


def test_re_running_a_date_lands_nothing_new(service, drop_copy: Path) -> None:
    land_day(service, drop_copy)
    before = {
        name: props.last_modified
        for name, props in ((b.name, b) for b in service.get_container_client("raw").list_blobs())
    }
    for _ in range(2):
        results = land_day(service, drop_copy)
        assert {o.status for r in results.values() for o in r.outcomes} == {"already_landed"}
    after = {b.name: b.last_modified for b in service.get_container_client("raw").list_blobs()}
    assert after == before


def test_a_corrected_file_lands_as_a_new_version_never_over_the_first(service, drop_copy: Path) -> None:
    promotions = drop_copy / "retail" / "promotions" / DAY.isoformat() / f"promotions_{DAY.isoformat()}.csv"
    first = promotions.read_bytes()
    land_day(service, drop_copy)
    promotions.write_bytes(first.replace(b"price_cut", b"loyalty_card", 1) if b"price_cut" in first else first + b"")
    if promotions.read_bytes() == first:  # no promotion that day: correct the header-only file differently
        promotions.write_bytes(first.replace(b"\n", b"\r\n"))
    result = Lander(service).land_entity(contract_for("retail", "promotions"), drop_copy, DAY)
    prefix = f"retail/promotions/ingest_date={DAY.isoformat()}/"
    raw = blobs(service, "raw", prefix)
    assert sorted(raw) == [
        prefix + f"promotions_{DAY.isoformat()}.csv",
        prefix + f"promotions_{DAY.isoformat()}.v2.csv",
    ]
    assert raw[prefix + f"promotions_{DAY.isoformat()}.v2.csv"]["version"] == "2"
    client = service.get_container_client("raw")
    assert client.download_blob(prefix + f"promotions_{DAY.isoformat()}.csv").readall() == first
    assert [o.status for o in result.outcomes] == ["landed"]
    again = Lander(service).land_entity(contract_for("retail", "promotions"), drop_copy, DAY)
    assert [o.status for o in again.outcomes] == ["already_landed"]


def test_the_same_bytes_under_another_name_are_a_duplicate(service, drop_copy: Path) -> None:
    folder = drop_copy / "supply" / "receipts" / DAY.isoformat()
    original = next(folder.iterdir())
    shutil.copyfile(original, folder / "receipts_copy.csv")
    result = Lander(service).land_entity(contract_for("supply", "receipts"), drop_copy, DAY)
    statuses = {Path(o.source).name: o.status for o in result.outcomes}
    assert statuses == {original.name: "landed", "receipts_copy.csv": "quarantined"}
    error = json.loads(
        service.get_container_client("quarantine")
        .download_blob(f"supply/receipts/ingest_date={DAY.isoformat()}/receipts_copy.csv{ERROR_SUFFIX}")
        .readall()
    )
    assert error["errors"][0]["code"] == "duplicate_file" and original.name in error["reason"]


# What the error report of each fault kind must name.
FAULT_CODES = {
    "empty_file": "empty_file",
    "truncated_parquet": "unreadable_parquet",
    "corrupt_parquet": "unreadable_parquet",
    "wrong_delimiter": "wrong_delimiter",
    "wrong_encoding": "bad_encoding",
    "missing_column": "missing_column",
    "decimal_point": "too_many_bad_rows",
    "wrong_type_column": "wrong_type",
    "duplicate_file": "duplicate_file",
    "wrong_date_folder": "wrong_date_folder",
    "odd_file_name": "bad_file_name",
    "epcis_schema_invalid": "schema_violation",
    "epcis_unknown_bizstep": "unknown_bizstep",
    "bad_values": "too_many_bad_rows",
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_each_fault_the_simulator_injects_is_handled_as_the_truth_says(service, drop_copy: Path, kind: str) -> None:
    file = file_to_spoil(drop_copy, DAY, kind)
    fault = inject(kind, file, drop_copy.parent, DAY.isoformat(), np.random.default_rng(5))
    faulty = drop_copy.parent / fault.file
    folder_day = dt.date.fromisoformat(faulty.parent.name)
    result = Lander(service).land_entity(file.contract, drop_copy, folder_day)
    outcome = next(o for o in result.outcomes if o.source == faulty.relative_to(drop_copy).as_posix())
    if fault.expected == QUARANTINED:
        assert outcome.status == "quarantined", outcome
        error = json.loads(
            service.get_container_client("quarantine").download_blob(outcome.blob + ERROR_SUFFIX).readall()
        )
        assert error["errors"][0]["code"] == FAULT_CODES[kind]
        assert error["file"] == outcome.source and error["contract"] == file.contract.name
        assert error["reason"] and error["how_to_fix"]
        kept = service.get_container_client("quarantine").download_blob(outcome.blob).readall()
        assert kept == faulty.read_bytes()  # nothing is lost: the rejected bytes are kept as delivered
    elif fault.expected == FLAGGED:
        assert outcome.status == "landed" and outcome.flags
        assert "commentaire_magasin" in blobs(service, "raw")[outcome.blob]["flags"]
    else:
        assert fault.expected == ROWS_REJECTED
        assert outcome.status == "landed" and outcome.rejected_rows >= 1
        lines = (
            service.get_container_client("quarantine")
            .download_blob(outcome.blob + REJECTED_ROWS_SUFFIX)
            .readall()
            .decode()
            .splitlines()
        )
        rejected = [json.loads(line) for line in lines]
        assert {r["code"] for r in rejected} == {"bad_value"} and all(r["row"] and r["field"] for r in rejected)


@pytest.mark.parametrize("kind", sorted(GATE_FAULTS))
def test_each_gate_fault_passes_the_landing_untouched(service, drop_copy: Path, kind: str) -> None:
    # The landing cannot see these: the file keeps its contract. The quality gates must stop them
    # (tests/integration/test_quality_gates.py).
    file = file_to_spoil(drop_copy, DAY, kind, GATE_FAULTS)
    fault = inject(kind, file, drop_copy.parent, DAY.isoformat(), np.random.default_rng(5))
    assert fault.expected == LANDED
    result = Lander(service).land_entity(file.contract, drop_copy, DAY)
    outcome = next(
        o for o in result.outcomes if o.source == (drop_copy.parent / fault.file).relative_to(drop_copy).as_posix()
    )
    assert outcome.status == "landed" and not outcome.rejected_rows and not outcome.flags, outcome
    landed = service.get_container_client("raw").download_blob(outcome.blob).readall()
    assert landed == file.path.read_bytes()


def test_every_fault_of_a_faulty_chain_ends_as_the_truth_says(service, faulty_chain: Path) -> None:
    from retail_factory.sources.simulator.truth import read_faults

    drop = faulty_chain / "drop"
    faults = read_faults(faulty_chain)
    assert len({f["kind"] for f in faults}) >= 8
    days = sorted({dt.date.fromisoformat(Path(f["file"]).parent.name) for f in faults})
    outcomes = {}
    for day in days:
        for result in land_day(service, drop, day).values():
            outcomes.update({o.source: o for o in result.outcomes})
    for fault in faults:
        outcome = outcomes[Path(fault["file"]).relative_to("drop").as_posix()]
        expected = {QUARANTINED: "quarantined", FLAGGED: "landed", ROWS_REJECTED: "landed"}[fault["expected"]]
        assert outcome.status == expected, (fault, outcome)


def test_files_in_an_unknown_entity_folder_are_kept_in_quarantine(service, drop_copy: Path) -> None:
    folder = drop_copy / "retail" / "loyalty cards" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "cards.csv").write_text("card;points\n1;10\n")
    results = Lander(service).land_unknown_entities("retail", drop_copy, DAY)
    assert [(r.entity, [o.status for o in r.outcomes]) for r in results] == [("loyalty_cards", ["quarantined"])]
    error = json.loads(
        service.get_container_client("quarantine").download_blob(results[0].outcomes[0].blob + ERROR_SUFFIX).readall()
    )
    assert error["errors"][0]["code"] == "unknown_entity" and "loyalty cards" in error["reason"]


def test_unsafe_names_sub_folders_and_links_are_quarantined_under_safe_names(service, drop_copy: Path) -> None:
    folder = drop_copy / "retail" / "promotions" / DAY.isoformat()
    good = next(folder.iterdir())
    (folder / "sub").mkdir()
    shutil.copyfile(good, folder / "sub" / good.name)
    (folder / "..\\promotions.csv").write_bytes(good.read_bytes() + b"\n")
    (folder / "link.csv").symlink_to("/etc/hostname")
    result = Lander(service).land_entity(contract_for("retail", "promotions"), drop_copy, DAY)
    by_name = {
        Path(o.source).name
        if "/" not in o.source.split(DAY.isoformat() + "/")[1]
        else o.source.split(DAY.isoformat() + "/")[1]: o
        for o in result.outcomes
    }
    assert by_name[good.name].status == "landed"
    for name in ("sub/" + good.name, "..\\promotions.csv", "link.csv"):
        outcome = by_name[name]
        assert outcome.status == "quarantined", name
        blob_name = outcome.blob.rsplit("/", 1)[1]
        assert "\\" not in blob_name and not blob_name.startswith(".")
    quarantine = blobs(service, "quarantine")
    link_error = json.loads(
        service.get_container_client("quarantine").download_blob(by_name["link.csv"].blob + ERROR_SUFFIX).readall()
    )
    assert link_error["errors"][0]["code"] == "symbolic_link" and "/etc/hostname" in link_error["reason"]
    assert by_name["link.csv"].blob not in quarantine  # a link's target is never read nor copied


def test_azurite_stopped_mid_run_then_back_lands_every_file_exactly_once(service, azurite, drop_copy: Path) -> None:
    contract = contract_for("retail", "stock")
    delivered = sorted((drop_copy / "retail" / "stock" / DAY.isoformat()).iterdir())
    assert len(delivered) >= 5
    landed_before_stop = []

    def stop_after_two(outcome) -> None:
        landed_before_stop.append(outcome)
        if len(landed_before_stop) == 2:
            azurite.stop()

    try:
        with pytest.raises(StorageUnavailableError, match="did not answer") as failure:
            Lander(service, workers=1, progress=stop_after_two).land_entity(contract, drop_copy, DAY)
        assert azurite.blob_endpoint.rsplit("/", 1)[0] in str(failure.value)
        assert "a retry lands only what is missing" in str(failure.value)
    finally:
        azurite.start()
    retried = Lander(service).land_entity(contract, drop_copy, DAY)
    assert sorted(o.status for o in retried.outcomes).count("already_landed") == 2
    raw = blobs(service, "raw", f"retail/stock/ingest_date={DAY.isoformat()}/")
    assert sorted(name.rsplit("/", 1)[1] for name in raw) == [p.name for p in delivered]
    assert {meta["sha256"] for meta in raw.values()} == {sha(p) for p in delivered}
