"""Manual object exports: spreadsheets with IDs as text, the per-person 24-hour limit, --fit,
and their independence from the 30-day Post ID cap."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from conftest import CLOCK, EARLY, SAMPLES, START, TERMS, Backend, Templates, commands, quota
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quota.store.session import Session

pytestmark = pytest.mark.backends

T0 = datetime(2026, 11, 1, tzinfo=UTC)
BIG = 2**53 + 1  # the first integer a float64 cannot hold


def z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Files of posts whose author objects only say that the authors are public: their spreadsheets
# leave the users out, so that each post is one object.
POSTS_ONLY: set[Path] = set()


def posts_file(path: Path, ids: list[int], authors: bool = False, text: str = "post {i}") -> Path:
    """v2 flat posts, each with its own public author (one user per post): handed over as
    objects with `authors`, else as posts only."""
    with open(path, "w") as f:
        for i, pid in enumerate(ids):
            post = {"id": str(pid), "text": text.format(i=i), "author_id": str(BIG + i), "lang": "en"}
            post["author"] = {
                "id": str(BIG + i),
                "username": f"synth_{i}",
                "name": f"Synthetic {i}",
                "protected": False,
            }
            f.write(json.dumps(post) + "\n")
    (POSTS_ONLY.discard if authors else POSTS_ONLY.add)(path)
    return path


SETUP = commands(
    ("init",),
    ("entity", "add", "acme", "--name", "Acme"),
    ("entity", "accept-terms", *TERMS, "acme", "--by", "Jo", "--at", "2026-01-01T00:00:00Z"),
    ("person", "add", "ana", "--entity", "acme"),
    ("person", "add", "ben", "--entity", "acme"),
    ("entity", "add", "noterms", "--name", "No Terms Yet"),
    ("person", "add", "cy", "--entity", "noterms"),
    start=EARLY,
)


@pytest.fixture
def ledger(tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch) -> Path:
    templates.clone("manual.ledger", SETUP, backend, monkeypatch)
    return tmp_path


def manual(src: Path, out: str, at: datetime, *args: str, person: str = "ana"):  # type: ignore[no-untyped-def]
    """A manual export at `at`: the ledger's clock then, or, for a dry run, a what-if at `at`."""
    more = ["--no-users"] if src in POSTS_ONLY else []
    if "--dry-run" in args:
        more += ["--at", z(at)]
    else:
        CLOCK.set(at)
    return quota("manual", src, "--person", person, "-o", out, "--json", *args, *more)


def person_usage(at: datetime, person: str = "ana") -> dict:
    r = quota("usage", "--person", person, "--at", z(at), "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_xlsx_ids_are_text_cells_and_text_is_never_a_formula(ledger: Path) -> None:
    ids = [BIG, 2**63 + 7, 2**64 - 1, 1895625031960240129]
    src = posts_file(ledger / "p.jsonl", ids, authors=True, text='=HYPERLINK("x") {i}')
    r = manual(src, "ana.xlsx", T0)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["posts"], doc["users"], doc["requested"], doc["left_out"]) == (4, 4, 8, 0)
    wb = openpyxl.load_workbook(ledger / "ana.xlsx")
    assert wb.sheetnames == ["posts", "users"]
    posts = list(wb["posts"].iter_rows())
    header = [c.value for c in posts[0]]
    assert header[:5] == ["id", "created_at", "author_id", "author_username", "text"]
    for row, pid in zip(posts[1:], ids, strict=True):
        cells = dict(zip(header, row, strict=True))
        for col in ("id", "author_id"):
            assert cells[col].data_type == "s", (col, cells[col].value)
        assert cells["id"].value == str(pid)
        assert cells["text"].data_type == "s" and cells["text"].value.startswith("=HYPERLINK")
    users = list(wb["users"].iter_rows(values_only=True))
    assert [u[0] for u in users[1:]] == [str(BIG + i) for i in range(4)]
    # The recorded sha256 is the file's, and the lineage holds every object ID.
    recorded = doc["files"][0]
    assert recorded["sha256"] == hashlib.sha256((ledger / "ana.xlsx").read_bytes()).hexdigest()
    with Session.open(None) as led:
        stored = led.query("SELECT kind, id::VARCHAR AS id FROM lineage WHERE export_id = ?", [doc["export_id"]])
    assert sorted((r["kind"], r["id"]) for r in stored) == sorted(
        [(1, str(i)) for i in ids] + [(2, str(BIG + i)) for i in range(4)]
    )


