"""EPC identifiers in their three spellings, reduced to one key.

EPCIS names the same lot, item, pallet or place as an EPC URN (``urn:epc:class:lgtin:…``,
``urn:epc:id:sgtin:…``, ``urn:epc:id:sscc:…``, ``urn:epc:id:sgln:…``) or as a GS1 Digital Link
(``https://id.gs1.org/01/…/10/…``, on any host). Both carry the same GS1 element string, the
canonical key kept here: ``(01)09521234543213(10)LOT1``. It holds the check digit (verified) and
no company-prefix length, so a URN and a Digital Link of the same thing give the same key.

The EPC Tag Data Standard side (URN ⇄ element string, every scheme, its syntax rules) is epcpy's.
Written here, because no well-kept package does it: Digital Link ⇄ element string (path pairs of
application identifiers) and the ``urn:epc:idpat:sgtin:…`` class pattern (a product, no lot).
A URN needs the company-prefix length, which a Digital Link does not carry: an identifier keeps
it when it came as a URN, and otherwise it is passed (or looked up in the factory's producers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from epcpy import epc_pure_identity_to_gs1_element_string
from epcpy.epc_schemes import GIAI, GRAI, GSRN, LGTIN, PGLN, SGLN, SGTIN, SSCC
from epcpy.utils.common import ConvertException

from retail_factory.gs1 import DIGITAL_LINK_BASE, has_valid_check_digit, with_check_digit

# What each primary key application identifier is, its scheme in epcpy, the qualifier AIs a
# Digital Link may add after it (GS1 Digital Link 1.2, §4) and the kind of thing it names.
_PRIMARY = {
    "01": ("gtin", ("22", "10", "21")),
    "00": ("sscc", ()),
    "414": ("gln", ("254",)),
    "417": ("pgln", ()),
    "8003": ("grai", ()),
    "8004": ("giai", ()),
    "8018": ("gsrn", ()),
}
_FIXED_LENGTH = {"01": 14, "00": 18, "414": 13, "417": 13, "8018": 18}
_ELEMENT = re.compile(r"\((\d{2,4})\)([^()]*)")
_IDPAT_SGTIN = re.compile(r"^urn:epc:idpat:sgtin:(\d+)\.(\d+)\.\*$")


class InvalidIdentifierError(ValueError):
    """Not an EPC URN, a GS1 Digital Link or an element string this factory can read."""


@dataclass(frozen=True)
class Identifier:
    """One GS1 key with its qualifiers, as application identifier → value pairs in their order."""

    elements: tuple[tuple[str, str], ...]
    prefix_length: int | None = None  # from the URN it was read from, when it was

    @property
    def key(self) -> str:
        """The canonical key: the GS1 element string, e.g. ``(01)09521234543213(10)LOT1``."""
        return "".join(f"({ai}){value}" for ai, value in self.elements)

    @property
    def kind(self) -> str:
        """lot, item, product, pallet, location, party or asset."""
        ais = dict(self.elements)
        if "01" in ais:
            return "lot" if "10" in ais else "item" if "21" in ais else "product"
        return {"00": "pallet", "414": "location", "417": "party"}.get(self.elements[0][0], "asset")

    def value(self, ai: str) -> str | None:
        return dict(self.elements).get(ai)

    @property
    def gtin14(self) -> str | None:
        return self.value("01")

    @property
    def lot(self) -> str | None:
        return self.value("10")

    @property
    def serial(self) -> str | None:
        return self.value("21")

    @property
    def sscc(self) -> str | None:
        return self.value("00")

    @property
    def gln(self) -> str | None:
        return self.value("414") or self.value("417")

    def digital_link(self, base: str = DIGITAL_LINK_BASE) -> str:
        path = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in self.elements)
        return base.rstrip("/") + path

    def urn(self, prefix_length: int | None = None) -> str:
        """The EPC URN; ``prefix_length`` is needed when the identifier did not come as a URN."""
        length = prefix_length or self.prefix_length
        if length is None:
            raise InvalidIdentifierError(
                f"the GS1 company prefix length of {self.key} is unknown: a URN cannot be written without it"
            )
        if self.kind == "product":
            gtin = self.gtin14 or ""
            return f"urn:epc:idpat:sgtin:{gtin[1 : 1 + length]}.{gtin[0]}{gtin[1 + length : 13]}.*"
        scheme = {"lot": LGTIN, "item": SGTIN, "pallet": SSCC, "party": PGLN}.get(self.kind)
        if scheme is None:
            scheme = (
                SGLN if self.kind == "location" else {"8003": GRAI, "8004": GIAI, "8018": GSRN}[self.elements[0][0]]
            )
        key = self.key if self.kind != "location" or self.value("254") else self.key + "(254)0"
        try:
            return scheme.from_gs1_element_string(key, company_prefix_length=length).epc_uri
        except ConvertException as error:
            raise InvalidIdentifierError(f"{self.key} cannot be written as a URN: {error}") from error


def lot_key(gtin: str, lot: str) -> str:
    """The canonical key of a lot from its GTIN (8 to 14 digits) and lot code: ``(01)<GTIN-14>(10)<lot>``.

    The key :func:`parse_identifier` gives any URN or Digital Link of the lot, and the one
    ``genealogy.lot_key_sql`` builds in the warehouse.
    """
    return Identifier((("01", str(gtin).zfill(14)), ("10", lot))).key


def parse_identifier(text: str) -> Identifier:
    """Read an EPC URN, a GS1 Digital Link or an element string; check digits are verified."""
    value = text.strip()
    if value.startswith("urn:epc:"):
        return _from_urn(value)
    if value.startswith(("http://", "https://")):
        return _from_digital_link(value)
    if value.startswith("("):
        return _checked(_elements_of(value, value), value)
    raise InvalidIdentifierError(
        f"{text!r} is not an EPC URN (urn:epc:…), a GS1 Digital Link (https://…/01/…) or an element string ((01)…)"
    )


def _from_urn(urn: str) -> Identifier:
    pattern = _IDPAT_SGTIN.match(urn)
    if pattern:
        prefix, item = pattern.groups()
        if len(prefix) + len(item) != 13:
            raise InvalidIdentifierError(f"{urn}: company prefix and item reference must have 13 digits together")
        gtin = with_check_digit(item[0] + prefix + item[1:])
        return Identifier((("01", gtin),), len(prefix))
    try:
        element_string = epc_pure_identity_to_gs1_element_string(urn)
    except (ConvertException, ValueError, KeyError) as error:
        raise InvalidIdentifierError(f"{urn} is not a valid EPC URN: {error}") from error
    prefix_length = len(urn.rsplit(":", 1)[1].split(".", 1)[0])
    return _checked(_elements_of(element_string, urn), urn, prefix_length)


def _from_digital_link(link: str) -> Identifier:
    segments = [unquote(s) for s in urlsplit(link).path.split("/") if s]
    start = next((i for i, s in enumerate(segments) if s in _PRIMARY and i + 1 < len(segments)), None)
    if start is None:
        raise InvalidIdentifierError(f"{link}: no GS1 primary key (01, 00, 414, 417, 8003, 8004, 8018) in its path")
    pairs = segments[start:]
    if len(pairs) % 2:
        raise InvalidIdentifierError(
            f"{link}: its path after /{segments[start]}/ is not application identifier/value pairs"
        )
    elements = list(zip(pairs[::2], pairs[1::2], strict=True))
    ai = elements[0][0]
    allowed = _PRIMARY[ai][1]
    for qualifier, _ in elements[1:]:
        if qualifier not in allowed:
            raise InvalidIdentifierError(f"{link}: /{qualifier}/ cannot qualify /{ai}/ (allowed: {allowed or 'none'})")
    if ai == "01":  # a GTIN-8, -12 or -13 is written as its GTIN-14
        gtin = elements[0][1]
        if len(gtin) not in (8, 12, 13, 14):
            raise InvalidIdentifierError(f"{link}: a GTIN has 8, 12, 13 or 14 digits, got {gtin!r}")
        elements[0] = ("01", gtin.zfill(14))
    return _checked(tuple(elements), link)


def _elements_of(element_string: str, source: str) -> tuple[tuple[str, str], ...]:
    elements = tuple(_ELEMENT.findall(element_string))
    if not elements or "".join(f"({a}){v}" for a, v in elements) != element_string or elements[0][0] not in _PRIMARY:
        raise InvalidIdentifierError(f"{source}: {element_string!r} is not a GS1 element string with a primary key")
    return elements


def _checked(elements: tuple[tuple[str, str], ...], source: str, prefix_length: int | None = None) -> Identifier:
    ai, key = elements[0]
    length = _FIXED_LENGTH.get(ai)
    if length and (len(key) != length or not key.isdigit()):
        raise InvalidIdentifierError(f"{source}: ({ai}) needs {length} digits, got {key!r}")
    if length and not has_valid_check_digit(key):
        raise InvalidIdentifierError(f"{source}: the check digit of ({ai}) {key} is wrong")
    if not all(value for _, value in elements):
        raise InvalidIdentifierError(f"{source}: an application identifier has an empty value")
    # An SGLN URN writes "no extension" as extension 0; its element string has no (254).
    return Identifier(tuple(e for e in elements if e != ("254", "0")), prefix_length)
