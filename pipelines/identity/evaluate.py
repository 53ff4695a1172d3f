"""Pairwise and cluster precision/recall/F1 of a customer map against ground truth, counted in DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

MAP_TABLE = "core.customer_identity_map"


def _pairs(n: str) -> str:
    return f"({n}) * ({n} - 1) // 2"


def _feed_pair_sql(group: str) -> str:
    """Pairs within each group, by unordered feed pair: n_s*n_t across feeds, C(n_s,2) within one."""
    return f"""
        SELECT least(x.s, y.s) AS feed_a, greatest(x.s, y.s) AS feed_b,
               sum(CASE WHEN x.s = y.s THEN {_pairs("x.n")} ELSE x.n * y.n END) AS pairs
        FROM (SELECT {group}, s, count(*) AS n FROM ev GROUP BY ALL) x
        JOIN (SELECT {group}, s, count(*) AS n FROM ev GROUP BY ALL) y USING ({group})
        WHERE x.s <= y.s GROUP BY ALL
    """


def _report(con: duckdb.DuckDBPyConnection, map_table: str, truth_csv: str) -> dict[str, Any]:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ev AS
        SELECT m.customer_key AS c, t.person_id AS p, m.source_system AS s
        FROM {map_table} m
        JOIN read_csv('{truth_csv}', header = true, all_varchar = true) t
            USING (source_system, source_record_id)
    """)
    truth_n, map_n = con.execute(f"""
        SELECT (SELECT count(*) FROM read_csv('{truth_csv}', header = true, all_varchar = true)),
               (SELECT count(*) FROM {map_table})
    """).fetchone()
    pred, true, tp, n, clusters, persons, merged, split = con.execute(f"""
        SELECT (SELECT sum({_pairs("n")}) FROM (SELECT count(*) n FROM ev GROUP BY c)),
               (SELECT sum({_pairs("n")}) FROM (SELECT count(*) n FROM ev GROUP BY p)),
               (SELECT sum({_pairs("n")}) FROM (SELECT count(*) n FROM ev GROUP BY c, p)),
               (SELECT count(*) FROM ev), (SELECT count(DISTINCT c) FROM ev),
               (SELECT count(DISTINCT p) FROM ev),
               (SELECT count(*) FROM (SELECT c FROM ev GROUP BY c HAVING count(DISTINCT p) > 1)),
               (SELECT count(*) FROM (SELECT p FROM ev GROUP BY p HAVING count(DISTINCT c) > 1))
    """).fetchone()
    pred, true, tp = int(pred or 0), int(true or 0), int(tp or 0)
    # A customer is exactly right when it holds all of one person's records and nobody else's.
    (exact,) = con.execute("""
        SELECT count(*) FROM (SELECT c, min(p) AS p FROM ev GROUP BY c HAVING count(DISTINCT p) = 1) x
        JOIN (SELECT p, min(c) AS c FROM ev GROUP BY p HAVING count(DISTINCT c) = 1) y USING (c, p)
    """).fetchone()
    c_precision = exact / clusters if clusters else 1.0
    c_recall = exact / persons if persons else 1.0
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    rows = con.execute(f"""
        WITH pc AS ({_feed_pair_sql("c")}), pp AS ({_feed_pair_sql("p")}),
             ok AS ({_feed_pair_sql("c, p")})
        SELECT feed_a, feed_b, coalesce(pc.pairs, 0) - coalesce(ok.pairs, 0) AS false_merges,
               coalesce(pp.pairs, 0) - coalesce(ok.pairs, 0) AS missed_links, coalesce(ok.pairs, 0) AS correct
        FROM pc FULL JOIN pp USING (feed_a, feed_b) FULL JOIN ok USING (feed_a, feed_b)
        ORDER BY feed_a, feed_b
    """).fetchall()
    con.execute("DROP TABLE ev")
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "cluster_precision": c_precision,
        "cluster_recall": c_recall,
        "cluster_f1": 2 * c_precision * c_recall / (c_precision + c_recall) if exact else 0.0,
        "exact_customers": int(exact),
        "true_positive_pairs": tp,
        "false_merge_pairs": pred - tp,
        "missed_link_pairs": true - tp,
        "predicted_pairs": pred,
        "true_pairs": true,
        "records_evaluated": n,
        "records_missing_from_map": truth_n - n,
        "records_missing_from_truth": map_n - n,
        "customers": clusters,
        "persons": persons,
        "customers_with_several_persons": merged,
        "persons_split_over_customers": split,
        "by_feed_pair": [
            {"feed_a": a, "feed_b": b, "false_merges": int(fm), "missed_links": int(ml), "correct": int(ok)}
            for a, b, fm, ml, ok in rows
        ],
    }


def evaluate(
    con_or_map_table: duckdb.DuckDBPyConnection | str | Path,
    truth_records_csv: str | Path,
    map_table: str = MAP_TABLE,
) -> dict[str, Any]:
    """Score record-to-customer assignment against records.csv (source_system, source_record_id, person_id).

    Pairwise metrics without enumerating pairs: with n_c records per customer, n_p per person and
    n_cp per (customer, person), predicted = sum C(n_c,2), true = sum C(n_p,2), TP = sum C(n_cp,2).
    `con_or_map_table` is an open connection or the path of a DuckDB file (opened read-only);
    `map_table` names the map in it.
    """
    truth = str(Path(truth_records_csv)).replace("'", "''")
    if isinstance(con_or_map_table, duckdb.DuckDBPyConnection):
        return _report(con_or_map_table.cursor(), map_table, truth)
    con = duckdb.connect(str(con_or_map_table), read_only=True)
    try:
        return _report(con, map_table, truth)
    finally:
        con.close()
