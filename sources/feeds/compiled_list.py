"""Feed contract for vendor compiled lists."""

from __future__ import annotations

from sources.contracts import Column, FeedContract, contact_columns

CONTRACT = FeedContract(
    name="compiled_list",
    landing_subdir="lists/compiled",
    formats=("csv",),
    record_id=("record_id",),
    description="Records bought from list vendors. They carry no consent.",
    columns=(
        Column(
            "record_id",
            "VARCHAR",
            "Vendor's record id, unique per vendor list.",
            required=True,
            example="V1-L07-000001",
        ),
        Column("vendor", "VARCHAR", "Vendor name.", required=True, example="acme-data"),
        Column("list_id", "VARCHAR", "List bought.", required=True, example="L07"),
        *contact_columns(),
    ),
)
