"""Landing throughput for one simulated day, against plain Azure SDK uploads of the same bytes.

    .venv/bin/python bench/landing.py [--stores 200] [--products 2000] [--workers 4]

Simulates one day, starts a throw-away Azurite, then in the same run:

* baseline: the same files uploaded with ``ContainerClient.upload_blob`` from as many threads
  (no checks, no metadata decisions): the practical limit of this machine and Azurite;
* landing: ``Lander.land_entity`` for every entity (hash, contract check, decide, upload).

It prints files/s and MB/s for both and the ratio landing / baseline (aim: 0.8 or better).
The baseline runs before and after the landing and the better of the two is used. It also prints
the CPU seconds each phase cost this process and Azurite: on a small machine both phases are
bound by CPU (Azurite's included), and the landing's extra CPU is its checks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from azure.storage.blob import BlobServiceClient
from retail_factory.devstack import Azurite
from retail_factory.landing.lander import Lander
from retail_factory.sources.contracts import ALL_CONTRACTS, validate_file
from retail_factory.sources.simulator import SimulationParams, simulate
from retail_factory.storage import ensure_containers

DAY = dt.date(2025, 3, 4)


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process, or of ``pid`` read from /proc (Linux)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: PTH123, SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(azurite_pid: int, work) -> tuple[float, float, float, object]:
    """(wall, own CPU, Azurite CPU, result) of ``work()``."""
    own, server, began = cpu_seconds(), cpu_seconds(azurite_pid), time.perf_counter()
    result = work()
    return time.perf_counter() - began, cpu_seconds() - own, cpu_seconds(azurite_pid) - server, result


def baseline(service: BlobServiceClient, files: list[Path], drop: Path, workers: int, run: int) -> float:
    container = service.get_container_client(f"baseline{run}")
    container.create_container()

    def upload(path: Path) -> None:
        with path.open("rb") as stream:
            container.upload_blob(
                path.relative_to(drop).as_posix(), stream, length=path.stat().st_size, overwrite=True, max_concurrency=2
            )

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(upload, files))
    return time.perf_counter() - began


def warm_up(drop: Path) -> float:
    """Import the validators and compile the schemas once, as a long-lived worker would have."""
    began = time.perf_counter()
    for contract in ALL_CONTRACTS:
        sample = next((drop / contract.domain / contract.entity / DAY.isoformat()).glob("*"), None)
        if sample is not None:
            validate_file(sample, contract, DAY)
    return time.perf_counter() - began


def landing(service: BlobServiceClient, drop: Path, workers: int) -> tuple[float, int]:
    lander = Lander(service, run_id="bench", workers=workers)
    began = time.perf_counter()
    landed = sum(len(lander.land_entity(c, drop, DAY).outcomes) for c in ALL_CONTRACTS)
    return time.perf_counter() - began, landed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-landing-"))
    began = time.perf_counter()
    simulate(SimulationParams(args.stores, args.products, 1, DAY, 1, work / "sim", 0.0))
    print(f"simulated 1 day of {args.stores} stores x {args.products} products in {time.perf_counter() - began:.1f} s")
    drop = work / "sim" / "drop"
    files = sorted(p for p in drop.rglob("*") if p.is_file())
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} files, {megabytes:.1f} MB, {args.workers} threads")
    print(f"first-use cost of the validators (imports, schemas), excluded below: {warm_up(drop):.2f} s")

    with Azurite(work / "azurite") as azurite:
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        ensure_containers(service)
        pid = azurite.process.pid
        before = measured(pid, lambda: baseline(service, files, drop, args.workers, 1))
        landed = measured(pid, lambda: landing(service, drop, args.workers)[1])
        after = measured(pid, lambda: baseline(service, files, drop, args.workers, 2))
    assert landed[3] == len(files)
    best = min(before, after, key=lambda m: m[0])
    seconds = landed[0]
    for label, (took, own, server, _) in (("plain SDK upload (baseline)", best), ("landing", landed)):
        print(
            f"{label:<28} {took:6.2f} s  {len(files) / took:7.1f} files/s  {megabytes / took:6.1f} MB/s  "
            f"CPU: this process {own:5.2f} s, Azurite {server:5.2f} s"
        )
    print(f"baseline runs: {before[0]:.2f} s and {after[0]:.2f} s; machine cores: {os.cpu_count()}")
    best = best[0]
    print(f"ratio landing / baseline throughput: {best / seconds:.2f} (aim: >= 0.80)")


if __name__ == "__main__":
    main()
