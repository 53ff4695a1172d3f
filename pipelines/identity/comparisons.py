"""The Fellegi-Sunter comparisons of the identity model: the fields compared and their levels."""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
import sqlglot
from splink import SettingsCreator
from splink.internals.dialects import SplinkDialect

from pipelines.identity.rules import DOB_NEAR_SQL

SWAP_LABEL = "First and last name swapped"


class PortableLevel(cll.CustomLevel):
    """A custom level written in DuckDB's SQL and transpiled by sqlglot for another backend.

    CustomLevel(base_dialect_str="duckdb") alone would write jaro_winkler_similarity as Spark's
    JAROWINKLER_SIMILARITY, which does not exist there: Splink's Spark UDF is jaro_winkler. So
    `{jw}` and `{dl}` stand for the backend's Jaro-Winkler and Damerau-Levenshtein functions, as
    in Splink's own levels. On DuckDB the text is used as written.
    """

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        sql = self.sql_condition.format(
            jw=sql_dialect.jaro_winkler_function_name, dl=sql_dialect.damerau_levenshtein_function_name
        )
        if sql_dialect.sql_dialect_str == "duckdb":
            return sql
        return sqlglot.parse_one(sql, read="duckdb").sql(dialect=sql_dialect.sqlglot_dialect)


def comparisons() -> list[cl.CustomComparison]:
    """Six comparisons, most specific level first; names and addresses have fuzzy middle levels."""

    swapped = PortableLevel("{jw}(fn_l, ln_r) >= 0.88 AND {jw}(ln_l, fn_r) >= 0.88", SWAP_LABEL)

    def names(col: str, extra: list[Any]) -> list[Any]:
        return [
            cll.NullLevel(col),
            cll.ExactMatchLevel(col),
            swapped,
            *extra,
            cll.JaroWinklerLevel(col, 0.92),
            cll.JaroWinklerLevel(col, 0.80),
            cll.ElseLevel(),
        ]

    nickname = cll.CustomLevel("fn_canon_l = fn_canon_r", label_for_charts="Same formal name (nickname)")
    return [
        cl.CustomComparison(names("fn", [nickname]), output_column_name="first_name"),
        cl.CustomComparison(names("ln", []), output_column_name="last_name"),
        cl.CustomComparison(
            [
                cll.NullLevel("dob"),
                cll.ExactMatchLevel("dob"),
                PortableLevel(
                    DOB_NEAR_SQL.format(a="dob_l", b="dob_r", dl="{dl}"),
                    "One keying error / day-month swap",
                ),
                cll.AbsoluteDateDifferenceLevel("dob", threshold=1, metric="year", input_is_string=False),
                cll.ElseLevel(),
            ],
            output_column_name="date_of_birth",
        ),
        cl.CustomComparison(
            [
                cll.NullLevel("postcode"),
                PortableLevel(
                    "postcode_l = postcode_r AND {jw}(address_line1_l, address_line1_r) >= 0.9",
                    "Same postcode and street line",
                ),
                cll.ExactMatchLevel("postcode"),
                PortableLevel(
                    "{jw}(address_line1_l, address_line1_r) >= 0.9", "Same street line, other postcode"
                ),
                cll.ExactMatchLevel("district"),
                cll.ExactMatchLevel("city"),
                cll.ElseLevel(),
            ],
            output_column_name="address",
        ),
        # The model is trained on records, where a shared e-mail usually means one person, but scores
        # representatives, where a shared mailbox is already a rule link: the levels keep the two
        # apart so that "same user name at another provider" gets its own (data-driven) weight.
        # At 1M synthetic people one level for both gave the user name +20 bits and merged 6k
        # pairs of namesakes (john.smith12@gmail / john.smith12@yahoo). No fuzzy level: user names
        # are built from names, so a fuzzy match only repeats the name evidence.
        cl.CustomComparison(
            [
                cll.NullLevel("email_user"),
                cll.ExactMatchLevel("email_canonical").configure(label_for_charts="Same e-mail address"),
                cll.ExactMatchLevel("email_user").configure(
                    label_for_charts="Same user name, other provider"
                ),
                cll.ElseLevel(),
            ],
            output_column_name="email",
        ),
        # Phone typos in E.164 mostly give another valid number: no fuzzy level.
        cl.CustomComparison(
            [cll.NullLevel("phone"), cll.ExactMatchLevel("phone"), cll.ElseLevel()],
            output_column_name="phone",
        ),
    ]


def settings_creator() -> SettingsCreator:
    """Untrained settings; blocking for prediction is added by make_linker, from this code version."""
    return SettingsCreator(link_type="dedupe_only", comparisons=comparisons())
