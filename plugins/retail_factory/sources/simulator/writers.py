"""Write a simulated day as the sources deliver it: CSV with decimal commas, Parquet, JSON Lines, EPCIS.

Files go to ``<out>/drop/<domain>/<entity>/<YYYY-MM-DD>/``. Only contract columns are written:
the simulator's hidden parameters stay in the truth.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retail_factory.sources.contracts import Contract, contract_for
from retail_factory.sources.simulator.calendar import local_timestamp
from retail_factory.sources.simulator.demand import DemandModel
from retail_factory.sources.simulator.engine import DayRecords
from retail_factory.sources.simulator.epcis import document, local_time
from retail_factory.sources.simulator.world import PREFIX_LENGTH, World


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    contract: Contract
    rows: int


def _shipped_second(store: int) -> int:
    """Second of the day a warehouse's lorry leaves for ``store``: 05:00 to 07:00."""
    return 5 * 3600 + store * 60 % 7200


def _received_second(store: int) -> int:
    """Second of the day ``store`` books its receipts: an hour or two after its lorry left, so a
    same-day delivery is never received before it was shipped (06:00 to 09:00)."""
    return _shipped_second(store) + 3600 + store * 97 % 3600


def drop_folder(out: Path, contract: Contract, day: dt.date) -> Path:
    return out / "drop" / contract.domain / contract.entity / day.isoformat()


def _columns(contract: Contract) -> list[str]:
    return [c.name for c in contract.columns]


