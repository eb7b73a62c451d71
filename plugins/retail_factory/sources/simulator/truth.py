"""The ground truth of a simulation (``<out>/truth/``): what really happened, for judging results.

The pipeline never reads it. Layout::

    truth/manifest.json                    parameters, seed, counts
    truth/world/<table>.parquet            master data with the hidden parameters (demand rates, …)
    truth/series/date=YYYY-MM-DD.parquet   per store × product × day: latent demand, sales, lost sales,
                                           physical vs recorded stock, waste, shrink, availability
    truth/lot_flows/date=….parquet         every lot movement: farm → plant → warehouse → store
    truth/transformations/date=….parquet   inputs and outputs of each EPCIS transformation, in kg
    truth/promotions.parquet               every promotion with its real discount and mechanism
    truth/faults.jsonl                     every injected fault and what the landing must do with it
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retail_factory.sources.simulator.demand import Promotion
from retail_factory.sources.simulator.engine import FLOW_COLUMNS, DayRecords
from retail_factory.sources.simulator.faults import InjectedFault
from retail_factory.sources.simulator.world import World


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns Parquet cannot hold as they are (arrays, dicts) become JSON text."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, (list, dict, np.ndarray))).any():
            frame[column] = frame[column].map(
                lambda v: json.dumps(v.tolist() if isinstance(v, np.ndarray) else v, ensure_ascii=False)
            )
    return frame


class TruthWriter:
    def __init__(self, out: Path) -> None:
        self.root = out / "truth"
        self.root.mkdir(parents=True, exist_ok=True)
        self.faults: list[InjectedFault] = []

    def _write(self, relative: str, frame: pd.DataFrame) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(_plain(frame), preserve_index=False), path)

    def world(self, world: World) -> None:
        for name in ("stores", "warehouses", "producers", "farms", "products", "materials"):
            self._write(f"world/{name}.parquet", getattr(world, name))
        self._write(
            "world/series.parquet",
            pd.DataFrame(
                {
                    "store_gln": world.stores["store_gln"].to_numpy()[world.series_store],
                    "gtin": world.products["gtin"].to_numpy()[world.series_product],
                    "base_rate": world.series_rate,
                }
            ),
        )

    def day(self, rec: DayRecords) -> None:
        name = f"date={rec.day.isoformat()}.parquet"
        self._write(f"series/{name}", rec.truth_series)
        parts = [f for f in rec.truth_flows if not f.empty]
        flows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLOW_COLUMNS)
        self._write(f"lot_flows/{name}", flows.astype({"quantity": float}))
        transformations = pd.DataFrame(
            rec.truth_transformations,
            columns=["event_id", "plant", "direction", "epc_class", "quantity", "uom", "kg", "max_yield"],
        )
        self._write(
            f"transformations/{name}",
            transformations.astype({"quantity": float, "kg": float, "max_yield": float}),
        )

    def promotions(self, promotions: list[Promotion], world: World) -> None:
        gtins = world.products["gtin"].to_numpy()
        self._write(
            "promotions.parquet",
            pd.DataFrame(
                [
                    {
                        "promo_id": p.promo_id,
                        "gtin": gtins[p.product],
                        "store_format": p.store_format,
                        "start_date": p.start,
                        "end_date": p.end,
                        "discount": p.discount,
                        "mechanism": p.mechanism,
                        "announced_on": p.announced_on,
                    }
                    for p in promotions
                ],
                columns=[
                    "promo_id",
                    "gtin",
                    "store_format",
                    "start_date",
                    "end_date",
                    "discount",
                    "mechanism",
                    "announced_on",
                ],
            ),
        )

    def add_faults(self, faults: list[InjectedFault]) -> None:
        self.faults.extend(faults)

    def finish(self, manifest: dict[str, Any]) -> None:
        with (self.root / "faults.jsonl").open("w", encoding="utf-8") as stream:
            for fault in self.faults:
                stream.write(json.dumps(fault.to_dict(), ensure_ascii=False) + "\n")
        manifest = manifest | {"faults": len(self.faults)}
        (self.root / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")


def read_faults(out: Path) -> list[dict[str, str]]:
    path = out / "truth" / "faults.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_series(out: Path, day: dt.date) -> pd.DataFrame:
    return pd.read_parquet(out / "truth" / "series" / f"date={day.isoformat()}.parquet")