def test_csv_gives_a_posts_file_and_a_users_file(ledger: Path) -> None:
    r = manual(SAMPLES / "v2_pages.jsonl", "ana.csv", T0)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [f["path"] for f in doc["files"]] == ["ana.csv", "ana-users.csv"]
    with open(ledger / "ana.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == doc["posts"] == 118
    assert all(row["id"].isdigit() and row["text"] for row in rows)
    assert all(row["author_username"].startswith("synth_") for row in rows)
    with open(ledger / "ana-users.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == doc["users"]
    for rec in doc["files"]:
        assert rec["sha256"] == hashlib.sha256((ledger / rec["path"]).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "sample", ["v2_pages.jsonl", "v2_flat.jsonl", "v1_lines.jsonl", "v1_array.json", "twarc.csv", "posts.parquet",
               "v2_users.jsonl", "v2_pages.jsonl.gz"],
)  # fmt: skip
def test_every_object_format_gives_readable_rows(ledger: Path, sample: str) -> None:
    r = manual(SAMPLES / sample, "out.xlsx", T0, "--fit")
    assert r.exit_code == 0, r.stderr
    wb = openpyxl.load_workbook(ledger / "out.xlsx")
    sheet = wb.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) > 1
    header = rows[0]
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        assert isinstance(cells["id"], str) and cells["id"].isdigit()
        assert cells["text" if sheet.title == "posts" else "username"]


@pytest.mark.parametrize(
    ("sample", "problem"),
    [("post_ids.txt", "a list of IDs, not full objects"), ("dm_events.jsonl", "not public Post or User objects")],
)
def test_inputs_without_objects_are_refused(ledger: Path, sample: str, problem: str) -> None:
    r = manual(SAMPLES / sample, "out.xlsx", T0)
    assert r.exit_code == 4 and problem in r.stderr
    assert not (ledger / "out.xlsx").exists()


def test_a_bad_line_writes_and_records_nothing(ledger: Path) -> None:
    src = posts_file(ledger / "p.jsonl", [1, 2, 3])
    with open(src, "a") as f:
        f.write('{"id": 1.5e18, "text": "float"}\n')
    r = manual(src, "out.xlsx", T0)
    assert r.exit_code == 4
    assert "p.jsonl, line 4" in r.stderr and "floating-point" in r.stderr and "Traceback" not in r.stderr
    assert list(ledger.glob("*out.xlsx*")) == []
    assert person_usage(T0)["used"] == 0


def test_over_the_limit_is_refused_with_numbers(ledger: Path) -> None:
    assert manual(posts_file(ledger / "a.jsonl", list(range(1, 301))), "a.xlsx", T0).exit_code == 0
    src = posts_file(ledger / "b.jsonl", list(range(1001, 1251)))
    r = manual(src, "b.xlsx", T0 + timedelta(hours=3))
    assert r.exit_code == 3
    assert "used 300, limit 500, requested 250, over by 50" in r.stderr
    assert f"they fit from {z(T0 + timedelta(days=1))}" in r.stderr
    assert not (ledger / "b.xlsx").exists()
    assert person_usage(T0 + timedelta(hours=3))["used"] == 300
    # ben is another person: his own 500.
    assert manual(src, "b.xlsx", T0 + timedelta(hours=3), person="ben").exit_code == 0
    # More than the limit never fits at all.
    r = manual(posts_file(ledger / "c.jsonl", list(range(5000, 5501))), "c.xlsx", T0 + timedelta(days=9))
    assert r.exit_code == 3 and "no more than 500 ever fit" in r.stderr


def test_fit_writes_the_first_objects_in_input_order(ledger: Path) -> None:
    assert manual(posts_file(ledger / "a.jsonl", list(range(1, 451))), "a.xlsx", T0).exit_code == 0
    ids = [9000 + (i * 7919) % 100 for i in range(100)]  # not sorted: input order must be kept
    src = posts_file(ledger / "b.jsonl", ids, authors=True)
    r = manual(src, "b.xlsx", T0 + timedelta(hours=1), "--fit")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    # 50 fit: post, author, post, author, ... -> 25 posts and their 25 authors.
    assert (doc["posts"], doc["users"], doc["requested"], doc["left_out"], doc["used_after"]) == (25, 25, 200, 150, 500)
    assert "150 left out" in r.stderr
    rows = list(openpyxl.load_workbook(ledger / "b.xlsx")["posts"].iter_rows(values_only=True))[1:]
    assert [row[0] for row in rows] == [str(i) for i in ids[:25]]
    # Nothing fits at all: refused even with --fit.
    r = manual(src, "c.xlsx", T0 + timedelta(hours=2), "--fit")
    assert r.exit_code == 3 and "used 500, limit 500" in r.stderr


def test_the_24_hour_boundary(ledger: Path) -> None:
    assert manual(posts_file(ledger / "a.jsonl", list(range(1, 501))), "a.xlsx", T0).exit_code == 0
    one = posts_file(ledger / "one.jsonl", [777])
    # (t - 24 h, t]: at exactly T0 + 24 h the entry at T0 has left the window ...
    assert person_usage(T0 + timedelta(days=1))["used"] == 0
    assert person_usage(T0 + timedelta(days=1) - timedelta(microseconds=1))["used"] == 500
    # ... one microsecond earlier it has not.
    r = manual(one, "b.xlsx", T0 + timedelta(days=1) - timedelta(microseconds=1))
    assert r.exit_code == 3
    r = manual(one, "b.xlsx", T0 + timedelta(days=1))
    assert r.exit_code == 0, r.stderr
    # What if 1 object had gone just before T0? It would make 501 in the window ending at T0.
    r = manual(one, "c.xlsx", T0 - timedelta(hours=1), "--dry-run")
    assert r.exit_code == 3 and f"to {z(T0)}" in r.stderr
    # A real hand-over happens now: at the clock, never at a time an option states.
    r = quota("manual", one, "--person", "ana", "-o", "d.xlsx", "--at", z(T0 - timedelta(hours=1)))
    assert r.exit_code == 2 and "a delivery happens now" in r.stderr


def test_utc_day_profile_counts_calendar_days(ledger: Path) -> None:
    assert quota("policy", "use", "x-developer-policy-utc-day", "--reason", "test", "--by", "C Officer").exit_code == 0
    late = datetime(2026, 11, 1, 23, 59, tzinfo=UTC)
    assert manual(posts_file(ledger / "a.jsonl", list(range(1, 501))), "a.xlsx", late).exit_code == 0
    u = person_usage(late)
    assert (u["used"], u["remaining"], u["next_free_at"]) == (500, 0, "2026-11-02T00:00:00.000000Z")
    one = posts_file(ledger / "one.jsonl", [777])
    assert manual(one, "b.xlsx", datetime(2026, 11, 1, 0, 1, tzinfo=UTC), "--dry-run").exit_code == 3  # same day
    r = manual(one, "b.xlsx", datetime(2026, 11, 2, tzinfo=UTC))  # a rolling window would refuse this
    assert r.exit_code == 0, r.stderr
    assert quota("ledger", "verify").exit_code == 0
    # Back to rolling windows: the two entries stay valid (they were judged by calendar days),
    # and the next object that day is refused because the rolling window now holds 501.
    assert quota("policy", "use", "x-developer-policy", "--reason", "test", "--by", "C Officer").exit_code == 0
    r = quota("ledger", "verify")
    assert r.exit_code == 0, r.stderr
    r = manual(posts_file(ledger / "two.jsonl", [778]), "c.xlsx", datetime(2026, 11, 2, 0, 30, tzinfo=UTC))
    assert r.exit_code == 3 and "would make 502" in r.stderr


def test_an_older_texts_profile_never_judges_a_hand_over_made_now(ledger: Path) -> None:
    """The older "restricted use cases" page (50,000 objects a day) was in force until the
    Policy's text replaced it: no profile switch brings it back for a delivery made now."""
    r = quota("policy", "use", "x-restricted-use-cases", "--reason", "counsel's reading", "--by", "C Officer")
    assert r.exit_code == 3 and "reads a text of X's in force 2017-06-18 to 2023-05-01" in r.stderr, r.stderr
    # A ledger where an older quota switched to it: a hand-over now is still judged by the text in force.
    CLOCK.set(T0)
    with Session.open(None, write=True) as led:
        led.append("policy", {"profile": "x-restricted-use-cases", "version": "2023-legacy", "reason": "old",
                              "by": "C Officer"})  # fmt: skip
    r = manual(posts_file(ledger / "a.jsonl", list(range(1, 601))), "a.xlsx", T0)
    assert r.exit_code == 3 and "limit 500" in r.stderr, r.stderr
    assert manual(posts_file(ledger / "b.jsonl", list(range(1, 401))), "b.xlsx", T0).exit_code == 0
    assert person_usage(T0)["limit"] == 500
    r = quota("ledger", "verify")
    assert r.exit_code == 0, r.stderr


def test_manual_and_id_exports_are_counted_apart(ledger: Path) -> None:
    assert manual(SAMPLES / "v2_pages.jsonl", "a.xlsx", T0).exit_code == 0
    usage = json.loads(quota("usage", "acme", "--json").stdout)[0]
    assert usage["used"] == 0  # objects are not Post IDs for the 30-day cap
    r = quota(
        "export", SAMPLES / "v2_pages.jsonl", "--to", "acme", "--person", "ana", "-o", "ids", "--ids", "post,user"
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(quota("usage", "acme", "--json").stdout)[0]["used"] == 118
    assert person_usage(T0)["used"] == 118 + 105  # the ID export added nothing


def test_recipients_need_terms_and_a_known_person(ledger: Path) -> None:
    src = posts_file(ledger / "a.jsonl", [1])
    r = manual(src, "a.xlsx", T0, person="cy")
    assert r.exit_code == 3 and "no recorded acceptance" in r.stderr
    r = manual(src, "a.xlsx", T0, person="nobody")
    assert r.exit_code == 2 and "no person 'nobody'" in r.stderr
    assert quota("manual", src, "--person", "ana", "-o", "a.txt").exit_code == 2
    assert not list(ledger.glob("*a.xlsx*"))


def test_usage_person_keys_and_export_id_retry(ledger: Path) -> None:
    src = posts_file(ledger / "a.jsonl", list(range(1, 101)))
    r = manual(src, "a.xlsx", T0, "--export-id", "ana-1")
    assert r.exit_code == 0
    again = manual(src, "a.xlsx", T0, "--export-id", "ana-1")
    assert again.exit_code == 0 and "already recorded" in again.stderr
    u = person_usage(T0 + timedelta(hours=2))
    assert list(u) == ["person", "entity", "at", "used", "limit", "remaining", "next_free_at"]
    assert (u["person"], u["entity"], u["used"], u["limit"], u["remaining"]) == ("ana", "acme", 100, 500, 400)
    assert u["next_free_at"] == z(T0 + timedelta(days=1))
    dry = manual(src, "b.xlsx", T0 + timedelta(hours=1), "--dry-run")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert not (ledger / "b.xlsx").exists() and person_usage(T0 + timedelta(hours=2))["used"] == 100
    # A void marks the hand-over: the spreadsheet was written, so its objects keep counting.
    assert quota("ledger", "void", "ana-1", "--reason", "wrong person", "--by", "C Officer").exit_code == 0
    assert person_usage(T0 + timedelta(hours=2))["used"] == 100
    assert quota("ledger", "verify").exit_code == 0


def test_verify_recomputes_every_persons_windows(ledger: Path) -> None:
    src = posts_file(ledger / "a.jsonl", list(range(1, 301)))
    assert manual(src, "a.xlsx", T0).exit_code == 0
    body = {
        "export_id": "sneaked", "entity": "acme", "person": "ana", "at": z(T0 + timedelta(hours=5)),
        "posts": 201, "users": 0, "files": [], "profile": "x-developer-policy", "version": "2026-01",
        "ids_sha256": {},
    }  # fmt: skip
    CLOCK.set(T0 + timedelta(hours=5))
    with Session.open(None, write=True) as led:
        led.append("manual", body)  # bypasses the check, as an edited ledger would
    r = quota("ledger", "verify")
    assert r.exit_code == 5
    assert "ana received 501 manual objects in the window to 2026-11-01T05:00:00" in r.stderr


def test_verify_refuses_an_entry_naming_a_profile_not_in_force(ledger: Path) -> None:
    body = {
        "export_id": "lenient", "entity": "acme", "person": "ana", "at": z(T0), "posts": 900, "users": 0,
        "files": [], "profile": "x-restricted-use-cases", "version": "2023-legacy", "ids_sha256": {},
    }  # fmt: skip
    CLOCK.set(T0)
    with Session.open(None, write=True) as led:
        led.append("manual", body)  # a forged entry choosing the lenient profile for itself
    r = quota("ledger", "verify")
    assert r.exit_code == 5
    assert "names the profile x-restricted-use-cases, but x-developer-policy was in force" in r.stderr


MINUTE = timedelta(minutes=1)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    calls=st.lists(
        st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 400), st.booleans(), st.sampled_from(["ana", "ben"])),
        min_size=1,
        max_size=8,
    )
)
def test_no_window_ever_exceeds_the_limit(tmp_path_factory: pytest.TempPathFactory, calls: list) -> None:
    """Random manual calls at random times (earlier ones as what-ifs): every answer matches a
    brute-force oracle over every minute, and no person's 24 hours ever hold more than 500 objects."""
    import os

    work = tmp_path_factory.mktemp("h")
    os.environ["QUOTA_DB"] = str(work / "ledger.duckdb")
    os.chdir(work)
    CLOCK.set(START)  # each example is a ledger of its own, from the start
    SETUP()
    recorded: dict[str, list[tuple[datetime, int]]] = {"ana": [], "ben": []}

    def used(person: str, t: datetime) -> int:
        return sum(n for a, n in recorded[person] if t - timedelta(days=1) < a <= t)

    def room(person: str, a: datetime) -> int:
        # every window containing `a` ends in [a, a + 24 h); all times are whole minutes
        return min(500 - used(person, a + k * MINUTE) for k in range(24 * 60))

    next_id = 1
    last: datetime | None = None
    for i, (minute, n, fit, person) in enumerate(calls):
        at = T0 + minute * MINUTE
        src = posts_file(work / f"in{i}.jsonl", list(range(next_id, next_id + n)))
        next_id += n
        free = room(person, at)
        # A time before the last hand-over can only be asked about (a dry run records nothing).
        what_if = last is not None and at < last
        r = manual(src, f"out{i}.csv", at, *(["--fit"] if fit else []), *(["--dry-run"] if what_if else []),
                   person=person)  # fmt: skip
        if n <= free:
            assert r.exit_code == 0, r.stderr
            got = n
        elif fit and free > 0:
            assert r.exit_code == 0, r.stderr
            assert json.loads(r.stdout)["left_out"] == n - free
            got = free
        else:
            assert r.exit_code == 3, r.stderr
            continue
        if not what_if:
            recorded[person].append((at, got))
            last = at
    for person, entries in recorded.items():
        for a, _ in entries:
            assert used(person, a) <= 500
        for a, _ in entries:
            assert person_usage(a, person)["used"] == used(person, a)
    assert quota("ledger", "verify").exit_code == 0