class DropWriter:
    def __init__(self, out: Path, world: World, demand: DemandModel) -> None:
        self.out = out
        self.world = world
        self.demand = demand

    def _path(self, domain: str, entity: str, day: dt.date, name: str) -> tuple[Path, Contract]:
        contract = contract_for(domain, entity)
        folder = drop_folder(self.out, contract, day)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name, contract

    def csv(self, domain: str, entity: str, day: dt.date, name: str, frame: pd.DataFrame) -> WrittenFile:
        path, contract = self._path(domain, entity, day, name)
        frame = frame[_columns(contract)]
        frame.to_csv(
            path,
            sep=contract.delimiter,
            decimal=contract.decimal_separator,
            float_format="%.2f",
            index=False,
            encoding="utf-8",
            lineterminator="\n",
        )
        return WrittenFile(path, contract, len(frame))

    def jsonl(self, domain: str, entity: str, day: dt.date, records: list[dict]) -> WrittenFile:
        path, contract = self._path(domain, entity, day, f"{entity}_{day.isoformat()}.jsonl")
        columns = _columns(contract)
        with path.open("w", encoding="utf-8") as stream:
            for record in records:
                stream.write(json.dumps({c: record[c] for c in columns}, ensure_ascii=False) + "\n")
        return WrittenFile(path, contract, len(records))

    def parquet(self, domain: str, entity: str, day: dt.date, name: str, table: pa.Table) -> WrittenFile:
        path, contract = self._path(domain, entity, day, name)
        pq.write_table(table.select(_columns(contract)), path, compression="snappy", write_page_checksum=True)
        return WrittenFile(path, contract, table.num_rows)

    # --- one day --------------------------------------------------------------------------------
    def write_day(self, rec: DayRecords, promotions_to_announce: list) -> list[WrittenFile]:
        day = rec.day
        files = [*self._master_data(day)]
        files += self._pos(rec)
        files += self._stock(rec)
        files.append(self._promotions(day, promotions_to_announce))
        files += self._supply(rec)
        files += self._epcis(rec)
        return files

    def _master_data(self, day: dt.date) -> list[WrittenFile]:
        world, snapshot = self.world, {"snapshot_date": day.isoformat()}
        products = world.products.assign(price_eur=self.demand.price)
        return [
            self.jsonl("retail", "stores", day, [r | snapshot for r in world.stores.to_dict("records")]),
            self.jsonl("retail", "products", day, [r | snapshot for r in products.to_dict("records")]),
            self.jsonl("supply", "warehouses", day, [r | snapshot for r in world.warehouses.to_dict("records")]),
            self.jsonl("producer", "producers", day, [r | snapshot for r in world.producers.to_dict("records")]),
            self.jsonl("producer", "farms", day, [r | snapshot for r in world.farms.to_dict("records")]),
        ]

    def _pos(self, rec: DayRecords) -> list[WrittenFile]:
        glns = self.world.stores["store_gln"].to_numpy()
        return [
            self.csv("retail", "pos", rec.day, f"pos_{glns[store]}_{rec.day.isoformat()}.csv", lines)
            for store, lines in rec.pos.groupby("store", sort=True)
        ]

    def _stock(self, rec: DayRecords) -> list[WrittenFile]:
        glns = self.world.stores["store_gln"].to_numpy()
        table = pa.Table.from_pandas(
            rec.stock,
            preserve_index=False,
            schema=pa.schema(
                [
                    ("store", pa.int64()),
                    ("snapshot_date", pa.date32()),
                    ("store_gln", pa.string()),
                    ("gtin", pa.string()),
                    ("on_hand_qty", pa.int32()),
                    ("waste_qty", pa.int32()),
                    ("adjustment_qty", pa.int32()),
                    ("is_counted", pa.bool_()),
                ]
            ),
        )
        store_of_row = rec.stock["store"].to_numpy()
        starts = np.searchsorted(store_of_row, np.arange(len(glns) + 1))
        return [
            self.parquet(
                "retail",
                "stock",
                rec.day,
                f"stock_{glns[s]}_{rec.day.isoformat()}.parquet",
                table.slice(starts[s], starts[s + 1] - starts[s]),
            )
            for s in range(len(glns))
        ]

    def _promotions(self, day: dt.date, promotions: list) -> WrittenFile:
        gtins = self.world.products["gtin"].to_numpy()
        frame = pd.DataFrame(
            [
                {
                    "promo_id": p.promo_id,
                    "gtin": gtins[p.product],
                    "store_format": p.store_format,
                    "start_date": p.start.isoformat(),
                    "end_date": p.end.isoformat(),
                    "discount_pct": p.discount * 100,
                    "mechanism": p.mechanism,
                    "announced_on": day.isoformat(),
                }
                for p in promotions
            ],
            columns=_columns(contract_for("retail", "promotions")),
        )
        return self.csv("retail", "promotions", day, f"promotions_{day.isoformat()}.csv", frame)

    def _supply(self, rec: DayRecords) -> list[WrittenFile]:
        day, world = rec.day, self.world
        gtins = world.products["gtin"].to_numpy()
        store_glns = world.stores["store_gln"].to_numpy()
        warehouse_glns = world.warehouses["warehouse_gln"].to_numpy()
        producer_glns = world.producers["producer_gln"].to_numpy()
        case = world.products["case_size"].to_numpy()
        files = []

        orders = rec.store_orders
        files.append(
            self.csv(
                "supply",
                "store_orders",
                day,
                f"store_orders_{day.isoformat()}.csv",
                orders.assign(
                    store_gln=store_glns[orders["store"]],
                    warehouse_gln=warehouse_glns[orders["warehouse"]],
                    gtin=gtins[orders["product"]],
                    case_size=case[orders["product"]],
                    ordered_at=[local_timestamp(day, 19 * 3600 + int(s) % 7200) for s in orders["store"]],
                    requested_delivery_date=[d.isoformat() for d in orders["requested_delivery_date"]],
                ),
            )
        )

        shipments = rec.shipments if rec.shipments is not None else pd.DataFrame()
        for w, lines in shipments.groupby("warehouse", sort=True) if len(shipments) else []:
            files.append(
                self.csv(
                    "supply",
                    "shipments",
                    day,
                    f"shipments_{warehouse_glns[w]}_{day.isoformat()}.csv",
                    lines.assign(
                        warehouse_gln=warehouse_glns[w],
                        store_gln=store_glns[lines["store"]],
                        gtin=gtins[lines["product"]],
                        best_before_date=[d.isoformat() for d in lines["best_before"]],
                        shipped_at=[local_timestamp(day, _shipped_second(int(s))) for s in lines["store"]],
                        expected_delivery_date=[d.isoformat() for d in lines["expected_arrival"]],
                    ),
                )
            )

        receipts = rec.receipts if rec.receipts is not None and len(rec.receipts) else None
        frame = pd.DataFrame(columns=_columns(contract_for("supply", "receipts")))
        if receipts is not None:
            frame = receipts.assign(
                store_gln=store_glns[receipts["store"]],
                gtin=gtins[receipts["product"]],
                received_at=[local_timestamp(day, _received_second(int(s))) for s in receipts["store"]],
            )
        files.append(self.csv("supply", "receipts", day, f"receipts_{day.isoformat()}.csv", frame))

        pos = rec.purchase_orders if rec.purchase_orders is not None else None
        frame = pd.DataFrame(columns=_columns(contract_for("supply", "purchase_orders")))
        if pos is not None and len(pos):
            frame = pos.assign(
                warehouse_gln=warehouse_glns[pos["warehouse"]],
                producer_gln=producer_glns[pos["producer"]],
                gtin=gtins[pos["product"]],
                ordered_at=local_timestamp(day, 22 * 3600),
                due_date=[d.isoformat() for d in pos["due_date"]],
            )
        files.append(self.csv("supply", "purchase_orders", day, f"purchase_orders_{day.isoformat()}.csv", frame))

        deliveries = rec.producer_deliveries
        if deliveries is not None and len(deliveries):
            deliveries = deliveries[deliveries["quantity"] > 0]
            deliveries = deliveries.assign(
                delivery_id=[
                    f"DL{day:%y%m%d}W{w:02d}P{p:03d}"
                    for w, p in zip(deliveries["warehouse"], deliveries["producer"], strict=True)
                ]
            )
            deliveries["delivery_line"] = deliveries.groupby("delivery_id").cumcount() + 1
            for w, lines in deliveries.groupby("warehouse", sort=True):
                files.append(
                    self.csv(
                        "supply",
                        "producer_deliveries",
                        day,
                        f"producer_deliveries_{warehouse_glns[w]}_{day.isoformat()}.csv",
                        lines.assign(
                            producer_gln=producer_glns[lines["producer"]],
                            warehouse_gln=warehouse_glns[w],
                            gtin=gtins[lines["product"]],
                            production_date=[d.isoformat() for d in lines["production_date"]],
                            best_before_date=[d.isoformat() for d in lines["best_before"]],
                            delivered_at=[local_timestamp(day, 4 * 3600 + i * 7919 % 21600) for i in range(len(lines))],
                        ),
                    )
                )
        return files

    def _epcis(self, rec: DayRecords) -> list[WrittenFile]:
        files = []
        producers = self.world.producers
        for producer, events in sorted(rec.epcis.items()):
            if not events:
                continue
            gln = producers.at[producer, "producer_gln"]
            path, contract = self._path("producer", "epcis", rec.day, f"epcis_{gln}_{rec.day.isoformat()}.jsonld")
            sender = f"urn:epc:id:sgln:{gln[:PREFIX_LENGTH]}.{gln[PREFIX_LENGTH:12]}.0"
            created = local_time(rec.day, 22)
            path.write_text(
                json.dumps(document(events, created, sender), indent=1, ensure_ascii=False), encoding="utf-8"
            )
            files.append(WrittenFile(path, contract, len(events)))
        return files
