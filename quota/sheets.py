"""Spreadsheets for manual exports: XLSX (a posts sheet and a users sheet) or CSV.

Every ID is written as text. Excel and LibreOffice turn a 19-digit number into `...000`
(they keep 15 significant digits), the most common way these files get corrupted, so an ID
must never be a number cell. Text is never a formula either: a post starting with `=` stays
the text it was.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from quota.readers.objects import ID_COLUMNS

Table = tuple[str, list[str], Sequence[dict[str, Any]]]  # (sheet name, columns, rows)


def write_xlsx(path: Path, tables: Sequence[Table], created: datetime) -> None:
    import xlsxwriter

    # The creation time is the export's, so the same objects at the same --at give the same bytes.
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties({"created": created.replace(tzinfo=None), "author": "quota"})
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})  # typing a new ID into the column keeps it text
    for name, columns, rows in tables:
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for c, column in enumerate(columns):
            sheet.write_string(0, c, column, bold)
            if column in ID_COLUMNS:
                sheet.set_column(c, c, 21, text)
            elif column in ("text", "description"):
                sheet.set_column(c, c, 60)
        for r, row in enumerate(rows, start=1):
            for c, column in enumerate(columns):
                value = row.get(column)
                if value is None:
                    continue
                if isinstance(value, int) and column not in ID_COLUMNS:
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()


def write_csv(path: Path, columns: list[str], rows: Sequence[dict[str, Any]]) -> None:
    # Every field quoted: a CSV cell has no type, but quoting tells importers that read it
    # (LibreOffice's "quoted field as text") to keep IDs as text.
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else csv_cell(row[c]) for c in columns])


# A spreadsheet program runs a cell that starts with one of these as a formula (=HYPERLINK(...),
# +cmd|..., @SUM(...)), or, for a tab or carriage return, after trimming it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV field that no spreadsheet program runs as a formula: text that starts like one gets
    a leading apostrophe (the OWASP rule for CSV injection). IDs and counts are digits only."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _column(ref: str) -> int:
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch) - 64
    return n - 1


def check_xlsx(path: Path, tables: Sequence[Table]) -> None:
    """Read the written file back: every ID must be a text cell holding exactly its digits.

    A cheap proof, independent of the writer, that no spreadsheet program will see a number
    (and round it) where an ID was meant."""
    import zipfile
    from xml.etree import ElementTree

    from quota.errors import QuotaError

    with zipfile.ZipFile(path) as z:
        shared = [
            "".join(t.text or "" for t in si.iter(f"{_NS}t"))
            for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{_NS}si")
        ]
        for n, (name, columns, rows) in enumerate(tables, start=1):
            cells: dict[tuple[int, int], str | None] = {}
            for c in ElementTree.fromstring(z.read(f"xl/worksheets/sheet{n}.xml")).iter(f"{_NS}c"):
                ref = c.get("r", "")
                row = int("".join(ch for ch in ref if ch.isdigit()))
                v = c.find(f"{_NS}v")
                cells[(row, _column(ref))] = shared[int(v.text or "")] if c.get("t") == "s" and v is not None else None
            for r, values in enumerate(rows, start=2):
                for col, column in enumerate(columns):
                    want = values.get(column)
                    if column in ID_COLUMNS and want is not None and cells.get((r, col)) != str(want):
                        raise QuotaError(
                            f"the {name} sheet did not read back: row {r}, column {column} should be the text "
                            f"{want}, found {cells.get((r, col))!r}"
                        )
