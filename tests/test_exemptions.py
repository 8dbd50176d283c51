"""Research exemptions: drawdown, peer review, DSA Art. 40 persons, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, TERMS, Backend, Templates, commands, quota

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"  # 118 unique Post IDs, 105 unique User IDs
CAP = 1_500_000


UNI = commands(
    ("init",),
    ("entity", "add", "uni", "--name", "A University", "--kind", "academic"),
    ("entity", "accept-terms", *TERMS, "uni", "--by", "R Smith", "--at", "2026-01-01T00:00:00Z"),
    ("entity", "add", "lab2", "--name", "Reviewing Lab", "--kind", "academic"),
    ("entity", "accept-terms", *TERMS, "lab2", "--by", "K Roe", "--at", "2026-01-01T00:00:00Z"),
    ("person", "add", "rsmith", "--entity", "uni"),
    ("person", "add", "other", "--entity", "uni"),
    ("exemption", "add", "ACAD", "--entity", "uni", "--kind", "academic", "--approved-on", "2026-09-01",
     "--from", "2026-09-01", "--until", "2027-09-01", "--post-ids", "300", "--user-ids", "250"),
    ("exemption", "add", "PR", "--entity", "lab2", "--kind", "peer-review", "--for", "ACAD",
     "--approved-on", "2026-10-01", "--from", "2026-10-01", "--until", "2027-01-01"),
    ("exemption", "add", "DSA", "--entity", "uni", "--kind", "dsa-art40", "--person", "rsmith",
     "--approved-on", "2026-09-01", "--from", "2026-09-01", "--until", "2027-09-01"),
)  # fmt: skip


@pytest.fixture
def uni(tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch) -> Path:
    templates.clone("exemptions.uni", UNI, backend, monkeypatch)
    return tmp_path


def exp(*args: str) -> object:
    """An export now (the ledger's clock), or a what-if at the time `args` asks for."""
    what_if = ("--dry-run",) if "--at" in args else ()
    return quota("export", PAGES, "-o", f"out-{len(list(Path('.').glob('out-*')))}", *args, *what_if)


def show(ref: str) -> dict:
    return json.loads(quota("exemption", "show", ref, "--json").stdout)


def test_drawdown_across_exports_and_a_peer_review_child(uni: Path) -> None:
    r = exp("--to", "uni", "--exemption", "ACAD", "--ids", "post,user", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["basis"] == "exemption" and (doc["used_after"], doc["cap"]) == (118, 300)
    s = show("ACAD")
    keys = ["ref", "kind", "entity", "approved_post_ids", "used_post_ids", "remaining_post_ids", "approved_user_ids",
            "used_user_ids", "remaining_user_ids", "valid_from", "valid_until", "revoked", "exports"]  # fmt: skip
    assert list(s) == keys
    assert (s["used_post_ids"], s["remaining_post_ids"], s["used_user_ids"]) == (118, 182, 105)
    assert exp("--to", "lab2", "--exemption", "PR").exit_code == 0  # the reviewers draw down ACAD
    assert show("ACAD")["used_post_ids"] == 236 and show("PR")["remaining_post_ids"] == 64
    assert len(show("PR")["exports"]) == 1 and len(show("ACAD")["exports"]) == 1
    over = exp("--to", "uni", "--exemption", "ACAD")
    assert over.exit_code == 3
    assert "approved 300, used 236, remaining 64, over by 54" in over.stderr
    assert quota("ledger", "verify").exit_code == 0


def test_exemption_exports_do_not_count_toward_the_cap(uni: Path) -> None:
    assert exp("--to", "uni", "--exemption", "ACAD").exit_code == 0
    (row,) = json.loads(quota("usage", "uni", "--json").stdout)
    assert row["used"] == 0
    assert exp("--to", "uni").exit_code == 0
    (row,) = json.loads(quota("usage", "uni", "--json").stdout)
    assert row["used"] == 118


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--to", "uni", "--exemption", "NOPE"), "no exemption 'NOPE'"),
        (("--to", "lab2", "--exemption", "ACAD"), "held by uni, not lab2"),
        (("--to", "uni", "--exemption", "DSA", "--person", "other"), "person other is not named"),
        (("--to", "uni", "--exemption", "DSA"), "without --person is not named"),
        (("--to", "uni", "--exemption", "ACAD", "--at", "2026-08-31T23:59:59Z"), "outside exemption ACAD"),
        (("--to", "lab2", "--exemption", "PR", "--at", "2026-09-15T00:00:00Z"), "outside exemption PR"),
        (("--to", "uni", "--exemption", "ACAD", "--ids", "post,dm"), None),
    ],
)
def test_every_refusal(uni: Path, args: tuple[str, ...], words: str | None) -> None:
    before = quota("ledger", "checkpoint").stdout.split()[2]
    r = exp(*args)
    if words is None:  # no DMs in the sample: an exemption export of zero DM IDs is fine
        assert r.exit_code == 0
        return
    assert r.exit_code == 3 and words in r.stderr, r.stderr
    assert quota("ledger", "checkpoint").stdout.split()[2] == before


