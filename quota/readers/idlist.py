"""Plain ID lists: one decimal ID per line, as Hydrator and X's compliance jobs take them."""

from __future__ import annotations

from quota.errors import BadInput
from quota.ids import id_problem
from quota.readers.jsonl import numbered_lines
from quota.readers.records import ReadResult, Role, Sink
from quota.readers.source import Source


def read(source: Source, role: Role, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    result = ReadResult(rows=[], sink=sink, declared=True)
    r = int(role)
    for n, text in numbered_lines(source):
        value = text.rstrip("\r\n")
        result.lines += 1
        problem = id_problem(value)
        if problem is not None:
            if not skip_bad:
                raise BadInput(source.name, problem, n)
            result.note_bad(n, problem)
            continue
        result.add([(r, value)])
    return result
