"""Stripped.keep, which `export --limit/--sample/--fit` deliver through, against a plain oracle:
the first n in delivery order (ascending, or sha256("SEED:ID") with a seed), and a keep of a
keep is a prefix of the first."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quota.ids import Kind, spreadsheet_rounded
from quota.readers.records import Want
from quota.stripping import StripOptions, strip


def order(ids: set[int], seed: str | None) -> list[int]:
    if seed is None:
        return sorted(ids)
    return sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # (an ID list of round IDs alone reads as spreadsheet-rounded: test_cli_strip)
    st.sets(st.integers(1, 2**64 - 1).filter(lambda v: not spreadsheet_rounded(str(v))), min_size=1, max_size=80),
    st.integers(0, 90),
    st.integers(0, 90),
    st.none() | st.text(min_size=1, max_size=8),
)
def test_keep_takes_the_first_in_delivery_order_and_again_a_prefix(
    tmp_path: Path, ids: set[int], n: int, m: int, seed: str | None
) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("".join(f"{i}\n" for i in ids))
    with strip([str(path)], StripOptions(want=Want(frozenset({Kind.POST})), fmt="ids")) as stripped:
        assert stripped.keep(Kind.POST, n, seed) == min(n, len(ids))
        assert stripped.ids(Kind.POST) == sorted(order(ids, seed)[:n])
        small = min(m, n)
        stripped.keep(Kind.POST, small, seed)
        assert stripped.ids(Kind.POST) == sorted(order(ids, seed)[:small])
        out = tmp_path / "out.txt"
        assert stripped.write_ids(Kind.POST, out) == min(small, len(ids))
        assert [int(i) for i in out.read_text().split()] == sorted(order(ids, seed)[:small])
