"""A rejected landing file is named in the raw asset's metadata and stops nothing downstream."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import dagster as dg
import pytest

from tests.ingest_helpers import POS_HEADER, pos_line, web_event, write


def test_rejected_files_are_named_and_do_not_block_downstream(tmp_path: Path) -> None:
    from pipelines.config import load_settings
    from pipelines.defs.assets.raw import build_raw_assets
    from pipelines.defs.resources import LandingResource, WarehouseResource

    settings = load_settings(data_dir=tmp_path)
    landing = settings.landing_dir
    write(landing / "pos" / "d1.csv", f"{POS_HEADER}\n{pos_line('T1')}\n")
    os.symlink("/etc/passwd", landing / "pos" / "p.csv")
    body = gzip.compress("\n".join(web_event(f"b{i}") for i in range(400)).encode())
    write(landing / "web" / "d1.jsonl", web_event("a1") + "\n")
    (landing / "web" / "d2.jsonl.gz").write_bytes(body[: len(body) // 2])

    @dg.asset(key=["staging", "downstream"], deps=[dg.AssetKey(["raw", "pos"]), dg.AssetKey(["raw", "web"])])
    def downstream() -> None:
        return None

    result = dg.materialize(
        [*build_raw_assets(), downstream],
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "landing": LandingResource.from_settings(settings),
        },
        selection=[
            dg.AssetKey(["raw", "pos"]),
            dg.AssetKey(["raw", "web"]),
            dg.AssetKey(["staging", "downstream"]),
        ],
        raise_on_error=False,
    )
    assert result.success
    done = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["staging", "downstream"]) in done
    pos, web = done[dg.AssetKey(["raw", "pos"])], done[dg.AssetKey(["raw", "web"])]
    assert (pos["files_rejected"].value, pos["files_loaded"].value) == (1, 1)
    assert "pos/p.csv: refused: a symbolic link" in pos["rejected_files"].value
    assert (web["files_rejected"].value, web["files_loaded"].value) == (1, 1)
    assert "web/d2.jsonl.gz: damaged gzip stream" in web["rejected_files"].value


@pytest.mark.integration
def test_crm360_run_with_a_rejected_file_exits_3_and_names_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipelines import cli

    landing = tmp_path / "landing"
    write(landing / "pos" / "d1.csv", f"{POS_HEADER}\n{pos_line('T1')}\n")
    os.symlink("/etc/passwd", landing / "pos" / "p.csv")
    (landing / "pos" / "empty.csv").write_bytes(b"")
    result = CliRunner().invoke(cli.main, ["run", "--data-dir", str(tmp_path), "--select", "raw/pos"])
    assert result.exit_code == 3, result.output
    assert "built, with rejected files" in result.output
    assert "pos/p.csv" in result.output and "pos/empty.csv" in result.output
    assert "root:" not in result.output  # nothing of /etc/passwd was read
