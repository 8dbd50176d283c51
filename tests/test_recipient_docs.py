"""The documents a recipient reads (quota/recipient_docs.py): a dataset's README section and
its CITATION.cff, whatever its text holds."""

from __future__ import annotations

from datetime import UTC, datetime

from quota.recipient_docs import Delivery, documents


def delivery(**dataset: object) -> Delivery:
    base = {
        "name": "elections-2026", "title": 'Election "posts" 2026', "description": "Posts on\nthe campaign",
        "collected_with": "twarc2 search", "period_from": datetime(2026, 9, 1), "period_until": None,
        "citation": "Data Team (2026). Election posts 2026. doi:10.0000/x",
    }  # fmt: skip
    return Delivery(
        export_id="e1", at=datetime(2026, 11, 2, tzinfo=UTC), entity="uni", entity_name="A University",
        person="rsmith", counts={"post": 3, "user": 0},
        files=[{"path": "post_ids.txt", "kind": "post"}], inputs=[{"path": "a.jsonl", "sha256": "ab" * 32}],
        dataset={**base, **dataset},
    )  # fmt: skip


def test_a_dataset_with_a_citation_comes_with_a_citation_file() -> None:
    docs = documents(delivery())
    readme = docs["README.md"]
    assert '**Election "posts" 2026** (dataset `elections-2026`)' in readme
    assert "Posts on the campaign" in readme and "Collected with: twarc2 search" in readme
    assert "Period: 2026-09-01T00:00:00.000000Z to its end" in readme
    assert "Cite as: Data Team (2026). Election posts 2026. doi:10.0000/x (see `CITATION.cff`)" in readme
    assert "for rsmith" in readme
    cff = docs["CITATION.cff"].splitlines()
    assert cff[0] == "cff-version: 1.2.0" and "type: dataset" in cff
    assert 'title: "Election \\"posts\\" 2026"' in cff
    assert cff[cff.index("authors:") + 1] == '  - name: "Data Team"'
    assert (
        'message: "If you use these IDs, cite the dataset as: Data Team (2026). Election posts 2026. doi:10.0000/x"'
        in cff
    )
    assert "date-released: 2026-11-02" in cff and '    value: "quota-export:e1"' in cff


def test_without_a_citation_there_is_no_citation_file() -> None:
    assert list(documents(delivery(citation=None))) == ["README.md"]


def test_control_characters_never_reach_the_citation_file() -> None:
    cff = documents(delivery(title="Bell\x07 and\ttab", citation="A (2026)\x00."))["CITATION.cff"]
    assert 'title: "Bell and tab"' in cff
    assert all(c.isprintable() for line in cff.splitlines() for c in line)
