"""Delivered file names: which can become blob names, and the safe names the others get."""

from __future__ import annotations

from pathlib import Path

import pytest
from retail_factory.landing.drop import cleaned_name, list_drop, name_problem, versioned_name

SHA = "ab" * 32


@pytest.mark.parametrize("name", ["pos_3760001000024_2025-03-03.csv", "stock.v2.parquet", "A-b_c.1"])
def test_safe_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("sub/pos.csv", "path separator"),
        ("..\\pos.csv", "path separator"),
        ("../../etc/passwd", "path separator"),
        (".hidden.csv", "starts with '.'"),
        ("pos..csv", "'..'"),
        ("pos (1).csv", "' '"),
        ("pos#?.csv", "'#'"),
        ("crème.csv", "'è'"),
        ("x" * 201, "201 characters"),
    ],
)
def test_unsafe_names_are_explained(name: str, says: str) -> None:
    problem = name_problem(name)
    assert problem is not None and says in problem


@pytest.mark.parametrize("name", ["..\\pos.csv", "../../etc/passwd", "pos (1).csv", ".hidden", "é", "a/b/c.parquet"])
def test_cleaned_names_are_safe_and_keep_the_extension(name: str) -> None:
    cleaned = cleaned_name(name, SHA)
    assert name_problem(cleaned) is None
    assert SHA[:8] in cleaned
    if name.endswith((".csv", ".parquet")):
        assert cleaned.endswith(Path(name).suffix)


def test_versions_keep_the_extension() -> None:
    assert versioned_name("pos_1.csv", 2) == "pos_1.v2.csv"
    assert versioned_name("README", 3) == "README.v3"


def test_listing_sees_sub_folders_and_links(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.csv").write_text("a")
    (tmp_path / "top.csv").write_text("bb")
    (tmp_path / "link.csv").symlink_to("/etc/hostname")
    listed = {f.name: f for f in list_drop(tmp_path)}
    assert set(listed) == {"sub/nested.csv", "top.csv", "link.csv"}
    assert listed["link.csv"].is_symlink and listed["top.csv"].size == 2
    assert list_drop(tmp_path / "absent") == []
