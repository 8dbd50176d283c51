"""Deliveries on real disks and through real failures: other file systems, racing publishers,
full disks, read-only outputs, and kill -9 between commit and publish."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CLOCK, SAMPLES, init_acme, quota

PAGES = SAMPLES / "v2_pages.jsonl"  # 118 unique Post IDs
PAGE_POSTS = 118


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    CLOCK.real()  # exports here also run as processes, on the real clock
    init_acme()
    return tmp_path


def mount_tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or 'not root'}); CI runs as root and can")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    yield from mount_tmpfs(tmp_path / "small", "size=3m")


@pytest.fixture
def readonly_disk(tmp_path: Path) -> Iterator[Path]:
    yield from mount_tmpfs(tmp_path / "ro", "ro,size=1m")


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def state_of(export_id: str) -> str:
    return json.loads(quota("ledger", "show", export_id, "--json").stdout)["state"]


def used() -> int:
    (row,) = json.loads(quota("usage", "acme", "--json").stdout)
    return int(row["used"])


# ------------------------------------------------------------------ other file systems


def test_an_export_to_another_file_system_than_tmpdir(acme: Path, small_disk: Path, monkeypatch) -> None:
    elsewhere = acme / "tmp"
    elsewhere.mkdir()
    monkeypatch.setenv("TMPDIR", str(elsewhere))  # the ledger's disk, not the output's
    assert os.stat(elsewhere).st_dev != os.stat(small_disk).st_dev
    r = quota("export", PAGES, "--to", "acme", "-o", small_disk / "out", "--export-id", "e1", "--json")
    assert r.exit_code == 0, r.stderr
    assert len((small_disk / "out" / "post_ids.txt").read_text().split()) == PAGE_POSTS
    assert hidden(small_disk) == [] and list(elsewhere.iterdir()) == []
    assert state_of("e1") == "committed" and quota("ledger", "recover", "--json").stdout.strip() == "[]"


def test_no_rename_crosses_a_device(acme: Path, monkeypatch) -> None:
    """Wherever the file systems are: every rename stays within one directory's device."""
    seen: list[tuple[str, str]] = []
    real_rename, real_replace = os.rename, os.replace

    def same_device(src: object, dst: object) -> None:
        a, b = Path(str(src)).parent, Path(str(dst)).parent
        assert os.stat(a).st_dev == os.stat(b).st_dev, (src, dst)
        seen.append((str(src), str(dst)))

    def rename(src, dst, *a, **k):  # type: ignore[no-untyped-def]
        same_device(src, dst)
        return real_rename(src, dst, *a, **k)

    def replace(src, dst, *a, **k):  # type: ignore[no-untyped-def]
        same_device(src, dst)
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", replace)
    r = quota("export", PAGES, "--to", "acme", "-o", "deliveries/out", "--ids", "post,user")
    assert r.exit_code == 0, r.stderr
    # The ID list hashed for the ledger becomes post_ids.txt by a rename inside the work directory.
    assert any(dst.endswith("post_ids.txt") for _, dst in seen)
    assert all(Path(src).parent.parent == acme / "deliveries" or Path(src).parent.parent.parent == acme / "deliveries"
               for src, _ in seen)  # fmt: skip


# ------------------------------------------------------------------ failures before publishing


