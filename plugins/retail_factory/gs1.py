"""GS1 keys: check digits and the EPC URN / Digital Link spellings the factory writes.

GTINs identify products, GLNs locations, SSCCs pallets and (GTIN, lot) pairs lots. Every key
ends with a mod-10 check digit (GS1 General Specifications §7.9). No well-kept PyPI package
covers check digits *and* the EPC Tag Data Standard URNs together, so the few lines live here.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_DIGITS = re.compile(r"^\d+$")
DIGITAL_LINK_BASE = "https://id.gs1.org"


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits of ``body`` (the key without its last digit)."""
    if not _DIGITS.match(body):
        raise ValueError(f"a GS1 key has digits only, got {body!r}")
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


def has_valid_check_digit(key: str) -> bool:
    return bool(_DIGITS.match(key)) and len(key) >= 2 and check_digit(key[:-1]) == int(key[-1])


def is_gtin(value: str) -> bool:
    """GTIN-8, -12, -13 or -14 with a valid check digit."""
    return len(value) in (8, 12, 13, 14) and has_valid_check_digit(value)


def is_gln(value: str) -> bool:
    return len(value) == 13 and has_valid_check_digit(value)


def is_sscc(value: str) -> bool:
    return len(value) == 18 and has_valid_check_digit(value)


def gtin14(gtin: str) -> str:
    if not is_gtin(gtin):
        raise ValueError(f"not a GTIN with a valid check digit: {gtin!r}")
    return gtin.zfill(14)


def _split_gtin(gtin: str, prefix_length: int) -> tuple[str, str]:
    g14 = gtin14(gtin)
    prefix = g14[1 : 1 + prefix_length]
    item_reference = g14[0] + g14[1 + prefix_length : 13]
    return prefix, item_reference


def lgtin_urn(gtin: str, lot: str, prefix_length: int) -> str:
    """``urn:epc:class:lgtin:<company prefix>.<indicator+item ref>.<lot>`` (TDS 2.x)."""
    prefix, item_reference = _split_gtin(gtin, prefix_length)
    return f"urn:epc:class:lgtin:{prefix}.{item_reference}.{quote(lot, safe='')}"


def sgtin_urn(gtin: str, serial: str, prefix_length: int) -> str:
    prefix, item_reference = _split_gtin(gtin, prefix_length)
    return f"urn:epc:id:sgtin:{prefix}.{item_reference}.{quote(serial, safe='')}"


def sgln_urn(gln: str, prefix_length: int, extension: str = "0") -> str:
    if not is_gln(gln):
        raise ValueError(f"not a GLN with a valid check digit: {gln!r}")
    return f"urn:epc:id:sgln:{gln[:prefix_length]}.{gln[prefix_length:12]}.{extension}"


def pgln_urn(gln: str, prefix_length: int) -> str:
    if not is_gln(gln):
        raise ValueError(f"not a GLN with a valid check digit: {gln!r}")
    return f"urn:epc:id:pgln:{gln[:prefix_length]}.{gln[prefix_length:12]}"


def sscc_urn(sscc: str, prefix_length: int) -> str:
    if not is_sscc(sscc):
        raise ValueError(f"not an SSCC with a valid check digit: {sscc!r}")
    extension, rest = sscc[0], sscc[1:17]
    return f"urn:epc:id:sscc:{rest[:prefix_length]}.{extension}{rest[prefix_length:]}"


def lot_digital_link(gtin: str, lot: str) -> str:
    """``https://id.gs1.org/01/<GTIN-14>/10/<lot>`` (GS1 Digital Link 1.x)."""
    return f"{DIGITAL_LINK_BASE}/01/{gtin14(gtin)}/10/{quote(lot, safe='')}"
