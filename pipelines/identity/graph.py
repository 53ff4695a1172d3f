"""Connected components of the link graph and the over-merge guard that splits conflicting ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import csgraph, csr_matrix


def connected_components(con: duckdb.DuckDBPyConnection, edges: str, out: str) -> int:
    """Label every node of `edges(a, b)` with the smallest node id of its component: out(node, lbl).

    DuckDB numbers the nodes 0..n-1 and only two int32 index columns leave it, as numpy arrays,
    for scipy's C union of components; labels go back as one int32 array. At 1M records and 1.9M
    edges that took 1.2 s, where min-label propagation in SQL (with pointer jumping) took 8.3 s for
    its 5 rounds. Numbering in DuckDB rather than with np.unique keeps Python's share small: at
    20M records and 22M edges np.unique's sort and inverse of the uint64 ids held ~2 GB beside
    DuckDB's own 4 GB limit. Nodes without edges are not in `out`. Returns the number of components.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cc_edges AS SELECT a, b FROM {edges};
        CREATE OR REPLACE TEMP TABLE cc_nodes AS
        SELECT node, (row_number() OVER () - 1)::INTEGER AS ix
        FROM (SELECT a AS node FROM cc_edges UNION SELECT b FROM cc_edges)
    """)
    n = con.execute("SELECT count(*) FROM cc_nodes").fetchone()[0]
    if n == 0:
        con.execute(f"CREATE OR REPLACE TABLE {out} (node UBIGINT, lbl UBIGINT)")
        con.execute("DROP TABLE cc_edges; DROP TABLE cc_nodes")
        return 0
    pairs = con.execute("""
        SELECT na.ix AS a, nb.ix AS b FROM cc_edges e
        JOIN cc_nodes na ON na.node = e.a JOIN cc_nodes nb ON nb.node = e.b
    """).fetchnumpy()
    a, b = np.asarray(pairs["a"], dtype=np.int32), np.asarray(pairs["b"], dtype=np.int32)
    del pairs
    graph = csr_matrix((np.ones(len(a), dtype=bool), (a, b)), shape=(n, n))
    del a, b
    n_comp, comp = csgraph.connected_components(graph, directed=False)
    del graph
    con.register("cc_arrow", pa.table({"ix": pa.array(np.arange(n, dtype=np.int32)), "comp": pa.array(comp)}))
    con.execute(f"""
        CREATE OR REPLACE TABLE {out} AS
        SELECT n.node, min(n.node) OVER (PARTITION BY c.comp) AS lbl
        FROM cc_nodes n JOIN cc_arrow c USING (ix)
    """)
    con.unregister("cc_arrow")
    con.execute("DROP TABLE cc_edges; DROP TABLE cc_nodes")
    return n_comp


def dob_near(a: date, b: date) -> bool:
    """Python twin of the SQL macro id_dob_near: a day apart, one keyed digit or an adjacent
    transposition apart (ISO strings), or day and month swapped."""
    if abs((a - b).days) <= 1 or (a.year == b.year and a.month == b.day and a.day == b.month):
        return True
    x, y = a.isoformat(), b.isoformat()
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    return len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]
    )


# Guard key of a local_ref (a feed's own customer number, 'pos:100234'): marked so that it is
# told from an account id, which never starts with a control character.
LOCAL_REF_MARK = "\x1f"


def _key_kind(key: str) -> str:
    """Cannot-link namespace of a guard key: '' for account ids, the feed for a local_ref."""
    return key[1:].split(":", 1)[0] if key.startswith(LOCAL_REF_MARK) else ""


class _Groups:
    """Union-find that carries each group's account ids (and local refs) and dates of birth."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.accounts: dict[int, set[str]] = {}
        self.dobs: dict[int, set[date]] = {}
        self.names: dict[int, set[int]] = {}

    def add(self, node: int, account: str | None, dob: date | None, name: int | None = None) -> None:
        self.parent[node] = node
        self.accounts[node] = {account} if account else set()
        self.dobs[node] = {dob} if dob else set()
        self.names[node] = {node if name is None else name} if dob else set()

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def conflict(self, ra: int, rb: int) -> bool:
        """Two account ids, or dobs that no single true dob explains (no date is near all of them)
        on records of two name classes.

        Pairwise nearness would be too strict: 1960-01-10 has typos 1960-01-11 and 1960-10-01
        that are not near each other; at 1M people that split ~1k persons in two. A name class
        holds records whose names agree up to typos, nicknames and a swap: within one, distant
        dobs are a dob typed wrong (FEBRL replaces whole dobs), which the model has weighed.
        """
        keys = self.accounts[ra] | self.accounts[rb]
        # two keys of one kind: two account ids, or two customer numbers of one feed
        if len({_key_kind(k) for k in keys}) < len(keys):
            return True
        dobs = self.dobs[ra] | self.dobs[rb]
        if len(dobs) < 2 or any(all(dob_near(c, d) for d in dobs) for c in dobs):
            return False
        return len(self.names[ra] | self.names[rb]) > 1

    def union(self, ra: int, rb: int) -> None:
        keep, drop = min(ra, rb), max(ra, rb)
        self.parent[drop] = keep
        self.accounts[keep] |= self.accounts.pop(drop)
        self.dobs[keep] |= self.dobs.pop(drop)
        self.names[keep] |= self.names.pop(drop)


