"""Benchmark figures into ratios, scaling exponents, target checks, the machine, and a printed table."""

from __future__ import annotations

import math
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pipelines.bench.overhead import print_model_overhead
from pipelines.bench.stages import STAGE_LABELS, STAGES

# A stage whose time grows as N^k with k above this is flagged: 1.15 leaves room for the noise of
# a shared 2-core machine, and n log n over a 10x range of N fits k of about 1.1.
SUPERLINEAR_K = 1.15
# issue 6 targets, for 1M customers on the 2-core 24 GB machine.
TARGETS = {"pipeline_seconds": 300.0, "peak_rss_gb": 6.0, "dbt_over_bare_sql": 1.3}
GB = 1e9
_F1_REST = "f1_without_web_web_pairs"


def machine() -> dict[str, Any]:
    """CPU model and count, memory, OS and the versions of what does the work."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                    if ln.startswith("model name")), "")  # fmt: skip
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {}
    for pkg in ("duckdb", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "splink"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratios(result: dict[str, Any]) -> dict[str, float | None]:
    """The ratios issue 6 asks for, None where a figure is missing (reference skipped or failed)."""
    pipe = result["pipeline"]
    if not pipe["success"]:
        return {}
    refs = result.get("references", {})
    floor = refs.get("floor", {}).get("seconds")
    bare = refs.get("bare_sql", {}).get("seconds")
    splink = refs.get("splink", {})
    inc = result.get("incremental", {})
    quiet = result.get("no_new_files", {})
    f1 = result.get("identity", {}).get("f1")
    return {
        "pipeline_over_floor": _div(pipe["seconds"], floor),
        "ingestion_over_floor": _div(pipe["stages"]["ingestion"], floor),
        "pipeline_over_bare_sql": _div(pipe["seconds"], bare),
        "dbt_over_bare_sql": _div(pipe["dbt_steps_seconds"], bare),
        "dbt_inside_over_bare_sql": _div(pipe.get("dbt_inside_seconds"), bare),
        "identity_over_splink_seconds": _div(pipe["stages"]["identity"], splink.get("seconds")),
        "identity_f1_minus_splink_f1": f1 - splink["f1"] if f1 is not None and "f1" in splink else None,
        "incremental_over_full": _div(inc.get("seconds"), pipe["seconds"]),
        "no_new_files_over_full": _div(quiet.get("seconds"), pipe["seconds"]),
    }


def fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """k of seconds = a * N^k by least squares on logs; None with fewer than two usable scales."""
    pts = [(math.log(n), math.log(s)) for n, s in points if n > 0 and s > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def scaling(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Exponent k per stage, whole pipeline and reference over the scales run, flagged above 1.15."""
    series: dict[str, list[tuple[float, float]]] = {}
    for r in results:
        if not r["pipeline"]["success"]:
            continue  # a failed run's stage times stop where it failed
        n = r["customers"]
        for stage, secs in r["pipeline"]["stages"].items():
            series.setdefault(stage, []).append((n, secs))
        series.setdefault("pipeline", []).append((n, r["pipeline"]["seconds"]))
        if "incremental" in r:
            series.setdefault("incremental", []).append((n, r["incremental"]["seconds"]))
        for name, ref in r.get("references", {}).items():
            if "seconds" in ref:
                series.setdefault(f"reference:{name}", []).append((n, ref["seconds"]))
    out = {}
    for name, pts in series.items():
        k = fit_exponent(pts)
        out[name] = {"exponent": k, "superlinear": k is not None and k > SUPERLINEAR_K}
    return out


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue 6 targets against one scale's figures: value, limit and whether it was met."""
    pipe, r = result["pipeline"], result["ratios"]
    if not pipe["success"]:
        return {}
    splink = result.get("references", {}).get("splink", {})
    rss_gb = pipe["peak_rss_bytes"] / GB
    checks = {
        "pipeline_seconds": (pipe["seconds"], TARGETS["pipeline_seconds"]),
        "peak_rss_gb": (rss_gb, TARGETS["peak_rss_gb"]),
    }
    if r["dbt_over_bare_sql"] is not None:
        checks["dbt_over_bare_sql"] = (r["dbt_over_bare_sql"], TARGETS["dbt_over_bare_sql"])
    out = {k: {"value": v, "limit": lim, "met": v <= lim} for k, (v, lim) in checks.items()}
    if "f1" in splink:
        f1 = result["identity"]["f1"]
        out["identity_f1_at_least_splink"] = {"value": f1, "limit": splink["f1"], "met": f1 >= splink["f1"]}
        secs = pipe["stages"]["identity"]
        out["identity_seconds_at_most_splink"] = {
            "value": secs,
            "limit": splink["seconds"],
            "met": secs <= splink["seconds"],
        }
    return out


def _s(x: float) -> str:
    return f"{x:,.1f} s"


def _x(x: float) -> str:
    return f"{x:.2f}x"


def _gb(x: float) -> str:
    return f"{x / GB:.2f} GB"


def _k(scaling_info: dict[str, dict[str, Any]], name: str) -> str:
    info = scaling_info.get(name, {})
    if info.get("exponent") is None:
        return ""
    return f"k={info['exponent']:.2f}" + (" [red]superlinear[/]" if info["superlinear"] else "")


def _spark(result: dict[str, Any], *steps: str) -> float:
    """The seconds of these steps of the Spark build (pipelines/spark/leg.py names them)."""
    seconds = result["spark"]["seconds"]
    return sum(seconds[step] for step in steps)


def _cells(results: list[dict[str, Any]], get, fmt) -> list[str]:
    """One cell per scale: fmt(get(result)), '-' where the figure is missing."""
    cells = []
    for r in results:
        try:
            value = get(r)
        except (KeyError, TypeError):
            value = None
        cells.append("-" if value is None else fmt(value))
    return cells


