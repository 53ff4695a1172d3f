#!/usr/bin/env bash
# Usage: pipelines/bench/incremental_strategies.sh WAREHOUSE [OUT_DIR]   (REPEAT=n, VENV=path)
# Incremental strategies of the biggest facts, on a bench warehouse after its "one more day" run:
# each variant starts from a fresh copy whose facts' _built_at is set back to the full build's,
# so the incremental run re-derives exactly the one-more-day batch (loads, re-keys and customers
# changed since the full build). Variants alternate, REPEAT times each.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd); VENV=${VENV:-$ROOT/.venv}
W=$1; OUT=${2:-$(dirname "$1")/strategies}; REPEAT=${REPEAT:-2}; mkdir -p "$OUT"
DBT=$VENV/bin/dbt; MODELS="fct_web_events fct_order_lines"
rm -rf "$OUT/proj_merge"; cp -r "$ROOT/dbt_project" "$OUT/proj_merge"; rm -rf "$OUT/proj_merge/target"
python3 - "$OUT/proj_merge/models/core" <<'PY'
import sys, pathlib
core = pathlib.Path(sys.argv[1])
for name, key in [("fct_web_events", "event_id"), ("fct_order_lines", "order_line_key")]:
    p = core / f"{name}.sql"; s = p.read_text()
    old = "incremental_strategy='delete+insert',\n        unique_key='" + ("anonymous_id" if name == "fct_web_events" else "transaction_id") + "'"
    assert old in s, name
    p.write_text(s.replace(old, f"incremental_strategy='merge',\n        unique_key='{key}'"))
PY
run() {  # variant project flags
    local variant=$1 proj=$2; shift 2
    cp "$W" "$OUT/w.duckdb"
    "$VENV/bin/python" - "$OUT/w.duckdb" <<'PY'
import sys, duckdb
con = duckdb.connect(sys.argv[1])
for t in ("fct_web_events", "fct_order_lines"):
    con.execute(f"update core.{t} set _built_at = (select min(_built_at) from core.{t})")
con.close()
PY
    CRM360_WAREHOUSE="$OUT/w.duckdb" $DBT run --quiet -s $MODELS --project-dir "$proj" --profiles-dir "$proj" \
        --target-path "$OUT/target-$variant" --log-path "$OUT/logs" "$@" > /dev/null
    "$VENV/bin/python" - "$OUT/target-$variant/run_results.json" "$OUT/w.duckdb" "$variant" <<'PY'
import json, sys, duckdb
res = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in json.load(open(sys.argv[1]))["results"]}
con = duckdb.connect(sys.argv[2], read_only=True)
for t, s in res.items():
    n, new = con.execute(f"select count(*), count(*) filter (where _built_at > (select min(_built_at) from core.{t})) from core.{t}").fetchone()
    print(f"{sys.argv[3]:14s} {t:16s} {s:7.2f} s  rows {n:>9,}  rewritten {new:>8,}")
PY
}
for i in $(seq "$REPEAT"); do
    run delete+insert "$ROOT/dbt_project"
    run merge "$OUT/proj_merge"
    run table "$ROOT/dbt_project" --full-refresh
done
