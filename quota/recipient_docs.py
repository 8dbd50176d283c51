"""What a recipient reads beside the IDs of a delivery: README.md and, for a dataset with a
citation, CITATION.cff.

A bare list of IDs "comes without any context" (a data repository turned one away for that):
the README says what the files hold, where they came from, how to hydrate them, which of X's
terms the recipient accepted and still applies, and the duty to act on deletion notices within
24 hours. Like manifest.json it goes to the recipient, so it names no local path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quota.times import iso

HYDRATE = {
    "post": (
        "twarc2 hydrate {file} posts.jsonl",
        "GET https://api.x.com/2/tweets?ids=ID1,ID2,... (up to 100 IDs a request)",
    ),
    "user": (
        "twarc2 users {file} users.jsonl",
        "GET https://api.x.com/2/users?ids=ID1,ID2,... (up to 100 IDs a request)",
    ),
}
NOUN = {"post": "Post IDs", "user": "User IDs", "dm": "DM IDs"}


@dataclass
class Delivery:
    """The facts of one delivery, as the ledger recorded them."""

    export_id: str
    at: datetime
    entity: str
    entity_name: str
    person: str | None
    counts: dict[str, int]
    files: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    terms: dict[str, Any] | None = None  # the newest acceptance at or before `at`
    exemption: dict[str, Any] | None = None  # ref, kind
    dataset: dict[str, Any] | None = None  # a registered dataset's row (quota.datasets)
    selection: list[str] = field(default_factory=list)  # how the IDs were chosen, in words
    contact: str | None = None


def _line(text: str | None) -> str:
    """One value on one line (a description may hold newlines), without control characters:
    they have no place in Markdown and YAML refuses them unescaped."""
    return " ".join("".join(c if c.isprintable() else " " for c in (text or "")).split())


def readme(d: Delivery) -> str:
    out = [f"# IDs delivered to {_line(d.entity_name)} ({d.entity})", ""]
    who = f", for {d.person}" if d.person else ""
    out += [
        f"Export `{d.export_id}`, delivered {iso(d.at)}{who}. Recorded in the sender's ledger,",
        "which counts every delivery against X's limits on redistributing X content.",
        "",
        "## What the files hold",
        "",
    ]
    for kind in ("post", "user", "dm"):
        parts = [f for f in d.files if f["kind"] == kind]
        if kind in d.counts and (parts or d.counts[kind]):
            names = ", ".join(f"`{f['path']}`" for f in parts) or "(none)"
            out.append(f"- {d.counts[kind]:,} {NOUN[kind]}, unique, ascending, one per line: {names}")
    out += ["- `manifest.json`: counts, each file's sha256, and the inputs by file name and sha256", ""]
    if d.dataset:
        ds = d.dataset
        out += ["## Where they come from", "", f"**{_line(ds['title'])}** (dataset `{ds['name']}`)", ""]
        out += [_line(ds["description"]), ""]
        if ds.get("collected_with"):
            out.append(f"- Collected with: {_line(ds['collected_with'])}")
        if ds.get("period_from") or ds.get("period_until"):
            start = iso(ds["period_from"]) if ds.get("period_from") else "its start"
            end = iso(ds["period_until"]) if ds.get("period_until") else "its end"
            out.append(f"- Period: {start} to {end}")
        if ds.get("citation"):
            out.append(f"- Cite as: {_line(ds['citation'])} (see `CITATION.cff`)")
        out.append("")
    if d.inputs:
        if not d.dataset:
            out += ["## Where they come from", ""]
        out.append("Stripped from these inputs (file name, sha256):")
        out.append("")
        out += [f"- {i['path']} `{i['sha256']}`" for i in d.inputs]
        out.append("")
    if d.selection:
        out += ["How these IDs were chosen:", ""] + [f"- {s}" for s in d.selection] + [""]
    if d.exemption:
        out += [
            f"Delivered under X's written {d.exemption['kind']} research exemption `{d.exemption['ref']}`:",
            "the IDs serve that research only.",
            "",
        ]
    out += ["## How to hydrate them", "", "Only through X's API, under your own developer account:", ""]
    for kind in ("post", "user"):
        parts = [f for f in d.files if f["kind"] == kind]
        if parts:
            cli, api = HYDRATE[kind]
            name = parts[0]["path"].removesuffix(".gz")
            out += [f"- {NOUN[kind]}: `{cli.format(file=name)}`, or `{api}`"]
    if any(f["kind"] == "dm" for f in d.files):
        out.append("- DM IDs: only the participants of a conversation can look its events up.")
    if any(str(f["path"]).endswith(".gz") for f in d.files):
        out.append("- Files ending in .gz: gunzip them first.")
    out += ["", "## Terms that apply", ""]
    if d.terms:
        t = d.terms
        what = _line(t.get("version")) or "X's terms"
        doc = f" (document sha256 `{t['document_sha256']}`)" if t.get("document_sha256") else ""
        out += [
            f"{d.entity} accepted {what}{doc} on {iso(t['accepted_at'])} (by {_line(t.get('accepted_by'))}):",
            "X's Terms of Service, Privacy Policy, Developer Agreement and Developer Policy. They still",
            "apply to these IDs and to anything you hydrate from them: share them onward only as X's",
            "Developer Policy allows.",
            "",
        ]
    out += [
        "## Deletion notices: act within 24 hours",
        "",
        "X requires that content deleted, made protected, suspended, withheld or modified be acted on",
        "within 24 hours. When the sender tells you that IDs of this delivery were affected, remove",
        "them, and everything you hydrated from them, within 24 hours of the notice.",
        "",
        f"Contact: {_line(d.contact)}" if d.contact else "Contact: the team that sent you this delivery.",
        "",
    ]
    return "\n".join(out)


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar."""
    escaped = _line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def citation_cff(dataset: dict[str, Any], d: Delivery) -> str:
    """CITATION.cff (Citation File Format 1.2.0) of a dataset with a citation: the citation as
    its holder wrote it, in `message`; as author, what the citation names before its year
    ("Data Team (2026). ..." -> Data Team), the only author it gives."""
    citation = _line(dataset["citation"])
    author = citation.split("(")[0].strip(" .,;") or _line(dataset["title"])
    lines = [
        "cff-version: 1.2.0",
        f"message: {_yaml('If you use these IDs, cite the dataset as: ' + citation)}",
        "type: dataset",
        f"title: {_yaml(dataset['title'])}",
        f"abstract: {_yaml(dataset['description'])}",
        "authors:",
        f"  - name: {_yaml(author)}",
        f"date-released: {d.at.date().isoformat()}",
        "identifiers:",
        "  - type: other",
        f"    value: {_yaml('quota-export:' + d.export_id)}",
        '    description: "the delivery of these IDs"',
    ]
    return "\n".join(lines) + "\n"


def documents(d: Delivery) -> dict[str, str]:
    """File name -> text of every document of the delivery."""
    out = {"README.md": readme(d)}
    if d.dataset and d.dataset.get("citation"):
        out["CITATION.cff"] = citation_cff(d.dataset, d)
    return out
