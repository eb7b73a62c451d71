"""The source drop: ``<drop>/<domain>/<entity>/<YYYY-MM-DD>/<file>``, and what a safe file name is.

A name becomes part of a blob path and of URLs, so only letters, digits, ``.``, ``_`` and ``-``
are accepted; names starting with a dot, holding ``..``, path separators or anything else are
quarantined under a cleaned name (the original is kept in the error report).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class DropFile:
    path: Path  # where it is on disk
    name: str  # its path below the date folder (a '/' means it sat in a sub-folder)
    size: int
    is_symlink: bool = False


def date_folder(drop_root: Path, domain: str, entity: str, day: dt.date) -> Path:
    return drop_root / domain / entity / day.isoformat()


def list_drop(folder: Path) -> list[DropFile]:
    """Every file below ``folder`` (sub-folders included, so nothing delivered is overlooked)."""
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            files.append(DropFile(path, path.relative_to(folder).as_posix(), 0, is_symlink=True))
        elif path.is_file():
            files.append(DropFile(path, path.relative_to(folder).as_posix(), path.stat().st_size))
    return files


def name_problem(name: str) -> str | None:
    """Why a delivered file name cannot become a blob name as it is (None when it can)."""
    if "/" in name or "\\" in name:
        return "the name holds a path separator ('/' or '\\'): files must sit directly in the date folder"
    if name.startswith("."):
        return "the name starts with '.', which hides the file and can be read as a relative path"
    if ".." in name:
        return "the name holds '..', which can be read as a parent folder"
    if len(name) > MAX_NAME_LENGTH:
        return f"the name is {len(name)} characters long; at most {MAX_NAME_LENGTH} are accepted"
    if not SAFE_NAME.match(name):
        odd = sorted({ch for ch in name if not re.match(r"[A-Za-z0-9._-]", ch)})
        return (
            f"the name holds {', '.join(repr(ch) for ch in odd)}; only letters, digits, '.', '_' and '-' are accepted"
        )
    return None


def safe_segment(name: str) -> str:
    """``name`` with only letters, digits, '.', '_' and '-': no separators, no '..', no leading dot."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("\\", "/").split("/")[-1])
    return re.sub(r"\.{2,}", "_", base).lstrip("._-") or "file"


def cleaned_name(name: str, sha256: str) -> str:
    """A safe, unique blob name for a file whose own name is not safe."""
    base = safe_segment(name)
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:
        stem, suffix = base, ""
    stem = stem[: MAX_NAME_LENGTH - 30]
    return f"{stem}-{sha256[:8]}.{suffix}" if suffix else f"{stem}-{sha256[:8]}"


def versioned_name(name: str, version: int) -> str:
    """``pos.csv`` → ``pos.v2.csv``: a later delivery of the same name with other bytes."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.v{version}.{suffix}" if dot and stem else f"{name}.v{version}"
