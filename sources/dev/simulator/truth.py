"""Truth files beside the landing root: persons.csv (clean identities) and params.json (run settings)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sources.dev.simulator.campaigns import PLAN, RESPONSE, RESPONSE_WINDOW
from sources.dev.simulator.context import Ctx
from sources.dev.simulator.lists import VENDORS
from sources.dev.simulator.params import Params


def _dates(start: date, days: np.ndarray, valid: np.ndarray) -> pl.Series:
    epoch = (start - date(1970, 1, 1)).days
    return (
        pl.Series(np.where(valid, days + epoch, 0))
        .cast(pl.Date)
        .dt.to_string("%Y-%m-%d")
        .set(pl.Series(~valid), None)
    )


def write_persons(ctx: Ctx, path: Path, days: int) -> None:
    """One row per person with the true clean identity and the behaviour that shaped the data."""
    pop = ctx.pop
    ident = pop.ident
    moved = pop.move_day < days
    churn = pop.churn_day
    df = ident.select(
        "person_id",
        "first_name",
        "last_name",
        "nickname",
        "email",
        ("+" + pl.col("dial") + pl.col("mobile")).alias("phone"),
        ("+" + pl.col("dial") + pl.col("landline")).alias("landline"),
        "address_line1",
        "address_line2",
        "city",
        "postcode",
        "region",
        "country",
        "date_of_birth",
        "account_id",
        "loyalty_id",
    ).with_columns(
        is_prospect=pl.Series(pop.is_prospect),
        household_id=pl.Series(pop.household + 1).cast(pl.Utf8).str.zfill(7).str.replace(r"^", "H-"),
        loyalty_member=pl.Series(pop.has_lc),
        existing_customer=pl.Series(~pop.is_prospect & (pop.acq_day < 0)),
        acquired_on=_dates(ctx.start, pop.acq_day, (pop.acq_day >= 0) & (pop.acq_day < days)),
        lapsed_before_start=pl.Series(~pop.is_prospect & (churn < 0)),
        churned_on=_dates(ctx.start, churn, (churn >= 0) & (churn < days) & ~pop.is_prospect),
        moved_on=_dates(ctx.start, pop.move_day, moved),
        **{f"new_{c}": pop.moved[c].set(pl.Series(~moved), None) for c in pop.moved.columns},
        purchases_per_year=pl.Series(np.round(pop.rate * 365, 3)),
        spend_level=pl.Series(np.round(pop.spend, 3)),
        web_sessions_per_year=pl.Series(np.round(pop.web_rate * 365, 3)),
    )
    df.write_csv(path)


def write_params(
    path: Path,
    *,
    customers: int,
    days: int,
    seed: int,
    start_date: date,
    out: Path,
    params: Params,
    n_persons: int,
) -> None:
    doc = {
        "customers": customers,
        "days": days,
        "seed": seed,
        "start_date": start_date.isoformat(),
        "end_date": (start_date + timedelta(days=days - 1)).isoformat(),
        "out": str(out),
        "persons": n_persons,
        "params": asdict(params),
        "campaigns": {
            "plan": {m: {"name": n, "channel": c} for m, (n, c) in PLAN.items()},
            "treatment_response": RESPONSE,
            "response_list_after_days": RESPONSE_WINDOW,
        },
        "vendors": [
            {
                "vendor": v.vendor,
                "code": v.code,
                "first_day": v.first_day,
                "every_days": v.every,
                "share": v.share,
            }
            for v in VENDORS
        ],
    }
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
