"""Simulator speed and memory at the two sizes the project promises.

    .venv/bin/python bench/simulate.py [--tier demo|day|both]

* demo tier: 20 stores × 300 products × 120 days, budget 60 s;
* one day of 200 stores × 2,000 products, budget 120 s (the 14 warm-up days included).

Each run happens in a fresh process, which reports its peak resident memory. Printed for each:
wall time, files, rows, rows/s, peak MiB, the share of the budget used, and — as a baseline
measured in the same run — the time to write the same number of rows as plain CSV with pandas,
so "simulation cost per row written" can be compared from machine to machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TIERS = {"demo": (20, 300, 120, 60.0), "day": (200, 2000, 1, 120.0)}

RUN = textwrap.dedent(
    """
    import datetime as dt, json, resource, sys, time
    from pathlib import Path
    from retail_factory.sources.simulator import SimulationParams, simulate
    stores, products, days = map(int, sys.argv[1:4])
    began = time.perf_counter()
    summary = simulate(SimulationParams(stores, products, days, dt.date(2025, 2, 3), 1, Path(sys.argv[4]), 0.02))
    print(json.dumps({"seconds": time.perf_counter() - began, "files": summary.files, "rows": summary.rows,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def csv_baseline(rows: int, folder: Path) -> float:
    """Seconds to write ``rows`` rows of a POS-like frame as ';' CSV with decimal commas."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {
            "store": np.arange(rows) % 200,
            "gtin": "3760001000017",
            "quantity": np.ones(rows, int),
            "price": np.full(rows, 2.49),
            "label": "Yaourt nature 4x125 g",
        }
    )
    began = time.perf_counter()
    frame.to_csv(folder / "baseline.csv", sep=";", decimal=",", float_format="%.2f", index=False)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tier", choices=["demo", "day", "both"], default="both")
    args = parser.parse_args()
    for tier in ("demo", "day") if args.tier == "both" else (args.tier,):
        stores, products, days, budget = TIERS[tier]
        with tempfile.TemporaryDirectory(prefix="bench-simulate-") as work:
            out = subprocess.run(
                [sys.executable, "-c", RUN, str(stores), str(products), str(days), work + "/sim"],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            baseline = csv_baseline(result["rows"], Path(work))
        print(
            f"{tier}: {stores} stores x {products} products x {days} days: {result['seconds']:.1f} s "
            f"({result['seconds'] / budget:.0%} of the {budget:.0f} s budget), {result['files']} files, "
            f"{result['rows']:,} rows, {result['rows'] / result['seconds']:,.0f} rows/s, "
            f"peak {result['peak_mib']:.0f} MiB"
        )
        print(
            f"      baseline: pandas writes the same {result['rows']:,} rows as CSV in {baseline:.1f} s; "
            f"simulation costs {result['seconds'] / baseline:.1f}x that"
        )


if __name__ == "__main__":
    main()
