"""The SELECT turning numbered physical lines of a JSON-lines file into staged records (file or batch)."""

from __future__ import annotations

import json

from sources.contracts import FeedContract
from sources.lib.sqltext import ident, lit, not_blank_sql, trim_to_null_sql


def jsonl_records_sql(contract: FeedContract, source: str, keep: str = "") -> str:
    """SELECT turning physical lines (n, text, bad_encoding[, keep]) into staged records.

    Blank lines are not records; a line that is not one JSON object is kept with its reason.
    """
    names = contract.column_names
    struct = json.dumps(dict.fromkeys(names, "VARCHAR"))
    known = ", ".join(lit(n) for n in names)
    cols = ", ".join(f"{trim_to_null_sql('rec.' + ident(n))} AS {ident(n)}" for n in names)
    keep_cols = f"{keep}, " if keep else ""
    return f"""
        WITH parsed AS (
            SELECT {keep_cols}n, text, bad_encoding, line_error,
                   -- json_type must only see valid JSON, and CASE (unlike AND) evaluates a
                   -- branch only on its own rows. Valid JSON that starts with '{{' is an object:
                   -- one parse for the usual line instead of three.
                   NOT bad_encoding AND line_error IS NULL
                   AND CASE WHEN prefix(text, '{{') THEN json_valid(text)
                            WHEN json_valid(text) THEN json_type(text) = 'OBJECT'
                            ELSE false END AS ok
            FROM {source} WHERE text IS NOT NULL AND {not_blank_sql("text")}
        ),
        objects AS (
            -- invalid lines become '{{}}' so the parsers below never see them
            SELECT *, from_json(obj, {lit(struct)}) AS rec,
                   -- IN over constants: 2x cheaper than list_contains on a list literal
                   list_filter(json_keys(obj), k -> k NOT IN ({known})) AS unknown
            FROM (SELECT *, CASE WHEN ok THEN text ELSE '{{}}' END AS obj FROM parsed)
        )
        SELECT {keep_cols}n AS _source_line, text AS _original,
               CASE WHEN bad_encoding THEN 'invalid UTF-8 encoding'
                    WHEN line_error IS NOT NULL THEN line_error
                    WHEN NOT ok THEN 'malformed JSON line (not a complete JSON object)' END
                   AS _parse_error,
               CAST(NULL AS VARCHAR) AS _error_column,
               {cols},
               -- CASE evaluates its branch only on the rows that take it: the merge (the
               -- costliest function here) runs on the few records with unknown keys
               CASE WHEN len(unknown) > 0
                    THEN json_merge_patch(obj, {lit(json.dumps(dict.fromkeys(names)))})::JSON END AS _extra
        FROM objects
    """