def test_revoked_and_user_ids_limit(uni: Path) -> None:
    assert quota("exemption", "revoke", "DSA", "--reason", "application withdrawn").exit_code == 0
    r = exp("--to", "uni", "--exemption", "DSA", "--person", "rsmith")
    assert r.exit_code == 3 and "was revoked" in r.stderr
    assert show("DSA")["revoked"] is True
    quota("exemption", "add", "SMALL", "--entity", "uni", "--kind", "academic", "--approved-on", "2026-09-01",
          "--from", "2026-09-01", "--until", "2027-09-01", "--post-ids", "1000", "--user-ids", "10")  # fmt: skip
    r = exp("--to", "uni", "--exemption", "SMALL", "--ids", "post,user")
    assert r.exit_code == 3 and "105 User IDs" in r.stderr and "over by 95" in r.stderr


def test_dsa_named_person_passes_without_quantities(uni: Path) -> None:
    r = exp("--to", "uni", "--exemption", "DSA", "--person", "rsmith", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["cap"] is None
    s = show("DSA")
    assert s["approved_post_ids"] is None and len(s["exports"]) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--kind", "academic", "--post-ids", "5"), "needs the approved --post-ids and --user-ids"),
        (("--kind", "peer-review"), "--for"),
        (("--kind", "peer-review", "--for", "DSA"), "not an academic exemption"),
        (("--kind", "dsa-art40"), "at least one --person"),
        (("--kind", "dsa-art40", "--person", "nobody"), "not a person of uni"),
    ],
)
def test_exemption_add_checks(uni: Path, args: tuple[str, ...], words: str) -> None:
    r = quota("exemption", "add", "NEW", "--entity", "uni", "--approved-on", "2026-09-01", "--from", "2026-09-01",
              "--until", "2027-01-01", *args)  # fmt: skip
    assert r.exit_code == 2 and words in r.stderr, r.stderr


def test_verify_recomputes_drawdown_and_catches_tampering(uni: Path, backend: Backend) -> None:
    assert exp("--to", "uni", "--exemption", "ACAD").exit_code == 0
    assert quota("ledger", "verify").exit_code == 0
    backend.raw("UPDATE exemptions SET post_ids = 10 WHERE ref = 'ACAD'")
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "table exemptions" in r.stderr
    from quota.store.session import Session

    with Session.open(None) as ledger:
        problem = ledger.check("exemptions")
    assert problem is not None and "drawn 118 Post IDs of 10" in problem[1]


def test_no_profile_lifts_an_approved_quantity(uni: Path) -> None:
    from quota.store.session import Session

    # The legacy page's profile once left academic quantities unlimited: 3 x 118 > the 300 approved.
    # (An older quota could choose it; none can now, for a delivery made now.)
    with Session.open(None, write=True) as ledger:
        ledger.append("policy", {"profile": "x-restricted-use-cases", "version": "2023-legacy"})
    profiles = json.loads(quota("policy", "show", "--json").stdout)
    assert {p["academic_ids"] for p in profiles} == {"as approved"}
    for _ in range(2):
        assert exp("--to", "uni", "--exemption", "ACAD").exit_code == 0
    refused = exp("--to", "uni", "--exemption", "ACAD")
    assert refused.exit_code == 3 and "approved 300, used 236" in refused.stderr
    assert quota("ledger", "verify").exit_code == 0


def test_verify_fails_when_an_exemption_drew_more_than_approved(uni: Path) -> None:
    from quota.store.session import Session

    # As an older quota under the "unlimited" profile could record it: 400 Post IDs of 300.
    with Session.open(None, write=True) as ledger:
        ledger.append("policy", {"profile": "x-restricted-use-cases", "version": "2023-legacy"})
        ledger.append("reserve", {
            "export_id": "old", "entity": "uni", "person": None, "at": "2026-11-01T00:00:00.000000Z",
            "post_ids": 400, "user_ids": 0, "dm_ids": 0, "basis": "exemption", "profile": "x-restricted-use-cases",
            "version": "2023-legacy", "ids_sha256": {}, "exemption": "ACAD",
        })  # fmt: skip
        # ... before this version of quota upgraded the ledger (and began to record deliveries at the clock).
        ledger.append("upgrade", {"from": 12, "to": 13, "migrations": ["0013_facts.sql"]})
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "exemption ACAD" in r.stderr and "more than X approved" in r.stderr


