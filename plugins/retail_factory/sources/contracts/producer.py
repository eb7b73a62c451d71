"""Contracts of the producer domain: producers, farms, and EPCIS 2.0 event documents."""

from __future__ import annotations

from retail_factory.sources.contracts.model import Column, Contract
from retail_factory.sources.contracts.retail import SNAPSHOT_DATE

PRODUCERS = Contract(
    domain="producer",
    entity="producers",
    version="1.0.0",
    format="jsonl",
    kind="snapshot",
    description="Producers the chain buys from or owns (plants, cooperatives, mills), daily full snapshot.",
    file_example="producers_2025-01-06.jsonl",
    primary_key=("producer_gln",),
    business_date="snapshot_date",
    columns=(
        Column("producer_gln", "gln", "GLN of the producer."),
        Column("name", "string", "Producer name."),
        Column("kind", "string", "Kind of producer.", enum=("manufacturer", "cooperative", "plant", "mill")),
        Column("country", "string", "Country, ISO 3166-1 alpha-2.", max_length=2),
        Column("region", "string", "Region."),
        Column("is_chain_owned", "boolean", "Whether the chain owns it."),
        Column(
            "gs1_company_prefix",
            "string",
            "GS1 company prefix of its keys (to turn GTINs and GLNs into EPC URNs).",
            max_length=12,
        ),
        SNAPSHOT_DATE,
    ),
)

FARMS = Contract(
    domain="producer",
    entity="farms",
    version="1.0.0",
    format="jsonl",
    kind="snapshot",
    description="Farms and orchards that supply the chain's plants through their cooperative, daily snapshot.",
    file_example="farms_2025-01-06.jsonl",
    primary_key=("farm_gln",),
    business_date="snapshot_date",
    columns=(
        Column("farm_gln", "gln", "GLN of the farm."),
        Column("name", "string", "Farm name."),
        Column("producer_gln", "gln", "Cooperative the farm belongs to."),
        Column("country", "string", "Country, ISO 3166-1 alpha-2.", max_length=2),
        Column("region", "string", "Region."),
        Column("commodity", "string", "What it produces for the chain (raw milk, apples, …)."),
        Column("is_organic", "boolean", "Organic certification."),
        Column("latitude", "decimal", "WGS 84 latitude.", unit="degree"),
        Column("longitude", "decimal", "WGS 84 longitude.", unit="degree"),
        SNAPSHOT_DATE,
    ),
)

EPCIS = Contract(
    domain="producer",
    entity="epcis",
    version="2.0.0",
    format="epcis",
    kind="event",
    description=(
        "GS1 EPCIS 2.0 documents (JSON or JSON-LD), one per producer and day: harvests, collections, "
        "transformations, packing, shipping and receiving, with lot quantities (LGTIN) and GLN/SGLN "
        "locations. Each document must validate against GS1's official EPCIS 2.0 JSON Schema. CBV "
        "values may be written as bare words, URNs or GS1 Web URIs; event times may be earlier than "
        "the delivery date (EPCIS events are often reported late), so no date check applies."
    ),
    file_example="epcis_3760002000011_2025-01-06.jsonld",
    max_bytes=256 << 20,
)

CONTRACTS = (PRODUCERS, FARMS, EPCIS)
