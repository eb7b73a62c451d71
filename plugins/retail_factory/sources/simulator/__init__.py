"""A simulated grocery chain that is also a food producer: its source files, and the truth behind them.

``simulate`` writes each day's files under ``<out>/drop/<domain>/<entity>/<YYYY-MM-DD>/`` and the
ground truth under ``<out>/truth/``. The same parameters and seed give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retail_factory.sources.simulator.engine import ChainSimulator
from retail_factory.sources.simulator.faults import GATE_FAULTS, inject_at_rate
from retail_factory.sources.simulator.truth import TruthWriter
from retail_factory.sources.simulator.world import build_world
from retail_factory.sources.simulator.writers import DropWriter

log = logging.getLogger(__name__)

BURN_IN_DAYS = 14  # simulated before the first written day, so stocks and orders have settled


@dataclass(frozen=True)
class SimulationParams:
    stores: int
    products: int
    days: int
    start: dt.date
    seed: int
    out: Path
    faults: float = 0.0  # share of files with a fault the landing must catch
    gate_faults: float = 0.0  # share of files with a fault that lands and a quality gate must catch


@dataclass(frozen=True)
class SimulationSummary:
    out: Path
    days: int
    files: int
    rows: int
    faults: int
    seconds: float


def _prepare(out: Path) -> None:
    """Start from an empty output: replace an earlier simulation, never unrelated files."""
    for part in ("drop", "truth"):
        folder = out / part
        if folder.exists() and any(folder.iterdir()) and not (out / "truth" / "manifest.json").exists():
            raise FileExistsError(f"{folder} is not empty and holds no earlier simulation; choose another --out folder")
    for part in ("drop", "truth"):
        shutil.rmtree(out / part, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def simulate(params: SimulationParams, progress: Callable[[dt.date, int], None] | None = None) -> SimulationSummary:
    if params.days < 1:
        raise ValueError("--days must be at least 1")
    if not 0 <= params.faults <= 1 or not 0 <= params.gate_faults <= 1:
        raise ValueError("--faults and --gate-faults are rates between 0 and 1")
    began = time.perf_counter()
    _prepare(params.out)
    rng = np.random.default_rng(params.seed)
    fault_rng = np.random.default_rng([params.seed, 7])  # own stream: faults never change the data itself
    gate_fault_rng = np.random.default_rng([params.seed, 8])
    world = build_world(params.stores, params.products, rng)
    first = params.start - dt.timedelta(days=BURN_IN_DAYS)
    chain = ChainSimulator(world, rng, first)
    for offset in range(BURN_IN_DAYS):
        chain.step(first + dt.timedelta(days=offset))
    writer, truth = DropWriter(params.out, world, chain.demand), TruthWriter(params.out)
    truth.world(world)
    # promotions announced before the first written day are announced again in its file
    announced_earlier = [p for p in chain.demand.promotions if p.end >= params.start]
    files = rows = 0
    for offset in range(params.days):
        day = params.start + dt.timedelta(days=offset)
        records = chain.step(day)
        promotions = (announced_earlier if offset == 0 else []) + records.promotions
        written = writer.write_day(records, promotions)
        truth.day(records)
        landing_faults = inject_at_rate(written, params.faults, params.out, day.isoformat(), fault_rng)
        truth.add_faults(landing_faults)
        if offset > 0:  # the stock equation and row-count checks need a day before
            # only into files the landing will accept: a gate fault is about data, not format
            spoilt = {params.out / f.file for f in landing_faults}
            intact = [f for f in written if f.path not in spoilt and f.path.exists()]
            day_iso = day.isoformat()
            truth.add_faults(
                inject_at_rate(intact, params.gate_faults, params.out, day_iso, gate_fault_rng, GATE_FAULTS)
            )
        files += len(written)
        rows += sum(f.rows for f in written)
        if progress:
            progress(day, len(written))
    truth.promotions(chain.demand.promotions_seen, world)
    summary = SimulationSummary(
        params.out, params.days, files, rows, len(truth.faults), round(time.perf_counter() - began, 1)
    )
    truth.finish(
        {
            "stores": params.stores,
            "products": params.products,
            "days": params.days,
            "start": params.start.isoformat(),
            "seed": params.seed,
            "fault_rate": params.faults,
            "series": world.n_series,
            "files": files,
            "rows": rows,
            "chain_gs1_prefix": world.chain_prefix,
        }
    )
    return summary
