"""The chain's own plants: farms and orchards, transformations, pallets, shipping, told in EPCIS.

Three plants make the own-brand fresh products the warehouses order from them:

* the dairy commingles every farm's morning milk into the day's products (many lots in, many out);
* the fruit station draws apples and pears from orchard harvest lots first in, first out, so one
  harvest lot is split over several days of packing and each packing mixes several lots;
* the bakery turns flour lots, delivered weekly by a mill, into bread (yield above one: water).

Each plant packs every warehouse's order on a pallet (SSCC) and ships it; the warehouse books the
pallet in the next day (supply ``producer_deliveries``), which links EPCIS to the supply files.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from retail_factory import gs1
from retail_factory.sources.simulator.calendar import next_logistics_day
from retail_factory.sources.simulator.epcis import EventFactory, local_time, party, quantity
from retail_factory.sources.simulator.supply import DELIVERY_COLUMNS
from retail_factory.sources.simulator.world import PREFIX_LENGTH, World

# Output mass per input mass a transformation can reach (the yields the truth is judged against).
MAX_YIELD = {"dairy": 1.0, "fruit": 1.0, "bakery": 1.6}
YIELD = {"dairy": (0.93, 0.97), "fruit": (0.85, 0.92), "bakery": (1.30, 1.40)}
LOT_CODE = {"dairy": "LT", "fruit": "VG", "bakery": "FN"}


@dataclass
class MaterialLot:
    lot: str
    kg: float
    source: str  # GLN of the farm or mill it came from


@dataclass
class DayOutput:
    events: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    deliveries: list[tuple] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)
    transformations: list[dict[str, Any]] = field(default_factory=list)


class OwnPlants:
    def __init__(self, world: World, rng: np.random.Generator) -> None:
        self.world = world
        self.rng = rng
        self.events = EventFactory(rng)
        producers = world.producers.reset_index(drop=True)
        self.producer_index = {role: int(i) for i, role in enumerate(producers["role"]) if role != "manufacturer"}
        self.gln = producers["producer_gln"].to_numpy()
        self.material = world.materials.set_index("role")
        self.farms = world.farms
        self.pending: dict[dt.date, list[Any]] = defaultdict(list)
        self.stock: dict[str, list[MaterialLot]] = {"fruit": [], "bakery": []}
        self._orchard_turn = 0

    # --- identifiers -------------------------------------------------------------------------
    @staticmethod
    def sgln(gln: str) -> str:
        return gs1.sgln_urn(gln, PREFIX_LENGTH)

    @staticmethod
    def pgln(gln: str) -> str:
        return gs1.pgln_urn(gln, PREFIX_LENGTH)

    def material_class(self, role: str, lot: str) -> str:
        gtin = self.material.loc[role, "gtin"]
        if role == "fruit_coop":  # this cooperative's system writes GS1 Digital Link URIs
            return gs1.lot_digital_link(gtin, lot)
        return gs1.lgtin_urn(gtin, lot, PREFIX_LENGTH)

    # --- planning ----------------------------------------------------------------------------
    def plan(self, day: dt.date, orders: pd.DataFrame) -> None:
        """Own-plant purchase orders become production the next working day, delivered the day after."""
        production_day = next_logistics_day(day + dt.timedelta(days=1))
        arrival = next_logistics_day(production_day + dt.timedelta(days=1))
        for order in orders.assign(due_date=arrival).itertuples():
            self.pending[production_day].append(order)

    def produce(self, day: dt.date) -> DayOutput:
        output = DayOutput()
        orders = self.pending.pop(day, [])
        by_plant: dict[str, list[Any]] = defaultdict(list)
        plants = self.world.products["plant"].to_numpy()
        for order in orders:
            by_plant[plants[order.product]].append(order)
        for plant, plant_orders in sorted(by_plant.items()):
            self._run_plant(day, plant, plant_orders, output)
        return output

    def _run_plant(self, day: dt.date, plant: str, orders: list[Any], out: DayOutput) -> None:
        products = self.world.products
        plant_idx = self.producer_index[f"{plant}_plant"]
        plant_gln = self.gln[plant_idx]
        units: dict[int, int] = defaultdict(int)
        for order in orders:
            units[order.product] += int(order.quantity)
        lot = f"{LOT_CODE[plant]}{day:%y%m%d}"
        unit_kg = products["unit_kg"].to_numpy()
        output_kg = sum(unit_kg[p] * n for p, n in units.items())
        process_yield = float(self.rng.uniform(*YIELD[plant]))
        inputs = {"dairy": self._collect_milk, "fruit": self._take_fruit, "bakery": self._take_flour}[plant](
            day, output_kg / process_yield, plant_gln, out
        )

        gtins = products["gtin"].to_numpy()
        outputs = [quantity(gs1.lgtin_urn(gtins[p], lot, PREFIX_LENGTH), n) for p, n in sorted(units.items())]
        best_before = {p: day + dt.timedelta(days=int(products.at[p, "shelf_life_days"])) for p in units}
        transformation = self.events.transformation_event(
            local_time(day, 10),
            self.sgln(plant_gln),
            [q for q, _ in inputs],
            outputs,
            {"cbvmda:bestBeforeDate": min(best_before.values()).isoformat(), "cbvmda:countryOfOrigin": "FR"},
        )
        out.events[plant_idx].append(transformation)
        for element, kg in inputs:
            out.transformations.append(
                {
                    "event_id": transformation["eventID"],
                    "plant": plant,
                    "direction": "input",
                    "epc_class": element["epcClass"],
                    "quantity": element["quantity"],
                    "uom": element.get("uom"),
                    "kg": kg,
                    "max_yield": MAX_YIELD[plant],
                }
            )
        for p, n in sorted(units.items()):
            out.transformations.append(
                {
                    "event_id": transformation["eventID"],
                    "plant": plant,
                    "direction": "output",
                    "epc_class": gs1.lgtin_urn(gtins[p], lot, PREFIX_LENGTH),
                    "quantity": n,
                    "uom": None,
                    "kg": unit_kg[p] * n,
                    "max_yield": MAX_YIELD[plant],
                }
            )
        self._pack_and_ship(day, plant_idx, orders, lot, best_before, out)

    def _pack_and_ship(
        self,
        day: dt.date,
        plant_idx: int,
        orders: list[Any],
        lot: str,
        best_before: dict[int, dt.date],
        out: DayOutput,
    ) -> None:
        world, gtins = self.world, self.world.products["gtin"].to_numpy()
        plant_gln = self.gln[plant_idx]
        by_warehouse: dict[int, list[Any]] = defaultdict(list)
        for order in orders:
            by_warehouse[order.warehouse].append(order)
        for w, warehouse_orders in sorted(by_warehouse.items()):
            warehouse_gln = world.warehouses.at[w, "warehouse_gln"]
            sscc = world.keys.sscc(world.chain_prefix)
            sscc_urn = gs1.sscc_urn(sscc, PREFIX_LENGTH)
            children = [
                quantity(gs1.lgtin_urn(gtins[o.product], lot, PREFIX_LENGTH), int(o.quantity)) for o in warehouse_orders
            ]
            out.events[plant_idx].append(
                self.events.aggregation_event(local_time(day, 14), self.sgln(plant_gln), sscc_urn, children)
            )
            delivery_id = f"DA{day:%y%m%d}{plant_idx:02d}{w:02d}"
            transactions = [
                {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:{warehouse_gln}:{o.po_id}"}
                for o in {o.po_id: o for o in warehouse_orders}.values()
            ]
            transactions.append({"type": "desadv", "bizTransaction": f"urn:epcglobal:cbv:bt:{plant_gln}:{delivery_id}"})
            out.events[plant_idx].append(
                self.events.object_event(
                    local_time(day, 16),
                    "shipping",
                    "in_transit",
                    self.sgln(plant_gln),
                    epcs=[sscc_urn],
                    transactions=transactions,
                    sources=[
                        party("source", "owning_party", self.pgln(plant_gln)),
                        party("source", "location", self.sgln(plant_gln)),
                    ],
                    destinations=[
                        party("destination", "owning_party", self.pgln(world.chain_gln)),
                        party("destination", "location", self.sgln(warehouse_gln)),
                    ],
                )
            )
            for o in warehouse_orders:
                out.deliveries.append(
                    (
                        w,
                        plant_idx,
                        o.product,
                        o.po_id,
                        o.po_line,
                        int(o.quantity),
                        int(o.quantity),
                        lot,
                        day,
                        best_before[o.product],
                        o.due_date,
                        sscc,
                    )
                )
                out.flows.append(
                    {
                        "date": day,
                        "step": "ship_to_warehouse",
                        "from_gln": plant_gln,
                        "to_gln": warehouse_gln,
                        "gtin": gtins[o.product],
                        "lot": lot,
                        "quantity": int(o.quantity),
                        "uom": "EA",
                        "sscc": sscc,
                    }
                )

    # --- raw materials -----------------------------------------------------------------------
    def _ship_material(
        self,
        day: dt.date,
        role: str,
        source_gln: str,
        lot: str,
        amount: float,
        uom: str,
        plant_gln: str,
        commission: bool,
        out: DayOutput,
    ) -> dict[str, Any]:
        """A farm's or mill's lot is (commissioned,) shipped to the plant and received there."""
        coop = self.producer_index[role]
        element = quantity(self.material_class(role, lot), round(amount, 1), uom)
        if commission:
            out.events[coop].append(
                self.events.object_event(
                    local_time(day, 5, 30),
                    "commissioning",
                    "active",
                    self.sgln(source_gln),
                    action="ADD",
                    quantities=[element],
                    ilmd={"cbvmda:countryOfOrigin": "FR"},
                )
            )
        out.events[coop].append(
            self.events.object_event(
                local_time(day, 6, 30),
                "shipping",
                "in_transit",
                self.sgln(source_gln),
                quantities=[element],
                sources=[
                    party("source", "owning_party", self.pgln(source_gln)),
                    party("source", "location", self.sgln(source_gln)),
                ],
                destinations=[
                    party("destination", "owning_party", self.pgln(plant_gln)),
                    party("destination", "location", self.sgln(plant_gln)),
                ],
            )
        )
        plant_idx = int(np.flatnonzero(self.gln == plant_gln)[0])
        out.events[plant_idx].append(
            self.events.object_event(
                local_time(day, 7, 30),
                "receiving",
                "in_progress",
                self.sgln(plant_gln),
                quantities=[element],
                sources=[party("source", "location", self.sgln(source_gln))],
            )
        )
        out.flows.append(
            {
                "date": day,
                "step": "to_plant",
                "from_gln": source_gln,
                "to_gln": plant_gln,
                "gtin": self.material.loc[role, "gtin"],
                "lot": lot,
                "quantity": round(amount, 1),
                "uom": uom,
                "sscc": None,
            }
        )
        return element

    def _collect_milk(self, day: dt.date, litres: float, plant_gln: str, out: DayOutput):
        farms = self.farms[self.farms["role"] == "dairy_coop"]
        shares = farms["share"].to_numpy() * self.rng.uniform(0.9, 1.1, len(farms))
        shares = shares / shares.sum()
        inputs = []
        for (farm_no, farm), share in zip(enumerate(farms.itertuples()), shares, strict=True):
            lot = f"F{farm_no + 1:02d}{day:%y%m%d}"
            element = self._ship_material(
                day, "dairy_coop", farm.farm_gln, lot, litres * share, "LTR", plant_gln, True, out
            )
            inputs.append((element, element["quantity"]))
        return inputs

    def _take_fruit(self, day: dt.date, kg: float, plant_gln: str, out: DayOutput):
        stock = self.stock["fruit"]
        orchards = self.farms[self.farms["role"] == "fruit_coop"].reset_index(drop=True)
        while sum(m.kg for m in stock) < 2 * kg:
            orchard = orchards.iloc[self._orchard_turn % len(orchards)]
            self._orchard_turn += 1
            lot = f"H{self._orchard_turn % 100:02d}{day:%y%m%d}"
            amount = round(kg * float(self.rng.uniform(1.5, 2.5)) + 50, 1)
            self._ship_material(day, "fruit_coop", orchard.farm_gln, lot, amount, "KGM", plant_gln, True, out)
            stock.append(MaterialLot(lot, amount, orchard.farm_gln))
        return self._consume("fruit_coop", stock, kg)

    def _take_flour(self, day: dt.date, kg: float, plant_gln: str, out: DayOutput):
        stock = self.stock["bakery"]
        if sum(m.kg for m in stock) < 2 * kg:
            mill_gln = self.gln[self.producer_index["mill"]]
            lot = f"M{day:%y%m%d}"
            amount = round(kg * 7 + 100, 1)
            self._ship_material(day, "mill", mill_gln, lot, amount, "KGM", plant_gln, False, out)
            stock.append(MaterialLot(lot, amount, mill_gln))
        return self._consume("mill", stock, kg)

    def _consume(self, role: str, stock: list[MaterialLot], kg: float):
        """Draw ``kg`` from the oldest lots first (a lot can be split over several days)."""
        inputs, wanted = [], round(kg, 1)
        while wanted > 0.05 and stock:
            lot = stock[0]
            take = round(min(lot.kg, wanted), 1)
            inputs.append((quantity(self.material_class(role, lot.lot), take, "KGM"), take))
            lot.kg = round(lot.kg - take, 1)
            wanted = round(wanted - take, 1)
            if lot.kg <= 0.05:
                stock.pop(0)
        return inputs


def deliveries_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=DELIVERY_COLUMNS)
