"""EPC identifiers: URN, Digital Link and element string give one key (GS1's own examples too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retail_factory.traceability.identifiers import InvalidIdentifierError, lot_key, parse_identifier

EXAMPLES = Path(__file__).parents[1] / "data" / "gs1-epcis" / "examples"
IDENTIFIER_FIELDS = {"epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID", "epcClass", "id"}
IDENTIFIER_FIELDS |= {"source", "destination"}


def _identifiers(node, field: str | None = None):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _identifiers(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _identifiers(value, field)
    elif isinstance(node, str) and field in IDENTIFIER_FIELDS and node.startswith(("urn:epc:", "https://id.gs1.org/")):
        yield node


def example_identifiers() -> list[str]:
    found = {i for path in EXAMPLES.glob("*.jsonld") for i in _identifiers(json.loads(path.read_text()))}
    return sorted(found)


def test_the_examples_name_every_kind_of_thing() -> None:
    kinds = {parse_identifier(i).kind for i in example_identifiers()}
    assert kinds == {"lot", "item", "product", "pallet", "location", "party", "asset"}
    assert len(example_identifiers()) > 60


@pytest.mark.parametrize("identifier", example_identifiers())
def test_every_identifier_of_the_gs1_examples_round_trips(identifier: str) -> None:
    parsed = parse_identifier(identifier)
    link = parsed.digital_link()
    assert link.startswith("https://id.gs1.org/") and parse_identifier(link).key == parsed.key
    if identifier.startswith("urn:"):
        assert parse_identifier(link).urn(parsed.prefix_length) == identifier
        assert parse_identifier(parsed.key).urn(parsed.prefix_length) == identifier


def test_a_lot_is_one_key_in_all_its_spellings() -> None:
    spellings = [
        "urn:epc:class:lgtin:4012345.012345.998877",
        "https://id.gs1.org/01/04012345123456/10/998877",
        "https://brand.example.com/products/01/4012345123456/10/998877?linkType=gs1:pip",  # GTIN-13, any host
        "(01)04012345123456(10)998877",
        "  urn:epc:class:lgtin:4012345.012345.998877\n",
    ]
    keys = {parse_identifier(s).key for s in spellings}
    assert keys == {"(01)04012345123456(10)998877"} == {lot_key("4012345123456", "998877")}
    lot = parse_identifier(spellings[1])
    assert (lot.kind, lot.gtin14, lot.lot) == ("lot", "04012345123456", "998877")
    assert lot.urn(7) == spellings[0]


def test_escaped_characters_of_a_lot_are_decoded_in_the_key() -> None:
    urn = parse_identifier("urn:epc:class:lgtin:4012345.012345.AB%2FC")
    link = parse_identifier("https://id.gs1.org/01/04012345123456/10/AB%2FC")
    assert urn.key == link.key == "(01)04012345123456(10)AB/C"
    assert urn.digital_link() == "https://id.gs1.org/01/04012345123456/10/AB%2FC"


def test_a_location_without_extension_is_the_same_in_urn_and_link() -> None:
    urn = parse_identifier("urn:epc:id:sgln:4012345.00001.0")
    link = parse_identifier("https://id.gs1.org/414/4012345000016")
    assert urn.key == link.key == "(414)4012345000016" and urn.gln == "4012345000016"
    assert link.urn(7) == "urn:epc:id:sgln:4012345.00001.0"
    with_extension = parse_identifier("urn:epc:id:sgln:4012345.00001.987")
    assert with_extension.key == "(414)4012345000016(254)987"
    assert with_extension.digital_link().endswith("/414/4012345000016/254/987")


def test_pallets_items_and_products() -> None:
    pallet = parse_identifier("urn:epc:id:sscc:4012345.0000000001")
    assert (pallet.kind, pallet.sscc) == ("pallet", "040123450000000016")
    assert parse_identifier("https://id.gs1.org/00/040123450000000016").key == pallet.key
    item = parse_identifier("urn:epc:id:sgtin:0614141.812345.6789")
    assert (item.kind, item.gtin14, item.serial) == ("item", "80614141123458", "6789")
    product = parse_identifier("urn:epc:idpat:sgtin:4012345.012345.*")
    assert (product.kind, product.key) == ("product", "(01)04012345123456")
    assert parse_identifier("https://id.gs1.org/01/04012345123456").urn(7) == "urn:epc:idpat:sgtin:4012345.012345.*"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("lot42", "is not an EPC URN"),
        ("", "is not an EPC URN"),
        ("urn:epc:class:lgtin:401234.012345.1", "not a valid EPC URN"),  # 12 digits, not 13
        ("urn:epc:id:sgtin:4012345.011111.98 7", "not a valid EPC URN"),
        ("urn:epc:id:sscc:4012345.00000000011", "not a valid EPC URN"),
        ("urn:epc:id:nothing:1.2", "not a valid EPC URN"),
        ("https://id.gs1.org/01/04012345123457/10/1", "check digit of (01) 04012345123457 is wrong"),
        ("https://id.gs1.org/00/040123450000000017", "check digit of (00)"),
        ("https://id.gs1.org/01/0401234512345/10/1", "check digit of (01) 00401234512345 is wrong"),  # a GTIN-13
        ("https://id.gs1.org/01/401234512/10/1", "a GTIN has 8, 12, 13 or 14 digits"),
        ("https://id.gs1.org/02/04012345123456", "no GS1 primary key"),
        ("https://id.gs1.org/01/04012345123456/10", "not application identifier/value pairs"),
        ("https://id.gs1.org/01/04012345123456/254/1", "/254/ cannot qualify /01/"),
        ("https://example.com/shop/apples", "no GS1 primary key"),
        ("(01)0401234512345(10)1", "needs 14 digits"),
        ("(01)04012345123456(10)", "empty value"),
        ("(99)123", "not a GS1 element string with a primary key"),
    ],
)
def test_malformed_identifiers_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(InvalidIdentifierError) as refused:
        parse_identifier(text)
    assert says in str(refused.value)


def test_a_urn_needs_the_company_prefix_length_a_link_does_not_carry() -> None:
    link = parse_identifier("https://id.gs1.org/01/04012345123456/10/1")
    with pytest.raises(InvalidIdentifierError, match=r"company prefix length of .* is unknown"):
        link.urn()
