"""Secrets generated once into the data directory outside production (signing keys, field keys)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, creating it (mode 600) first if missing. When processes race, the first file wins
    and all read it: the new file is written aside and hard-linked into place, which fails if one exists."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(make())
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()


def replace(path: Path, data: bytes) -> None:
    """Write the whole file at once (mode 600): readers see the old or the new content, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    os.replace(tmp, path)