def test_a_full_disk_releases_the_reservation(acme: Path, small_disk: Path, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    # 120,000 IDs of 19 digits: 2.4 MB as a list, which the 3 MB disk holds once but not twice.
    ids.write_text("".join(f"{1_800_000_000_000_000_000 + i * 7919}\n" for i in range(120_000)))
    r = quota("export", ids, "--to", "acme", "-o", small_disk / "out", "--export-id", "full", "--out-format", "csv")
    assert r.exit_code == 5, r.stderr
    assert "full was released" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert state_of("full") == "released" and used() == 0
    assert hidden(small_disk) == [] and not (small_disk / "out").exists()
    assert quota("ledger", "verify").exit_code == 0


def test_a_read_only_output_fails_before_anything_is_reserved(acme: Path, readonly_disk: Path) -> None:
    before = quota("ledger", "checkpoint").stdout.split()[2]
    r = quota("export", PAGES, "--to", "acme", "-o", readonly_disk / "out")
    assert r.exit_code == 2 and "read-only" in r.stderr and str(readonly_disk / "out") in r.stderr
    assert ".partial" not in r.stderr
    assert quota("ledger", "checkpoint").stdout.split()[2] == before
    r = quota("strip", PAGES, "-o", readonly_disk / "out")
    assert r.exit_code == 2 and "read-only" in r.stderr


def test_a_directory_that_appears_while_exporting_is_not_replaced(acme: Path, monkeypatch) -> None:
    from quota import output

    real = output.write_files

    def and_meanwhile(directory: Path, *a, **k):  # type: ignore[no-untyped-def]
        doc = real(directory, *a, **k)
        (acme / "out").mkdir()
        (acme / "out" / "theirs.txt").write_text("another run's delivery\n")
        return doc

    monkeypatch.setattr(output, "write_files", and_meanwhile)
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "late")
    assert r.exit_code == 2 and "out appeared while exporting" in r.stderr and "late was released" in r.stderr
    assert [p.name for p in (acme / "out").iterdir()] == ["theirs.txt"]
    assert state_of("late") == "released" and used() == 0
    assert hidden(acme) == []
    assert quota("ledger", "verify").exit_code == 0


def test_an_empty_directory_that_appears_is_not_replaced_either(acme: Path, monkeypatch) -> None:
    """Plain rename(2) replaces an empty directory; publishing must not."""
    from quota import output

    real = output.write_files

    def and_meanwhile(directory: Path, *a, **k):  # type: ignore[no-untyped-def]
        doc = real(directory, *a, **k)
        (acme / "out").mkdir()
        return doc

    monkeypatch.setattr(output, "write_files", and_meanwhile)
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "late")
    assert r.exit_code == 2 and "appeared while exporting" in r.stderr
    assert list((acme / "out").iterdir()) == []


def test_force_replaces_only_what_was_there_when_it_began(acme: Path, monkeypatch) -> None:
    from quota import output

    (acme / "out").mkdir()
    (acme / "out" / "old.txt").write_text("the previous delivery\n")
    real = output.write_files

    def and_meanwhile(directory: Path, *a, **k):  # type: ignore[no-untyped-def]
        doc = real(directory, *a, **k)
        os.rename(acme / "out", acme / "moved")
        (acme / "out").mkdir()
        (acme / "out" / "theirs.txt").write_text("another run's delivery\n")
        return doc

    monkeypatch.setattr(output, "write_files", and_meanwhile)
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--force", "--export-id", "f1")
    assert r.exit_code == 2 and "replaced while exporting" in r.stderr
    assert [p.name for p in (acme / "out").iterdir()] == ["theirs.txt"]
    monkeypatch.setattr(output, "write_files", real)
    # Without interference, --force replaces the directory it found.
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--force", "--export-id", "f2")
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in (acme / "out").iterdir()) == ["README.md", "manifest.json", "post_ids.txt"]
    assert hidden(acme) == []


def test_racing_exports_to_one_directory(acme: Path) -> None:
    """Several processes, one OUTDIR: exactly one output survives, it is the one committed and
    published, and every other run failed with exit 2 and released its reservation."""
    db = acme / "ledger.duckdb"
    runs = 6
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "quota",
                "export",
                str(PAGES),
                "--to",
                "acme",
                "-o",
                str(acme / "same"),
                "--export-id",
                f"r{i}",
                "--db",
                str(db),
                "--wait",
                "120",
                "-q",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(runs)
    ]
    outcomes = [(p.wait(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = [c for c, _ in outcomes]
    assert codes.count(0) == 1, outcomes
    others = [
        (c, e) for c, e in outcomes if c and not (c == 2 and ("appeared while exporting" in e or "not empty" in e))
    ]
    assert others == [], others  # only the unexpected outcomes, whole
    winner = f"r{codes.index(0)}"
    assert json.loads((acme / "same" / "manifest.json").read_text())["export"]["export_id"] == winner
    states = {f"r{i}": state_of(f"r{i}") for i in range(runs) if "not empty" not in outcomes[i][1]}
    assert states.pop(winner) == "committed" and set(states.values()) <= {"released"}
    assert used() == PAGE_POSTS
    assert quota("ledger", "recover", "--json").stdout.strip() == "[]"
    assert hidden(acme) == []
    assert quota("ledger", "verify").exit_code == 0


# ------------------------------------------------------------------ kill -9 between commit and publish

KILL_AT_PUBLISH = """
import os, signal, sys
from quota import output
def publish(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
output.publish = publish
from quota.cli import main
sys.argv = ["quota", *sys.argv[1:]]
raise SystemExit(main(sys.argv[1:]))
"""


def killed_at_publish(acme: Path, *args: str) -> None:
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILL_AT_PUBLISH), *args], capture_output=True, text=True, cwd=acme
    )
    assert r.returncode == -signal.SIGKILL, r.stderr