def rows(report: dict[str, Any]) -> list[tuple[str, list[str], str]]:
    """(label, one cell per scale, scaling note) for the printed table."""
    res, sc = report["scales"], report["scaling"]
    secs, ratio = _s, _x

    def ref(name: str, key: str = "seconds"):
        return lambda r: r["references"][name][key]

    out = [
        (STAGE_LABELS[s], _cells(res, lambda r, s=s: r["pipeline"]["stages"][s], secs), _k(sc, s))
        for s in STAGES
    ]
    spec = [
        ("[bold]whole pipeline[/]", lambda r: r["pipeline"]["seconds"], secs, "pipeline"),
        ("  of which between steps", lambda r: r["pipeline"]["between_steps_seconds"], secs, ""),
        ("peak RSS, process tree", lambda r: r["pipeline"]["peak_rss_bytes"], _gb, ""),
        ("one more day (whole job)", lambda r: r["incremental"]["seconds"], secs, "incremental"),
        ("  new rows that day", lambda r: r["incremental"]["new_row_share"], "{:.2%}".format, ""),
        ("no new files (whole run)", lambda r: r["no_new_files"]["seconds"], secs, ""),
        ("floor: DuckDB scans landing", ref("floor"), secs, "reference:floor"),
        ("bare SQL: dbt models + tests", ref("bare_sql"), secs, "reference:bare_sql"),
        ("dbt steps in Dagster", lambda r: r["pipeline"]["dbt_steps_seconds"], secs, ""),
        ("Spark: raw loads synced", lambda r: r["spark"]["seconds"]["raw_sync"], secs, ""),
        ("Spark: other inputs copied", lambda r: r["spark"]["seconds"]["copy_inputs"], secs, ""),
        ("Spark: dbt build (models + tests)", lambda r: _spark(r, "dbt_core", "dbt_marts"), secs, ""),
        ("Spark: pandera rules", lambda r: _spark(r, "checks_core", "checks_marts"), secs, ""),
        ("Spark: CLV", lambda r: _spark(r, "clv"), secs, ""),
        ("Spark: Python marts", lambda r: _spark(r, "python_marts"), secs, ""),
        ("  of which dbt's own run time", lambda r: r["pipeline"]["dbt_inside_seconds"], secs, ""),
        ("Splink reference (documented recipe)", ref("splink"), secs, "reference:splink"),
        ("identity F1: pipeline", lambda r: r["identity"]["f1"], "{:.4f}".format, ""),
        ("identity F1: Splink", ref("splink", "f1"), "{:.4f}".format, ""),
        ("  F1 without web-web pairs: pipeline", lambda r: r["identity"][_F1_REST], "{:.4f}".format, ""),
        ("  F1 without web-web pairs: Splink", ref("splink", _F1_REST), "{:.4f}".format, ""),
        ("pipeline / floor", lambda r: r["ratios"]["pipeline_over_floor"], ratio, ""),
        ("ingestion / floor", lambda r: r["ratios"]["ingestion_over_floor"], ratio, ""),
        ("pipeline / bare SQL", lambda r: r["ratios"]["pipeline_over_bare_sql"], ratio, ""),
        ("dbt steps / bare SQL", lambda r: r["ratios"]["dbt_over_bare_sql"], ratio, ""),
        ("dbt's own run time / bare SQL", lambda r: r["ratios"]["dbt_inside_over_bare_sql"], ratio, ""),
        ("identity / Splink (time)", lambda r: r["ratios"]["identity_over_splink_seconds"], ratio, ""),
        ("one more day / full build", lambda r: r["ratios"]["incremental_over_full"], ratio, ""),
        ("no new files / full build", lambda r: r["ratios"]["no_new_files_over_full"], ratio, ""),
    ]
    out += [(label, _cells(res, get, fmt), _k(sc, name) if name else "") for label, get, fmt, name in spec]
    return out


def short_reason(text: str) -> str:
    """A failed reference's error for the table: its first line and the engine's own message.

    Splink's exceptions carry the whole failing SQL (about 50 lines at 1M); the JSON keeps it.
    """
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    if len(lines) <= 2:
        return " ".join(lines)
    cause = next((ln for ln in lines if ln.startswith("Error was:")), lines[-1])
    return f"{lines[0]} ... {cause}"


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="crm360 benchmark")
    table.add_column("figure")
    for r in report["scales"]:
        table.add_column(f"{r['customers']:,} cust. x {r['days']} d", justify="right")
    table.add_column("scaling (time ~ N^k)")
    for label, cells, note in rows(report):
        table.add_row(label, *cells, note)
    console.print(table)
    print_model_overhead(report, console)
    for r in report["scales"]:
        for name, ref in r.get("references", {}).items():
            if "error" in ref or "skipped" in ref:
                why = short_reason(ref.get("error") or ref.get("skipped"))
                console.print(f"[yellow]{name} at {r['customers']:,}: {why}[/]", soft_wrap=True)
        if not r["pipeline"]["success"]:
            console.print(f"[red]pipeline FAILED at {r['customers']:,}: {r['pipeline']['failures']}[/]")
    m = report["machine"]
    gb = m["memory_bytes"] / GB
    console.print(f"machine: {m['cpu']}, {m['cores']} cores, {gb:.1f} GB, Python {m['python']}")
    t = report.get("targets", {})
    for name, check in t.items():
        if isinstance(check, dict):
            mark = "[green]met[/]" if check["met"] else "[red]missed[/]"
            console.print(
                f"target at {t['customers']:,} customers: {name} = {check['value']:.4g} "
                f"(limit {check['limit']:.4g}) {mark}"
            )
