"""A large file streams through checking and upload: peak memory does not grow with the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SIM_START

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAY = SIM_START.isoformat()
HEADER = "store_gln;ticket_id;line_number;sold_at;gtin;label;quantity;unit_price;discount_amount;line_amount;promo_id\n"

# Lands one file in a fresh process and prints that process's peak resident memory.
LAND_AND_MEASURE = textwrap.dedent(
    """
    import datetime as dt, json, resource, sys
    from pathlib import Path
    from retail_factory.landing.lander import Lander
    from retail_factory.sources.contracts import contract_for
    from retail_factory.storage import blob_service
    result = Lander(blob_service(), run_id="memory").land_entity(
        contract_for("retail", "pos"), Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]))
    outcome = result.outcomes[0]
    print(json.dumps({"status": outcome.status, "rows": outcome.rows,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def write_pos(drop: Path, store: str, rows: int) -> Path:
    folder = drop / "retail" / "pos" / DAY
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pos_{store}_{DAY}.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        chunk = 100_000
        for start in range(0, rows, chunk):
            out.write(
                "".join(
                    f"{store};T{i};1;{DAY}T10:15:42+01:00;3760001000017;Crème fraîche épaisse 20 cl;1;1,89;0,00;1,89;\n"
                    for i in range(start, min(rows, start + chunk))
                )
            )
    return path


def land_in_subprocess(drop: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", LAND_AND_MEASURE, str(drop), DAY],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
        timeout=600,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_memory_stays_flat_when_the_file_grows(storage, tmp_path: Path) -> None:
    small = write_pos(tmp_path / "small", "3760001000024", 10_000)
    large = write_pos(tmp_path / "large", "3760001000031", 2_500_000)
    large_mib = large.stat().st_size / 2**20
    assert large_mib > 200 and large.stat().st_size > 200 * small.stat().st_size
    measured_small = land_in_subprocess(tmp_path / "small")
    measured_large = land_in_subprocess(tmp_path / "large")
    assert measured_small["status"] == measured_large["status"] == "landed"
    assert measured_large["rows"] == 2_500_000
    growth = measured_large["peak_mib"] - measured_small["peak_mib"]
    print(f"file {large_mib:.0f} MiB: peak {measured_small['peak_mib']:.0f} → {measured_large['peak_mib']:.0f} MiB")
    assert growth < 100, f"peak memory grew by {growth:.0f} MiB for a {large_mib:.0f} MiB file"
    uploaded = (
        storage.get_container_client("raw")
        .get_blob_client(f"retail/pos/ingest_date={DAY}/{large.name}")
        .get_blob_properties()
    )
    assert uploaded.size == large.stat().st_size