def test_killed_between_commit_and_publish_then_recover_publishes(acme: Path) -> None:
    killed_at_publish(acme, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "k1")
    assert not (acme / "out").exists()
    (pending,) = json.loads(quota("ledger", "recover", "--json").stdout)
    assert pending["export_id"] == "k1" and pending["state"] == "unpublished"
    assert pending["outdir"] == str(acme / "out")
    assert state_of("k1") == "committed" and used() == PAGE_POSTS
    # Another run writing beside it does not sweep the committed files away.
    assert quota("strip", PAGES, "-o", "other").exit_code == 0
    assert len([h for h in hidden(acme) if h.startswith(".out.partial-")]) == 1
    r = quota("ledger", "recover", "--publish", "k1")
    assert r.exit_code == 0, r.stderr
    shown = json.loads(quota("ledger", "show", "k1", "--json").stdout)
    for f in shown["files"]:
        import hashlib

        assert hashlib.sha256((acme / "out" / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert quota("ledger", "recover", "--json").stdout.strip() == "[]"
    assert hidden(acme) == []
    assert quota("ledger", "verify").exit_code == 0
    again = quota("ledger", "recover", "--publish", "k1")
    assert again.exit_code == 2 and "not a committed export waiting" in again.stderr


def test_a_readme_changed_while_unpublished_is_not_published(acme: Path) -> None:
    """The recipient's README.md is committed with its sha256 like the ID files."""
    killed_at_publish(acme, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "k3")
    (partial,) = [acme / h for h in hidden(acme) if h.startswith(".out.partial-")]
    readme = partial / "out" / "README.md"
    readme.write_text(readme.read_text().replace("within 24 hours", "whenever convenient"))
    r = quota("ledger", "recover", "--publish", "k3")
    assert r.exit_code == 5 and "README.md differs from the sha256 the ledger recorded" in r.stderr
    assert not (acme / "out").exists()


def test_killed_between_commit_and_publish_then_the_retry_publishes(acme: Path) -> None:
    killed_at_publish(acme, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "k2")
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "k2", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["post_ids"] == PAGE_POSTS
    assert len((acme / "out" / "post_ids.txt").read_text().split()) == PAGE_POSTS
    assert quota("ledger", "recover", "--json").stdout.strip() == "[]"
    assert used() == PAGE_POSTS  # published once, counted once
    wrong = quota("export", PAGES, "--to", "acme", "-o", "elsewhere", "--export-id", "k2")
    assert (
        wrong.exit_code == 2
        and f"export id k2 was delivered to {acme / 'out'}, not {acme / 'elsewhere'}" in wrong.stderr
    )
    assert not (acme / "elsewhere").exists()


def test_a_retry_of_a_recorded_export_is_compared_with_what_was_recorded(acme: Path) -> None:
    """The README's retry: the same key, inputs and directory is done already (exit 0, nothing
    recorded); the same key with other inputs (by sha256) or elsewhere is refused, naming it."""
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "r1").exit_code == 0
    events = quota("ledger", "list", "--json").stdout
    files = {p.name: p.read_bytes() for p in (acme / "out").iterdir()}
    copy = acme / "renamed.jsonl"
    copy.write_bytes(PAGES.read_bytes())
    for given in (PAGES, copy):  # the same content under another name is the same input
        r = quota("export", given, "--to", "acme", "-o", "out", "--export-id", "r1")
        assert r.exit_code == 0 and f"already delivered to {acme / 'out'}: export r1: 118 Post IDs" in r.stderr, (
            r.stderr
        )
    assert quota("ledger", "list", "--json").stdout == events and used() == PAGE_POSTS
    assert {p.name: p.read_bytes() for p in (acme / "out").iterdir()} == files
    flat = SAMPLES / "v2_flat.jsonl"
    r = quota("export", flat, "--to", "acme", "-o", "out", "--export-id", "r1")
    assert r.exit_code == 2 and "export id r1 was recorded with other inputs: v2_flat.jsonl (sha256 " in r.stderr
    assert "is not among its inputs (v2_pages.jsonl (sha256 " in r.stderr
    r = quota("export", PAGES, copy, "--to", "acme", "-o", "out", "--export-id", "r1")
    assert r.exit_code == 2 and "it was made from 1 input, not 2" in r.stderr
    r = quota("export", PAGES, "--to", "acme", "--person", "nobody", "-o", "out", "--export-id", "r1")
    assert r.exit_code == 2 and "export id r1 was already used without a person, not for person nobody" in r.stderr
    assert quota("ledger", "list", "--json").stdout == events and quota("ledger", "verify").exit_code == 0


def test_pending_files_that_changed_are_not_published(acme: Path) -> None:
    killed_at_publish(acme, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "k3")
    (work,) = [acme / h for h in hidden(acme) if h.startswith(".out.partial-")]
    with open(work / "out" / "post_ids.txt", "a") as f:
        f.write("1\n")
    r = quota("ledger", "recover", "--publish", "k3")
    assert r.exit_code == 5 and "post_ids.txt differs" in r.stderr
    assert not (acme / "out").exists()
    (work / "out" / "extra.txt").write_text("not an ID file\n")
    assert quota("ledger", "recover", "--publish", "k3").exit_code == 5
    # Releasing it says it was never delivered and removes the files.
    assert quota("ledger", "recover", "--release", "k3").exit_code == 0
    assert hidden(acme) == [] and state_of("k3") == "released" and used() == 0
    assert quota("ledger", "verify").exit_code == 0


KILL_AFTER_WRITING = """
import os, signal, sys
from quota import output
real = output.write_files
def write_files(*a, **k):
    real(*a, **k)
    os.kill(os.getpid(), signal.SIGKILL)
output.write_files = write_files
from quota.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_scratch_a_kill_leaves_is_swept_by_the_next_run_and_none_is_in_tmpdir(tmp_path: Path) -> None:
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    r = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_WRITING, "strip", "-", "-o", "out", "--ids", "post,user"],
        input=PAGES.read_bytes(), capture_output=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert r.returncode == -signal.SIGKILL
    (left,) = [p for p in tmp_path.iterdir() if p.name.startswith(".out.partial-")]
    assert (left / "out" / "post_ids.txt").exists()  # full ID lists: they must not stay
    assert list(tmp.iterdir()) == []  # the copy of stdin was beside the output too
    r = subprocess.run(
        [sys.executable, "-m", "quota", "strip", str(PAGES), "-o", "out"], capture_output=True, cwd=tmp_path, env=env
    )
    assert r.returncode == 0, r.stderr
    assert not left.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_running_exports_scratch_is_never_swept(tmp_path: Path) -> None:
    from quota.scratch import WorkDir, sweep

    with WorkDir(tmp_path / "out") as work:
        (work.path / "ids.txt").write_text("1\n")
        assert sweep(tmp_path / "out") == [] and work.path.exists()
    assert not work.path.exists()


def test_output_directories_honour_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert quota("strip", PAGES, "-o", "out").exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "out" / "manifest.json").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "out" / "post_ids.txt").stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------ recover: only what provably stopped

PAUSE_AFTER_RESERVE = """
import os, sys, time
from pathlib import Path
from quota import output
real = output.write_files
def write_files(*a, **k):
    Path("reserved").write_text("")
    while not Path("go").exists():
        time.sleep(0.02)
    return real(*a, **k)
output.write_files = write_files
from quota.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def paused_export(acme: Path, export_id: str) -> subprocess.Popen[str]:
    run = subprocess.Popen(
        [sys.executable, "-c", PAUSE_AFTER_RESERVE, "export", str(PAGES), "--to", "acme", "-o", "out",
         "--export-id", export_id],
        cwd=acme, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while not (acme / "reserved").exists():
        assert run.poll() is None, run.communicate()
        import time

        time.sleep(0.02)
    return run


def test_a_running_export_is_never_released_and_publishes_counted(acme: Path) -> None:
    run = paused_export(acme, "live")
    r = quota("ledger", "recover", "--release", "live")
    assert r.exit_code == 3 and "export live is still running (its work directory " in r.stderr, r.stderr
    assert state_of("live") == "open"
    (acme / "go").write_text("")
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert (acme / "out" / "post_ids.txt").exists() and used() == PAGE_POSTS
    assert quota("ledger", "verify").exit_code == 0


def test_an_export_released_while_it_wrote_is_never_published(acme: Path) -> None:
    """A release that came from elsewhere (an older quota, a hand) while the export ran: the
    commit sees it under the lock, and nothing goes out."""
    from quota.store.session import Session

    run = paused_export(acme, "gone")
    with Session.open(None, write=True) as ledger:
        ledger.append("release", {"export_id": "gone", "reason": "judged dead"})
    (acme / "go").write_text("")
    _, err = run.communicate(timeout=120)
    assert run.returncode == 5 and "export gone was released (quota ledger recover) while its files were written" in err
    assert not (acme / "out").exists() and hidden(acme) == [] and used() == 0
    assert quota("ledger", "verify").exit_code == 0


KILL_AT_RECORD = """
import os, signal, sys
from quota import recovery
def record_publication(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
recovery.record_publication = record_publication
from quota.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_killed_after_publishing_is_recorded_as_delivered_never_released(acme: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", KILL_AT_RECORD, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "p1"],
        capture_output=True, text=True, cwd=acme,
    )  # fmt: skip
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert (acme / "out" / "post_ids.txt").exists() and state_of("p1") == "committed"
    r = quota("ledger", "recover", "--release", "p1")
    assert r.exit_code == 3 and f"export p1 was delivered: its committed files are in {acme / 'out'}" in r.stderr
    assert state_of("p1") == "committed" and used() == PAGE_POSTS
    assert quota("ledger", "recover", "--json").stdout.strip() == "[]"
    assert quota("ledger", "verify").exit_code == 0


def test_recover_settles_a_publication_a_crash_left_unrecorded(acme: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", KILL_AT_RECORD, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "p2"],
        capture_output=True, text=True, cwd=acme,
    )  # fmt: skip
    r = quota("ledger", "recover")
    assert r.exit_code == 0 and f"recorded p2 as published: its files are in {acme / 'out'}" in r.stderr
    assert quota("ledger", "recover", "--json").stdout.strip() == "[]" and state_of("p2") == "committed"


KILL_AFTER_STRIP = """
import os, signal, sys
from quota import exports
real = exports._digests_and_counts
def counted(*a, **k):
    real(*a, **k)  # the sorted ID lists are in the work directory now
    os.kill(os.getpid(), signal.SIGKILL)
exports._digests_and_counts = counted
from quota.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_recover_lists_and_cleans_what_a_killed_strip_left(acme: Path) -> None:
    (acme / "deliveries").mkdir()
    for where in (acme / "out", acme / "deliveries" / "far"):
        r = subprocess.run(
            [sys.executable, "-c", KILL_AFTER_STRIP, "export", str(PAGES), "--to", "acme", "-o", str(where)],
            capture_output=True, text=True, cwd=acme,
        )  # fmt: skip
        assert r.returncode == -signal.SIGKILL, r.stderr
    (here,) = [acme / h for h in hidden(acme) if h.startswith(".out.partial-")]
    (far,) = [acme / "deliveries" / h for h in hidden(acme / "deliveries")]
    assert quota("ledger", "recover", "--json").stdout.strip() == "[]"  # no export was recorded
    listed = quota("ledger", "recover", "--in", acme / "deliveries")
    assert "2 work directories left by killed runs (" in listed.stderr and str(here) in listed.stderr
    assert str(far) in listed.stderr and "quota ledger recover --clean removes them" in listed.stderr
    r = quota("ledger", "recover", "--clean", "--json")
    assert r.exit_code == 0 and [d["path"] for d in json.loads(r.stdout)] == [str(here)]
    assert json.loads(r.stdout)[0]["bytes"] > 0 and not here.exists() and far.exists()
    assert quota("ledger", "recover", "--clean", "--in", acme / "deliveries").exit_code == 0
    assert not far.exists() and hidden(acme) == []
    # A committed export's files wait for --publish: --clean leaves them.
    killed_at_publish(acme, "export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "k9")
    assert quota("ledger", "recover", "--clean").exit_code == 0
    assert len([h for h in hidden(acme) if h.startswith(".out.partial-")]) == 1
    assert quota("ledger", "recover", "--publish", "k9").exit_code == 0