def test_the_read_back_check_catches_a_number_cell(tmp_path: Path) -> None:
    import xlsxwriter

    from quota.errors import QuotaError
    from quota.sheets import check_xlsx, write_xlsx

    rows = [{"id": str(2**63 + 1), "username": "synth"}]
    table = [("users", ["id", "username"], rows)]
    write_xlsx(tmp_path / "good.xlsx", table, T0)
    check_xlsx(tmp_path / "good.xlsx", table)  # the writer's own file reads back
    book = xlsxwriter.Workbook(str(tmp_path / "bad.xlsx"))
    sheet = book.add_worksheet("users")
    sheet.write_string(0, 0, "id")
    sheet.write_number(1, 0, 2**63 + 1)  # what a careless writer does
    book.close()
    with pytest.raises(QuotaError, match="row 2, column id should be the text 9223372036854775809"):
        check_xlsx(tmp_path / "bad.xlsx", table)


def test_a_field_of_the_wrong_type_is_named(ledger: Path) -> None:
    src = ledger / "p.jsonl"
    src.write_text('{"id": "1", "text": "fine", "author_id": "2"}\n{"id": "3", "text": {"x": 1}, "author_id": "2"}\n')
    r = manual(src, "out.xlsx", T0)
    assert r.exit_code == 4
    assert "p.jsonl, line 2: the object.text should be text, not a JSON object" in r.stderr


