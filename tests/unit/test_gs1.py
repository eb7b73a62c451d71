"""GS1 keys: check digits and EPC URN / Digital Link spellings, against GS1's published examples."""

import pytest
from retail_factory import gs1


@pytest.mark.parametrize(
    "key",
    ["4006381333931", "0614141123452", "10614141073464", "106141412345678908", "96385074", "036000291452"],
)
def test_published_keys_have_valid_check_digits(key: str) -> None:
    assert gs1.has_valid_check_digit(key)


@pytest.mark.parametrize("key", ["4006381333932", "0614141123450", "10614141073467", "abc", ""])
def test_wrong_check_digits_and_non_digits_are_refused(key: str) -> None:
    assert not gs1.has_valid_check_digit(key)


def test_check_digit_of_a_body() -> None:
    assert gs1.check_digit("400638133393") == 1
    assert gs1.with_check_digit("061414112345") == "0614141123452"


def test_key_kinds() -> None:
    assert gs1.is_gtin("4006381333931") and gs1.is_gtin("10614141073464") and not gs1.is_gtin("0614141123452" + "1")
    assert gs1.is_gln("0614141123452") and not gs1.is_gln("10614141073464")
    assert gs1.is_sscc("106141412345678908") and not gs1.is_sscc("4006381333931")


def test_epc_urns_follow_the_tag_data_standard_examples() -> None:
    # GS1 Tag Data Standard 2.x examples
    assert gs1.sgtin_urn("10614141073464", "2017", 7) == "urn:epc:id:sgtin:0614141.107346.2017"
    assert gs1.lgtin_urn("10614141073464", "998877", 7) == "urn:epc:class:lgtin:0614141.107346.998877"
    assert gs1.sscc_urn("106141412345678908", 7) == "urn:epc:id:sscc:0614141.1234567890"
    assert gs1.sgln_urn("0614141123452", 7) == "urn:epc:id:sgln:0614141.12345.0"
    assert gs1.pgln_urn("0614141123452", 7) == "urn:epc:id:pgln:0614141.12345"


def test_digital_link_pads_to_gtin14_and_escapes_the_lot() -> None:
    assert gs1.lot_digital_link("4006381333931", "AB/1") == "https://id.gs1.org/01/04006381333931/10/AB%2F1"


def test_urn_builders_refuse_bad_keys() -> None:
    with pytest.raises(ValueError, match="check digit"):
        gs1.lgtin_urn("4006381333932", "L1", 7)
    with pytest.raises(ValueError, match="GLN"):
        gs1.sgln_urn("123", 7)
