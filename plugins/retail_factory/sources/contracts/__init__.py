"""One data contract per source entity, and the function that checks a file against its contract.

The contracts say the *shape* of the data (format, columns, types, keys, encoding, dates) and are
checked when a file lands. What the data *means* (check digits, known stores and products, stock
equations) is checked later in the warehouse, row by row.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

from retail_factory.sources.contracts import producer, retail, supply
from retail_factory.sources.contracts.model import Column, Contract, Finding, ValidationReport

ALL_CONTRACTS: tuple[Contract, ...] = retail.CONTRACTS + supply.CONTRACTS + producer.CONTRACTS
CONTRACTS: dict[tuple[str, str], Contract] = {(c.domain, c.entity): c for c in ALL_CONTRACTS}

# Validators import Arrow, pandas and jsonschema: loaded on first use, so DAG files that only
# need the list of entities stay light to parse.
_VALIDATORS = {
    "csv": "retail_factory.sources.contracts.csv_format:validate_csv",
    "parquet": "retail_factory.sources.contracts.parquet_format:validate_parquet",
    "jsonl": "retail_factory.sources.contracts.jsonl_format:validate_jsonl",
    "epcis": "retail_factory.sources.contracts.epcis_format:validate_epcis",
}

__all__ = [
    "ALL_CONTRACTS",
    "CONTRACTS",
    "Column",
    "Contract",
    "Finding",
    "ValidationReport",
    "contract_for",
    "contracts_of",
    "validate_file",
]


def contract_for(domain: str, entity: str) -> Contract:
    try:
        return CONTRACTS[(domain, entity)]
    except KeyError:
        known = ", ".join(c.entity for c in contracts_of(domain)) or "none"
        raise KeyError(f"no contract for {domain}/{entity}; the {domain} domain has: {known}") from None


def contracts_of(domain: str) -> tuple[Contract, ...]:
    return tuple(c for c in ALL_CONTRACTS if c.domain == domain)


def validate_file(path: Path, contract: Contract, ingest_date: dt.date | None = None) -> ValidationReport:
    """Check one file against its contract; ``ingest_date`` is the date of the folder it was delivered in."""
    module, function = _VALIDATORS[contract.format].split(":")
    return getattr(importlib.import_module(module), function)(path, contract, ingest_date)