FORMULAS = ['=HYPERLINK("http://example.invalid","click")', "+1+1", "-2+3", "@SUM(1,2)", "\tindented", "\rreturn"]


def test_csv_cells_that_look_like_formulas_are_text(ledger: Path, tmp_path: Path) -> None:
    src = tmp_path / "formulas.jsonl"
    with open(src, "w") as f:
        for i, text in enumerate([*FORMULAS, "plain text", "a = b"]):
            author = {"id": str(BIG), "username": "synth", "protected": False}
            f.write(json.dumps({"id": str(BIG + 100 + i), "text": text, "author_id": str(BIG), "lang": "en",
                                "author": author}) + "\n")  # fmt: skip
    r = manual(src, "f.csv", T0, "--no-users")
    assert r.exit_code == 0, r.stderr
    with open(ledger / "f.csv", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert texts == ["'" + t for t in FORMULAS] + ["plain text", "a = b"]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("no LibreOffice here to open the CSV as a spreadsheet program would")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(ledger / "f.csv")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    sheet = openpyxl.load_workbook(tmp_path / "lo" / "f.xlsx").active
    cells = [row[4] for row in sheet.iter_rows(min_row=2)]  # the text column
    assert all(c.data_type != "f" for c in cells), [c.value for c in cells]


def test_objects_of_protected_accounts_are_never_handed_over(ledger: Path, tmp_path: Path) -> None:
    src = tmp_path / "page.jsonl"
    users = [
        {"id": str(BIG), "username": "synth_open", "name": "Open", "protected": False},
        {"id": str(BIG + 1), "username": "synth_locked", "name": "Locked", "protected": True},
    ]
    posts = [
        {"id": str(BIG + 10), "text": "public", "author_id": str(BIG)},
        {"id": str(BIG + 11), "text": "protected", "author_id": str(BIG + 1)},
        {"id": str(BIG + 12), "text": "public again", "author_id": str(BIG)},
    ]
    src.write_text(json.dumps({"data": posts, "includes": {"users": users}}) + "\n")
    r = manual(src, "x.xlsx", T0)
    assert r.exit_code == 3 and "2 of 5 objects are not public" in r.stderr and str(BIG + 11) in r.stderr
    assert not (ledger / "x.xlsx").exists()
    r = manual(src, "x.xlsx", T0, "--fit")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["posts"], doc["users"], doc["requested"], doc["left_out"], doc["left_out_not_public"]) == (
        2,
        1,
        5,
        0,
        2,
    )
    book = openpyxl.load_workbook(ledger / "x.xlsx")
    assert [row[0].value for row in book["posts"].iter_rows(min_row=2)] == [str(BIG + 10), str(BIG + 12)]
    assert [row[0].value for row in book["users"].iter_rows(min_row=2)] == [str(BIG)]
    # v1.1: user.protected says it.
    v1 = tmp_path / "v1.jsonl"
    v1.write_text(json.dumps({"id_str": str(BIG + 20), "text": "t", "user": {"id_str": "5", "screen_name": "s",
                                                                          "protected": True}}) + "\n")  # fmt: skip
    r = manual(v1, "y.csv", T0 + timedelta(hours=1), "--fit")
    assert r.exit_code == 3 and "not public" in r.stderr  # nothing public is left to hand over


