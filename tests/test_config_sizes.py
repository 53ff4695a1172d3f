"""size_bytes: DuckDB memory_limit values, as CRM360_*_MEMORY_LIMIT settings give them, in bytes."""

import pytest

from pipelines.config import size_bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GB", 4e9),
        ("3 GB", 3e9),
        ("512MiB", 512 * 2**20),
        ("1.5GiB", 1.5 * 2**30),
        ("100kb", 1e5),
        ("2048", 2048),
    ],
)
def test_size_bytes_reads_duckdb_memory_units(text: str, expected: float) -> None:
    assert size_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "GB", "4 parsecs", "-1GB"])
def test_size_bytes_refuses_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError, match="not a memory size"):
        size_bytes(text)
