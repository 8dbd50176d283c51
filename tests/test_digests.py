"""The streamed digests of stored ID sets (quota/store/digests.py) against a plain oracle (verify
on a ledger whose lineage is stored out of order: tests/test_export.py)."""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import accumulate

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from quota.store.digests import digits, id_lines, run_digests

rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 3), st.integers(0, 2**64 - 1) | st.integers(1, 40)),
    max_size=60,
)


def batches(table: list[tuple[str, int, int]], cuts: list[int]) -> list[pa.RecordBatch]:
    batch = pa.record_batch(
        [
            pa.array([r[0] for r in table], pa.string()),
            pa.array([r[1] for r in table], pa.uint8()),
            pa.array([r[2] for r in table], pa.uint64()),
        ],
        names=["export_id", "kind", "id"],
    )
    out, at = [], 0
    for cut in [*sorted(cuts), len(table)]:
        cut = min(cut, len(table))
        out.append(batch.slice(at, cut - at))
        at = cut
    return out


@settings(max_examples=300, deadline=None)
@given(rows, st.lists(st.integers(0, 60), max_size=5), st.booleans())
def test_each_clean_run_is_the_exact_digest_and_every_set_is_named(
    table: list[tuple[str, int, int]], cuts: list[int], sort: bool
) -> None:
    if sort:  # most ledgers: each set stored in one place, in rising order
        table = sorted(set(table))
    expected = {}
    for key in {(e, k) for e, k, _ in table}:
        ids = sorted(i for e, k, i in table if (e, k) == key)
        expected[key] = hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()
    got = run_digests(batches(table, cuts)).to_pylist()
    seen = Counter((r["export_id"], r["n"]) for r in got)
    assert set(seen) == set(expected)
    trusted = 0
    for r in got:
        key = (r["export_id"], r["n"])
        if r["clean"] and seen[key] == 1:
            assert r["digest"] == expected[key]
            trusted += 1
    # A set left to the exact query is one that is not a single rising run.
    for key in expected:
        ids = [i for e, k, i in table if (e, k) == key]
        positions = [p for p, (e, k, _) in enumerate(table) if (e, k) == key]
        single = positions == list(range(positions[0], positions[-1] + 1)) and ids == sorted(set(ids))
        if single:
            assert seen[key] == 1 and next(r["clean"] for r in got if (r["export_id"], r["n"]) == key)
    event(f"trusted {min(trusted, 3)}+ of {min(len(expected), 3)}+")


def test_nothing_streamed_is_an_empty_table() -> None:
    assert run_digests([]).num_rows == 0


widths = st.integers(0, 20).flatmap(lambda w: st.integers(0 if w <= 1 else 10 ** (w - 1), min(10**w, 2**64) - 1))


@settings(max_examples=300, deadline=None)
@given(st.lists(widths | st.integers(0, 2**64 - 1), max_size=50), st.booleans())
def test_id_lines_are_each_ids_decimal_text_and_a_newline(ids: list[int], sort: bool) -> None:
    if sort:  # one width in a run of a sorted set, the quick path
        ids = sorted(ids)
    text, offsets = id_lines(np.array(ids, np.uint64))
    assert text.tobytes() == "".join(f"{i}\n" for i in ids).encode()
    assert offsets.tolist() == [0, *accumulate(len(str(i)) + 1 for i in ids)]
    assert digits(np.array(ids, np.uint64)).tolist() == [len(str(i)) for i in ids]


@pytest.mark.parametrize("first", [10**18 - 40_000, 1_500_000_000_000_000_000, 0, 2**64 - 80_000])
def test_id_lines_of_batches_longer_than_a_slice(first: int) -> None:
    # Written a slice at a time: lines of one width, and of two (10**18 - 1 has 18 digits).
    ids = np.arange(first, first + 70_001, 1, dtype=np.uint64)
    text, offsets = id_lines(ids)
    assert text.tobytes() == "".join(f"{i}\n" for i in range(first, first + 70_001)).encode()
    assert offsets[-1] == len(text) and offsets[1] - offsets[0] == len(str(first)) + 1
