"""
### trace_lots — the lot genealogy behind every trace and recall (Airflow DAG)

Runs when `transform` has exported the curated traceability marts for a business date D (the
`curated_traceability` Asset's partition key), or by hand with the `date` parameter.

`refresh_genealogy` rebuilds, from `marts.fct_lot_links`, in one transaction:
- `trace.lot_edges`: input lot → output lot of each transformation, with quantities;
- `trace.lot_lineage`: every (ancestor, descendant) pair of lots at any depth, so a forward or
  backward trace is one indexed lookup;
- `trace.lot_movements`: every move of a lot (farm → plant → warehouse → store), pallets
  shipped under their SSCC expanded into the lots packed onto them.

Ask it with `retail-factory trace --lot <URN | Digital Link | (01)…(10)…> [--backward]`.
See docs/architecture.md ("Traceability").
"""

from retail_factory.traceability.tasks import trace_lots_dag

dag = trace_lots_dag(doc_md=__doc__)
