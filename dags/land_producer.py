"""
### land_producer — land producers' master data and EPCIS 2.0 events (Airflow DAG)

For the business date D, the files under `drop/producer/<entity>/D/` are checked and landed:

| entity | what | format |
|---|---|---|
| `producers` | producers the chain buys from or owns | JSON Lines, daily snapshot |
| `farms` | farms and orchards behind the cooperatives | JSON Lines, daily snapshot |
| `epcis` | GS1 EPCIS 2.0 documents: harvests, transformations, packing, shipping | JSON-LD |

EPCIS documents must validate against GS1's official EPCIS 2.0 JSON Schema (CBV values may be
bare words, URNs or GS1 Web URIs). Valid files go to `raw/producer/<entity>/ingest_date=D/`,
rejected ones to `quarantine/…` with `<file>.error.json`. `publish` emits the `raw_producer`
Asset for D. See docs/contracts.md.
"""

from retail_factory.landing.tasks import landing_dag

dag = landing_dag("producer", doc_md=__doc__)
