"""The layers of docs/architecture.md hold: imports run one way, no cycles, no work at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("sources", "quality", "pipelines")

# Rank of every part of the code (docs/architecture.md): a module may import its own rank or lower.
LAYERS: dict[str, int] = {
    "sources.lib": 0,  # shared helpers: import nothing of crm360
    "sources.contracts": 1,
    "sources.feeds": 1,
    "sources.privacy": 1,
    "sources.ingest": 2,
    "sources.connectors": 2,
    "sources.contracts_doc": 2,
    "sources.dbt_sources": 2,
    "quality": 3,
    "pipelines.identity": 4,
    "pipelines.kpi": 4,
    "pipelines.serving": 4,
    "pipelines.privacy": 4,
    "pipelines.feeds": 4,
    "pipelines.customer_refs": 4,
    "pipelines.run_report": 4,
    "pipelines.config": 5,
    "pipelines.config_doc": 5,
    "pipelines.config_vars": 5,
    "pipelines.dbt_vars": 5,
    "pipelines.spark": 5,  # the Spark engine: session, dbt target, table copies (reads config)
    "pipelines.defs": 6,
    "pipelines.cli": 7,
    "pipelines.cli_erase": 7,
}
# Development tools, and the highest rank each may import; only the CLI (and tests) import them.
DEV: dict[str, int] = {"sources.dev": 2, "pipelines.bench": 6}
DEV_IMPORTERS = ("pipelines.cli",)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")}


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's crm360 imports (module level and inside functions alike)."""
    edges: dict[str, set[str]] = {}
    for name, path in mods.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in mods else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        edges[name] = {m for m in found if m in mods and m != name}
    return edges


def part(name: str, table: dict[str, int]) -> str | None:
    """The longest prefix of `name` in `table`."""
    hits = [p for p in table if name == p or name.startswith(p + ".")]
    return max(hits, key=len) if hits else None


def violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for src, targets in sorted(edges.items()):
        src_dev, src_layer = part(src, DEV), part(src, LAYERS)
        if src in PACKAGES:
            continue
        if not src_dev and not src_layer:
            found.append(f"{src}: not in any layer of tests/test_architecture.py (add it, and to the docs)")
            continue
        limit = DEV[src_dev] if src_dev else LAYERS[src_layer]
        for dst in sorted(targets):
            dst_dev, dst_layer = part(dst, DEV), part(dst, LAYERS)
            if dst_dev and not src_dev and not src.startswith(DEV_IMPORTERS):
                found.append(f"{src} -> {dst}: a deployment module imports a development tool")
            elif dst_layer and LAYERS[dst_layer] > limit:
                found.append(f"{src} -> {dst}: upward ({LAYERS[dst_layer]} > {limit})")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def by_package(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Edges between packages two levels deep (pipelines.kpi, sources.ingest, ...)."""
    out: dict[str, set[str]] = defaultdict(set)
    for src, targets in edges.items():
        a = ".".join(src.split(".")[:2])
        for dst in targets:
            b = ".".join(dst.split(".")[:2])
            if a != b and a not in PACKAGES and b not in PACKAGES:
                out[a].add(b)
    return out


def test_imports_run_one_way() -> None:
    assert violations(imports(modules())) == []


def test_no_import_cycles_between_modules_or_packages() -> None:
    edges = imports(modules())
    assert cycles(edges) == []
    assert cycles(by_package(edges)) == []


def test_the_rules_catch_an_upward_import_and_a_cycle() -> None:
    edges = {"sources.ingest.loader": {"pipelines.config"}, "pipelines.config": set()}
    assert violations(edges) == ["sources.ingest.loader -> pipelines.config: upward (5 > 2)"]
    assert violations({"pipelines.defs.runner": {"sources.dev.simulator"}})[0].endswith("development tool")
    assert violations({"pipelines.cli": {"sources.dev.simulator"}}) == []
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]


_IMPORT_ALL = textwrap.dedent(
    """
    import importlib, os, subprocess, sys, traceback
    touched = []
    ours = tuple(os.path.join(sys.argv[1], pkg) + os.sep for pkg in ("pipelines", "sources", "quality"))
    class Env(dict):
        def _note(self, key):
            if str(key).startswith(("CRM360_", "DAGSTER_HOME")):
                touched.append(("environment", key))
        def __getitem__(self, key):
            self._note(key); return super().__getitem__(key)
        def get(self, key, default=None):
            self._note(key); return super().get(key, default)
        def __contains__(self, key):
            self._note(key); return super().__contains__(key)
    os.environ = Env(os.environ)
    popen = subprocess.Popen
    class Watched(popen):
        def __init__(self, *args, **kwargs):
            # who started it: a library probing its platform is not ours, `dbt parse` from crm360 is
            caller = [f for f in traceback.extract_stack()[:-1] if not f.filename.endswith("subprocess.py")]
            if caller and caller[-1].filename.startswith(ours):
                touched.append(("subprocess", args[0] if args else kwargs.get("args")))
            super().__init__(*args, **kwargs)
    subprocess.Popen = Watched
    # preparing the dbt manifest is work even when it is up to date
    import pipelines.defs.dbt_project as dbt_project
    dbt_project.ensure_manifest = lambda *a, **k: touched.append(("dbt manifest", "ensure_manifest"))
    for name in sys.argv[2:]:
        importlib.import_module(name)
    print(touched)
    """
)


def test_importing_does_no_work(tmp_path: Path) -> None:
    """Every module imports without reading CRM360_* settings or starting a process (no `dbt parse`)."""
    names = sorted(m for m in modules() if not m.endswith("__main__"))
    # A script file, not `python -c`: pandera imports pyspark where it is installed (make test-spark),
    # and pyspark exits a process whose __main__ has no file, taking it for its own doctests.
    script = tmp_path / "import_all.py"
    script.write_text(_IMPORT_ALL)
    proc = subprocess.run(
        [sys.executable, str(script), str(REPO), *names],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# Who may touch os.environ: config reads the settings; the others hand an environment to a process
# they start (dbt, dagster dev, the benchmark's references, Spark's Python workers) or switch off GX's
# analytics.
ENVIRON_ALLOWED = (
    "pipelines.config",
    "pipelines.cli",
    "pipelines.defs.assets.dbt",
    "pipelines.spark.dbt",
    "pipelines.spark.session",
    "pipelines.defs.dbt_project",
    "pipelines.defs.dbt_worker",
    "quality.gx_context",
    "pipelines.bench",
    "sources.dev",
)


def environ_users(mods: dict[str, Path]) -> set[str]:
    """Modules that mention os.environ or os.getenv."""
    found = set()
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                found.add(name)
    return found


def test_settings_are_read_from_the_environment_in_one_place() -> None:
    """Everything else gets its settings from Settings, through a resource or an argument."""
    users = environ_users(modules())
    assert "pipelines.config" in users  # the check sees a real reader
    assert sorted(u for u in users if not u.startswith(ENVIRON_ALLOWED)) == []
