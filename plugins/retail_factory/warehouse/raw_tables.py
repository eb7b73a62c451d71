"""The warehouse's ``raw`` schema: one table per landed entity, every value kept as landed text.

Raw tables hold what the files said, typed nothing: a value that does not parse is a staging
reject with a reason (dbt), never a load failure that would hold back the good rows beside it.
Each row keeps its lineage: the blob it came from, that blob's sha256, the ingest date (the
partition, replaced whole on every load), when it was loaded, and its row number in the file.

EPCIS documents are not tables; they are flattened into five (see ``warehouse.epcis``).
"""

from __future__ import annotations

from dataclasses import dataclass

from retail_factory.sources.contracts import ALL_CONTRACTS, Contract

SCHEMA = "raw"

# name, SQL type — the same on DuckDB and PostgreSQL.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_blob", "varchar"),
    ("_source_sha256", "varchar"),
    ("_source_row", "bigint"),
    ("_ingest_date", "date"),
    ("_loaded_at", "timestamp"),
)


@dataclass(frozen=True)
class RawTable:
    """A raw table: its name in ``raw``, its data columns (all text) and where its rows come from."""

    domain: str
    entity: str  # the contract's entity, or the EPCIS part for producer/epcis
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.domain}__{self.entity}"

    @property
    def qualified_name(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def all_columns(self) -> tuple[str, ...]:
        return (*self.columns, *(name for name, _ in LINEAGE_COLUMNS))

    def columns_sql(self) -> str:
        data = [f'"{column}" varchar' for column in self.columns]
        lineage = [f"{name} {sql_type} not null" for name, sql_type in LINEAGE_COLUMNS]
        return ", ".join(data + lineage)

    def create_sql(self) -> str:
        return f"create table if not exists {self.qualified_name} ({self.columns_sql()})"


# One row per loaded blob (files with no rows included): what each partition was built from.
LOAD_LOG_COLUMNS = (
    "ingest_date date, domain varchar, entity varchar, blob varchar, sha256 varchar, rows bigint, loaded_at timestamp"
)
LOAD_LOG_TABLE = f"{SCHEMA}._load_log"


def table_for(contract: Contract) -> RawTable:
    return RawTable(contract.domain, contract.entity, tuple(column.name for column in contract.columns))


# The flattened EPCIS document: events and what they list. `event_key` is the eventID, or a hash
# of the event's content when the producer sent none (EPCIS 2.0 makes eventID optional).
EPCIS_TABLES: dict[str, RawTable] = {
    table.entity: table
    for table in (
        RawTable(
            "producer",
            "epcis_events",
            (
                "event_key",
                "event_id",
                "event_type",
                "action",
                "event_time",
                "event_timezone_offset",
                "record_time",
                "biz_step",
                "disposition",
                "read_point",
                "biz_location",
                "parent_id",
                "transformation_id",
                "error_reason",
                "error_declaration_time",
                "corrective_event_ids",
                "document_creation_date",
                "event_json",
            ),
        ),
        # Class-level quantities (LGTIN): role is quantity, input, output or child.
        RawTable("producer", "epcis_quantities", ("event_key", "role", "position", "epc_class", "quantity", "uom")),
        # Instance-level identifiers (SGTIN, SSCC): role is epc, input, output or child.
        RawTable("producer", "epcis_epcs", ("event_key", "role", "position", "epc")),
        RawTable("producer", "epcis_biz_transactions", ("event_key", "position", "type", "biz_transaction")),
        # Sources and destinations: side is source or destination.
        RawTable("producer", "epcis_parties", ("event_key", "side", "position", "type", "party")),
    )
}

TABULAR_TABLES: dict[tuple[str, str], RawTable] = {
    (contract.domain, contract.entity): table_for(contract) for contract in ALL_CONTRACTS if contract.format != "epcis"
}


def raw_tables() -> list[RawTable]:
    """Every raw table, in a stable order."""
    return [*TABULAR_TABLES.values(), *EPCIS_TABLES.values()]


def tables_of_entity(domain: str, entity: str) -> list[RawTable]:
    """The raw tables one landed entity is loaded into."""
    if (domain, entity) == ("producer", "epcis"):
        return list(EPCIS_TABLES.values())
    return [TABULAR_TABLES[(domain, entity)]]
