"""
### land_supply — land the supply chain's documents into Azure Blob Storage (Airflow DAG)

For the business date D, the supply files under `drop/supply/<entity>/D/` are checked against
their contracts and landed:

| entity | what | format |
|---|---|---|
| `warehouses` | the warehouse list | JSON Lines, daily snapshot |
| `store_orders` | orders the stores placed | `;` CSV |
| `shipments` | what each warehouse shipped, per lot and SSCC | `;` CSV, one file per warehouse |
| `receipts` | what the stores booked in | `;` CSV |
| `purchase_orders` | orders the warehouses placed with producers | `;` CSV |
| `producer_deliveries` | pallets producers delivered, per lot and SSCC | `;` CSV, one file per warehouse |

Valid files go to `raw/supply/<entity>/ingest_date=D/`, rejected ones to `quarantine/…` with
`<file>.error.json`. `publish` emits the `raw_supply` Asset for D. See docs/contracts.md.
"""

from retail_factory.landing.tasks import landing_dag

dag = landing_dag("supply", doc_md=__doc__)