def test_research_exemptions_are_for_academic_entities_and_bound_by_approval(uni: Path) -> None:
    assert quota("entity", "add", "corp", "--name", "A Company").exit_code == 0
    common = ("--approved-on", "2026-09-01", "--from", "2026-09-01", "--until", "2027-01-01")
    r = quota("exemption", "add", "C1", "--entity", "corp", "--kind", "academic", "--post-ids", "2000000",
              "--user-ids", "0", *common)  # fmt: skip
    assert r.exit_code == 3 and "corp" in r.stderr and "not academic" in r.stderr
    r = quota("exemption", "add", "C2", "--entity", "corp", "--kind", "peer-review", "--for", "ACAD", *common)
    assert r.exit_code == 3 and "not academic" in r.stderr
    # DSA Art. 40 researchers are outside that section: any kind of entity.
    assert quota("person", "add", "cr", "--entity", "corp").exit_code == 0
    assert quota("exemption", "add", "D1", "--entity", "corp", "--kind", "dsa-art40", "--person", "cr",
                 *common).exit_code == 0  # fmt: skip
    # The approval binds: not in the future, no start before it.
    r = quota("exemption", "add", "A2", "--entity", "uni", "--kind", "academic", "--post-ids", "1", "--user-ids",
              "1", "--approved-on", "2999-01-01", "--from", "2999-01-01", "--until", "2999-02-01")  # fmt: skip
    assert r.exit_code == 2 and "in the future" in r.stderr
    r = quota("exemption", "add", "A3", "--entity", "uni", "--kind", "academic", "--post-ids", "1", "--user-ids",
              "1", "--approved-on", "2026-09-02", "--from", "2026-09-01", "--until", "2026-10-01")  # fmt: skip
    assert r.exit_code == 2 and "before X approved it" in r.stderr
    # A peer review lives inside its parent: not past its end, not for a revoked parent.
    r = quota("exemption", "add", "PR2", "--entity", "lab2", "--kind", "peer-review", "--for", "ACAD",
              "--approved-on", "2026-10-01", "--from", "2026-10-01", "--until", "2027-10-01")  # fmt: skip
    assert r.exit_code == 2 and "inside its parent" in r.stderr
    assert exp("--to", "lab2", "--exemption", "PR").exit_code == 0  # the honest review, inside ACAD
    assert quota("exemption", "revoke", "ACAD", "--reason", "X withdrew it").exit_code == 0
    refused = exp("--to", "lab2", "--exemption", "PR")
    assert refused.exit_code == 3 and "ACAD, which was revoked" in refused.stderr
    r = quota("exemption", "add", "PR3", "--entity", "lab2", "--kind", "peer-review", "--for", "ACAD",
              "--approved-on", "2026-10-01", "--from", "2026-10-01", "--until", "2027-01-01")  # fmt: skip
    assert r.exit_code == 3 and "revoked" in r.stderr


def test_fit_takes_what_remains_of_the_approved_quantities_and_no_more(uni: Path) -> None:
    for _ in range(2):
        assert exp("--to", "uni", "--exemption", "ACAD", "--ids", "post,user").exit_code == 0
    # 64 Post IDs and 40 User IDs remain: a whole file no longer fits.
    r = exp("--to", "uni", "--exemption", "ACAD", "--ids", "post,user")
    assert r.exit_code == 3 and "remaining 64" in r.stderr
    r = exp("--to", "uni", "--exemption", "ACAD", "--ids", "post,user", "--fit", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["post_ids"], doc["user_ids"], doc["left_post_ids"], doc["left_user_ids"]) == (64, 40, 54, 65)
    out = sorted(Path(".").glob("out-*"), key=lambda p: int(p.name.split("-")[1]))[-1]
    everything = sorted(int(i) for i in (Path("out-0") / "post_ids.txt").read_text().split())
    assert [int(i) for i in (out / "post_ids.txt").read_text().split()] == everything[:64]
    users = sorted(int(i) for i in (Path("out-0") / "user_ids.txt").read_text().split())
    assert [int(i) for i in (out / "user_ids.txt").read_text().split()] == users[:40]
    readme = (out / "README.md").read_text()
    assert "academic research exemption `ACAD`" in readme and "54 Post IDs and 65 User IDs were left out" in readme
    s = show("ACAD")
    assert (s["remaining_post_ids"], s["remaining_user_ids"]) == (0, 0)
    # Nothing remains: --fit refuses with the numbers, as a plain export does.
    r = exp("--to", "uni", "--exemption", "ACAD", "--ids", "post,user", "--fit")
    assert r.exit_code == 3 and "remaining 0" in r.stderr
    assert quota("ledger", "verify").exit_code == 0
