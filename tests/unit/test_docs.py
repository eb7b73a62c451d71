"""docs/contracts.md is generated from the contracts in code and must not drift from them."""

from retail_factory.config import get_settings
from retail_factory.sources.contracts import ALL_CONTRACTS
from retail_factory.sources.contracts.docs import contracts_markdown


def test_contracts_doc_is_up_to_date() -> None:
    committed = (get_settings().home / "docs" / "contracts.md").read_text(encoding="utf-8")
    assert committed == contracts_markdown(), "run `make docs` and commit docs/contracts.md"


def test_every_contract_and_column_is_documented() -> None:
    text = contracts_markdown()
    for contract in ALL_CONTRACTS:
        assert f"### {contract.name}" in text
        for column in contract.columns:
            assert f"`{column.name}`" in text and column.description