def test_an_object_not_known_to_be_public_is_never_handed_over(ledger: Path, tmp_path: Path) -> None:
    """An input that does not say whether an account is protected: bad input naming the field
    (exit 4); --fit leaves such objects out and counts them with the protected ones."""
    src = tmp_path / "page.jsonl"
    users = [
        {"id": str(BIG), "username": "synth_open", "protected": False},
        {"id": str(BIG + 1), "username": "synth_?"},
    ]
    posts = [
        {"id": str(BIG + 10), "text": "public", "author_id": str(BIG)},
        {"id": str(BIG + 11), "text": "unknown", "author_id": str(BIG + 1)},
        {"id": str(BIG + 12), "text": "no author at all", "author_id": str(BIG + 2)},
    ]
    src.write_text(json.dumps({"data": posts, "includes": {"users": users}}) + "\n")
    r = manual(src, "x.xlsx", T0)
    assert r.exit_code == 4, r.stderr
    assert f"page.jsonl, line 1: post {BIG + 11}: includes.users[1].protected is missing" in r.stderr
    assert not (ledger / "x.xlsx").exists()
    r = manual(src, "x.xlsx", T0, "--fit")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["posts"], doc["users"], doc["left_out_not_public"]) == (1, 1, 3)
    # An archive's tweets.js never says whether its account is protected.
    r = manual(SAMPLES / "archive_tweets.js", "a.xlsx", T0)
    assert r.exit_code == 4 and "tweets.js does not say" in r.stderr, r.stderr
    r = manual(SAMPLES / "archive_tweets.js", "a.xlsx", T0, "--fit")
    assert r.exit_code == 3 and "not public" in r.stderr
