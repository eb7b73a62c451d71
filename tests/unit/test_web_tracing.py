"""The Trace page's reading of what a person types, and its picture of a genealogy."""

from __future__ import annotations

import re

import pytest
from retail_factory.traceability.identifiers import InvalidIdentifierError
from retail_factory.traceability.trace import Trace
from retail_factory.web.tracing import genealogy_svg, identify

LOT = "(01)03712367000018(10)M1"
FLOUR = "(01)03077739000325(10)FN1"
BREAD = "(01)03077739000332(10)B1"


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("03712367000018", "product", "(01)03712367000018"),
        ("3712367000018", "product", "(01)03712367000018"),  # a GTIN-13 as printed under the bar code
        ("030777390000015855", "pallet", "(00)030777390000015855"),
        (f"  {LOT} ", "lot", LOT),
        ("https://id.gs1.org/01/03712367000018/10/M1", "lot", LOT),
    ],
)
def test_a_gtin_an_sscc_or_a_lot_in_any_spelling_is_recognised(text: str, kind: str, key: str) -> None:
    identifier = identify(text)
    assert (identifier.kind, identifier.key) == (kind, key)


@pytest.mark.parametrize(
    ("text", "says"),
    [("12345", "has 5 digits"), ("03712367000019", "check digit"), ("flour", "is not an EPC URN")],
)
def test_what_names_nothing_is_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(InvalidIdentifierError, match=says):
        identify(text)


def _traces() -> tuple[Trace, Trace]:
    forward = Trace(LOT, "forward", lots=[
        {"lot_key": LOT, "depth": 0, "gtin14": "03712367000018", "lot": "M1"},
        {"lot_key": FLOUR, "depth": 1, "gtin14": "03077739000325", "lot": "FN1"},
        {"lot_key": BREAD, "depth": 2, "gtin14": "03077739000332", "lot": "B1"},
    ], transformations=[{"input_key": LOT, "output_key": FLOUR}, {"input_key": FLOUR, "output_key": BREAD}],
        stores=[{"store_id": "S1", "store_name": "<script>alert(1)</script>", "lots": [BREAD]}])  # fmt: skip
    backward = Trace(LOT, "backward", lots=[{"lot_key": LOT, "depth": 0, "gtin14": "03712367000018", "lot": "M1"}],
                     origins=[{"location_id": "F1", "location_name": "Ferme du Bois", "lot_key": LOT}])  # fmt: skip
    return forward, backward


def test_the_picture_lays_the_lot_out_from_farm_to_store() -> None:
    svg = genealogy_svg(*_traces())
    xs = {title: float(x) for title, x in re.findall(r"<title>([^<]+)</title><rect x=\"([\d.]+)\"", svg)}
    assert xs["place:F1"] < xs[LOT] < xs[FLOUR] < xs[BREAD] < xs["store:S1"]  # one column per step
    assert svg.count("<line") == 4  # farm → lot → flour → bread → store
    assert 'class="node searched"' in svg and "Ferme du Bois" in svg


def test_names_in_the_picture_are_escaped() -> None:
    svg = genealogy_svg(*_traces())
    assert "<script>" not in svg and "&lt;script&gt;" in svg
