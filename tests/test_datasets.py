"""`quota dataset add/list/show`: collections registered by path, with their counts and hashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import SAMPLES, Backend, quota

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"
FLAT = SAMPLES / "v2_flat.jsonl"


@pytest.fixture
def ledger(tmp_path: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert quota("init").exit_code == 0
    return tmp_path


def unique_ids(kind: str, *inputs: Path) -> int:
    found: set[str] = set()
    for path in inputs:
        r = quota("strip", path, "--ids", kind, "-o", f"count-{kind}-{path.stem}")
        assert r.exit_code == 0, r.stderr
        found |= set((Path(f"count-{kind}-{path.stem}") / f"{kind}_ids.txt").read_text().split())
    return len(found)


def test_a_dataset_is_counted_hashed_and_shown_as_registered(ledger: Path) -> None:
    r = quota(
        "dataset", "add", "demo", PAGES, FLAT, "--title", "Demo posts", "--description", "Two sample files",
        "--collected-with", "twarc2 search", "--from", "2026-01-01", "--until", "2026-02-01T00:00:00Z",
        "--citation", "Data Team (2026). Demo posts.",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    shown = json.loads(quota("dataset", "show", "demo", "--json").stdout)
    assert shown["post_ids"] == unique_ids("post", PAGES, FLAT)
    assert shown["user_ids"] == unique_ids("user", PAGES, FLAT)
    assert [(i["file"], i["sha256"], i["bytes"]) for i in shown["inputs"]] == [
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size) for p in (PAGES, FLAT)
    ]
    assert [i["path"] for i in shown["inputs"]] == [str(PAGES.absolute()), str(FLAT.absolute())]
    assert (shown["title"], shown["collected_with"], shown["citation"]) == (
        "Demo posts", "twarc2 search", "Data Team (2026). Demo posts.",
    )  # fmt: skip
    assert (shown["period_from"], shown["period_until"]) == (
        "2026-01-01T00:00:00.000000Z",
        "2026-02-01T00:00:00.000000Z",
    )
    listed = json.loads(quota("dataset", "list", "--json").stdout)
    assert [(d["name"], d["post_ids"], d["inputs"]) for d in listed] == [("demo", shown["post_ids"], 2)]
    assert "demo" in quota("dataset", "list", "--csv").stdout
    assert quota("ledger", "verify").exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("demo", PAGES, "--title", "T", "--description", "D"), 2, "dataset 'demo' is already registered"),
        (("other", "-", "--title", "T", "--description", "D"), 2, "standard input (-) cannot be one"),
        (("other", "missing.jsonl", "--title", "T", "--description", "D"), 4, "missing.jsonl"),
        (("other", PAGES, PAGES, "--title", "T", "--description", "D"), 2, "an input is named twice"),
        (("other", PAGES, "--title", " ", "--description", "D"), 2, "needs a title and a description"),
        (("other", PAGES, "--title", "T", "--description", "D", "--from", "2026-02-01", "--until", "2026-01-01"), 2,
         "must end (until) after it starts"),
        (("no/slash", PAGES, "--title", "T", "--description", "D"), 2, "must be letters, digits"),
        (("other", PAGES, "--title", "T", "--description", "D", "--from", "soon"), 2, "--from"),
    ],
)  # fmt: skip
def test_what_cannot_be_a_dataset_is_refused_and_nothing_is_recorded(
    ledger: Path, args: tuple[object, ...], code: int, says: str
) -> None:
    assert quota("dataset", "add", "demo", PAGES, "--title", "T", "--description", "D").exit_code == 0
    before = json.loads(quota("ledger", "verify", "--json").stdout)["events"]
    r = quota("dataset", "add", *args)
    assert r.exit_code == code, r.stderr
    assert says in r.stderr and "Traceback" not in r.stderr
    assert json.loads(quota("ledger", "verify", "--json").stdout)["events"] == before


def test_an_input_with_a_bad_line_is_named_and_nothing_is_recorded(ledger: Path) -> None:
    bad = ledger / "bad.jsonl"
    bad.write_text(PAGES.read_text().splitlines()[0] + "\n{not json\n")
    r = quota("dataset", "add", "demo", bad, "--title", "T", "--description", "D")
    assert r.exit_code == 4 and "bad.jsonl" in r.stderr and "line 2" in r.stderr
    assert json.loads(quota("dataset", "list", "--json").stdout) == []


def test_an_unknown_dataset_is_one_sentence(ledger: Path) -> None:
    r = quota("dataset", "show", "nope")
    assert r.exit_code == 2 and "no dataset 'nope'" in r.stderr
