"""sample_data/ is exactly what the generator writes, small, and the README demo runs on it."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

from quota.testing.synth import write_samples


def test_samples_are_what_the_generator_writes(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    written = write_samples(tmp_path)
    committed = {p.name for p in SAMPLES.iterdir() if p.name != "demo.sh"}
    assert {p.name for p in written} == committed
    for p in written:
        if p.suffix == ".parquet":  # the writer's version is in the file's metadata
            assert pq.read_table(p).equals(pq.read_table(SAMPLES / p.name)), p.name
        elif p.suffix == ".gz":  # another zlib may compress the same bytes differently
            assert gzip.decompress(p.read_bytes()) == gzip.decompress((SAMPLES / p.name).read_bytes()), p.name
        else:
            assert p.read_bytes() == (SAMPLES / p.name).read_bytes(), (
                f"{p.name}: run python -m quota.testing.synth sample_data"
            )


def test_samples_are_small_and_synthetic() -> None:
    total = sum(p.stat().st_size for p in SAMPLES.iterdir())
    assert total < 1_000_000
    text = (SAMPLES / "v2_pages.jsonl").read_text()
    assert "synth_" in text and "api.x.invalid" in text  # synthetic names and hosts only


@pytest.mark.slow
def test_readme_demo_runs_on_every_sample() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bash sample_data/demo.sh" in readme
    env = dict(os.environ, QUOTA=f"{sys.executable} -m quota")
    done = subprocess.run(["bash", str(SAMPLES / "demo.sh")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    script = (SAMPLES / "demo.sh").read_text()
    # Samples of what must be refused, and inputs of other commands than strip.
    refused = {"v2_lists.jsonl", "deleted-tweets.js"}
    elsewhere = {"compliance_job.json", "compliance_result.jsonl", "v2_protected.jsonl", "terms-acceptance.txt"}
    stripped = {p.name for p in SAMPLES.iterdir()} - refused - elsewhere - {"demo.sh"}
    for name in stripped:
        assert f" {name} " in script, f"demo.sh does not strip {name}"
        assert f"== {name}" in done.stdout
    for name in refused:
        assert f"== {name} refused (exit 4)" in done.stdout
    for name in elsewhere:
        assert name in script, f"demo.sh does not use {name}"
    assert "left out (not public: protected accounts)" in done.stderr
    assert "recorded notice" in done.stderr
    assert done.stderr.count("stripped 1 input") == len(stripped)
    assert "skipped 1 bad line" in done.stderr
    assert "recorded export demo-1" in done.stderr and "recorded export demo-2" in done.stderr
    assert "refused as expected" in done.stdout and "ok: ledger" in done.stdout
    assert "quota-checkpoint" in done.stdout
