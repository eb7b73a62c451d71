"""EPCIS 2.0 JSON-LD events and documents as the producers' systems send them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np

from retail_factory.sources.simulator.calendar import PARIS

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def local_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def quantity(epc_class: str, amount: float, uom: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc_class, "quantity": amount}
    if uom:
        element["uom"] = uom
    return element


def party(kind: str, role: str, value: str) -> dict[str, str]:
    """A source or destination element: ``kind`` is "source" or "destination"."""
    return {"type": role, kind: value}


class EventFactory:
    """Builds events with deterministic identifiers (drawn from the simulation's random stream)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def _event_id(self) -> str:
        return uuid.UUID(bytes=self.rng.bytes(16), version=4).urn

    def _base(
        self, event_type: str, when: dt.datetime, biz_step: str, disposition: str | None, read_point: str
    ) -> dict[str, Any]:
        offset = when.strftime("%z")
        event: dict[str, Any] = {
            "type": event_type,
            "eventID": self._event_id(),
            "eventTime": when.isoformat(timespec="milliseconds"),
            "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        }
        if event_type in ("ObjectEvent", "AggregationEvent"):
            event["action"] = "OBSERVE"
        event["bizStep"] = biz_step
        if disposition:
            event["disposition"] = disposition
        event["readPoint"] = {"id": read_point}
        if biz_step != "shipping":  # goods leaving a site have no business location until received
            event["bizLocation"] = {"id": read_point}
        return event

    def object_event(
        self,
        when: dt.datetime,
        biz_step: str,
        disposition: str,
        read_point: str,
        *,
        action: str = "OBSERVE",
        epcs: list[str] | None = None,
        quantities: list[dict[str, Any]] | None = None,
        sources: list[dict[str, str]] | None = None,
        destinations: list[dict[str, str]] | None = None,
        transactions: list[dict[str, str]] | None = None,
        ilmd: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        event = self._base("ObjectEvent", when, biz_step, disposition, read_point)
        event["action"] = action
        event["epcList"] = epcs or []
        if quantities:
            event["quantityList"] = quantities
        if transactions:
            event["bizTransactionList"] = transactions
        if sources:
            event["sourceList"] = sources
        if destinations:
            event["destinationList"] = destinations
        if ilmd:
            event["ilmd"] = ilmd
        return event

    def aggregation_event(
        self, when: dt.datetime, read_point: str, parent: str, children: list[dict[str, Any]]
    ) -> dict[str, Any]:
        event = self._base("AggregationEvent", when, "packing", "in_progress", read_point)
        event["action"] = "ADD"
        event["parentID"] = parent
        event["childEPCs"] = []
        event["childQuantityList"] = children
        return event

    def transformation_event(
        self,
        when: dt.datetime,
        read_point: str,
        inputs: list[dict[str, Any]],
        outputs: list[dict[str, Any]],
        ilmd: dict[str, Any],
    ) -> dict[str, Any]:
        event = self._base("TransformationEvent", when, "commissioning", "active", read_point)
        event["inputQuantityList"] = inputs
        event["outputQuantityList"] = outputs
        event["ilmd"] = ilmd
        return event


def document(events: list[dict[str, Any]], created: dt.datetime, sender: str) -> dict[str, Any]:
    return {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(timespec="milliseconds"),
        "sender": sender,
        "epcisBody": {"eventList": events},
    }
