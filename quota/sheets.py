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

from quota.objects import ID_COLUMNS

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
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