Node = tuple[int, str | None, date | None] | tuple[int, str | None, date | None, int | None]


def greedy_split(
    nodes: Iterable[Node], edges: Iterable[tuple[int, int]]
) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Add edges strongest-first, skipping any that would join two account ids or two distant dobs.

    This is a maximum spanning forest under cannot-link constraints: the weakest edges of a chain
    that bridges two people are the ones left out. `edges` must come sorted strongest first.
    A node is (id, account, dob[, name class]); without a class each node is a class of its own.
    Returns (node -> smallest node id of its part, cut edges).
    """
    g = _Groups()
    for node, account, dob, *name in nodes:
        g.add(node, account, dob, name[0] if name else None)
    cut: list[tuple[int, int]] = []
    for a, b in edges:
        ra, rb = g.find(a), g.find(b)
        if ra == rb:
            continue
        if g.conflict(ra, rb):
            cut.append((a, b))
        else:
            g.union(ra, rb)
    return {n: g.find(n) for n in g.parent}, cut


def guard_conflicts(con: duckdb.DuckDBPyConnection, edges: str, labels: str) -> int:
    """Split components holding two account ids, two local refs of one feed or two incompatible
    dobs on records of different names; mark cut edges.

    Dobs that no single date explains, on records that all carry one person's name (up to typos,
    nicknames and a first/last swap), are a dob typed wrong, which the model has already weighed:
    FEBRL's duplicates replace whole dobs. With two names among them they are two people.

    `edges` needs (a, b, tier, score, status); `labels` is (node, lbl) from connected_components and
    is relabelled in place. Only conflicted components reach Python: typically < 1% of records.
    """
    con.execute(f"""
        CREATE OR REPLACE TABLE guard_nodes AS
        WITH c AS (SELECT l.lbl FROM {labels} l JOIN rec r ON r.rid = l.node GROUP BY l.lbl
                   HAVING count(DISTINCT r.account_id) > 1 OR count(DISTINCT r.local_ref) > 1
                       OR count(DISTINCT r.dob) > 1)
        SELECT l.node, l.lbl, coalesce(r.account_id, chr({ord(LOCAL_REF_MARK)}) || r.local_ref) AS account_id,
               r.dob, r.fn, r.fn_canon, r.ln
        FROM {labels} l JOIN c USING (lbl) JOIN rec r ON r.rid = l.node
    """)
    # Name classes among the dob-bearing records of each conflicted component.
    connected_components(
        con,
        """(SELECT x.node AS a, y.node AS b FROM guard_nodes x JOIN guard_nodes y
            ON x.lbl = y.lbl AND x.node < y.node AND x.dob IS NOT NULL AND y.dob IS NOT NULL
            WHERE id_same_person_name(x.fn, y.fn, x.fn_canon, y.fn_canon, x.ln, y.ln)
               -- a record without a first name belongs with the same surname and a near dob
               OR ((x.fn IS NULL OR y.fn IS NULL) AND id_dob_near(x.dob, y.dob)
                   AND (x.ln = y.ln OR jaro_winkler_similarity(x.ln, y.ln) >= 0.88)))""",
        "guard_names",
    )
    nodes = con.execute(
        "SELECT g.node, g.account_id, g.dob, coalesce(n.lbl, g.node) "
        "FROM guard_nodes g LEFT JOIN guard_names n USING (node)"
    ).fetchall()
    if not nodes:
        return 0
    edge_rows = con.execute(f"""
        SELECT a, b FROM {edges} e SEMI JOIN guard_nodes g ON g.node = e.a WHERE e.status = 'kept'
        ORDER BY tier DESC, score DESC, a, b
    """).fetchall()
    new_labels, cut = greedy_split(nodes, edge_rows)
    u64 = pa.uint64()
    labels_tbl = pa.table(
        {"node": pa.array(list(new_labels), u64), "lbl": pa.array(list(new_labels.values()), u64)}
    )
    con.register("guard_labels", labels_tbl)
    con.execute(f"UPDATE {labels} l SET lbl = g.lbl FROM guard_labels g WHERE g.node = l.node")
    con.unregister("guard_labels")
    if cut:
        con.register(
            "guard_cut",
            pa.table({"a": pa.array([a for a, _ in cut], u64), "b": pa.array([b for _, b in cut], u64)}),
        )
        con.execute(
            f"UPDATE {edges} e SET status = 'cut_conflict' FROM guard_cut c WHERE c.a = e.a AND c.b = e.b"
        )
        con.unregister("guard_cut")
    con.execute("DROP TABLE guard_nodes; DROP TABLE guard_names")
    return len(cut)


def record_match_sql(edges: str = "all_edges") -> str:
    """Per record: the strongest kept link touching it (rule tier, then Splink probability)."""
    return f"""
        CREATE OR REPLACE TABLE record_match AS
        WITH inc AS (
            SELECT a AS rid, rule, tier, match_probability FROM {edges} WHERE status = 'kept'
            UNION ALL SELECT b, rule, tier, match_probability FROM {edges} WHERE status = 'kept'
        )
        SELECT rid,
               CASE WHEN max(tier) > 0 THEN split_part(arg_max(rule, tier), '+', 1) ELSE 'splink' END
                   AS matched_by,
               CASE WHEN max(tier) > 0 THEN 1.0 ELSE max(match_probability) END AS match_probability
        FROM inc GROUP BY rid
    """
