"""The window arithmetic against a brute-force oracle that looks at every instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from quota.policy import PROFILES, Entry, Permission, check, next_free_at, used_at

T0 = datetime(2026, 1, 1, tzinfo=UTC)
W = 30  # the window, in ticks of one hour, so that every instant that matters is a tick
TICK = timedelta(hours=1)
WINDOW = W * TICK


def at(tick: int) -> datetime:
    return T0 + tick * TICK


def oracle_allowed(entries: list[tuple[int, int]], perms: list[tuple[int, int, int]], cap: int, a: int, n: int) -> bool:
    """Every window containing tick a: ends t = a .. a+W-1; usage (t-W, t]; cap of the end."""
    for t in range(a, a + W):
        used = sum(p for e, p in entries if t - W < e <= t)
        c = max([cap] + [pc for s, u, pc in perms if s <= t < u])
        if used + n > c:
            return False
    return True


entries_st = st.lists(st.tuples(st.integers(0, 120), st.integers(0, 40)), max_size=8)
perms_st = st.lists(
    st.tuples(st.integers(0, 120), st.integers(1, 60), st.integers(1, 150)).map(lambda x: (x[0], x[0] + x[1], x[2])),
    max_size=2,
)


def as_inputs(
    entries: list[tuple[int, int]], perms: list[tuple[int, int, int]]
) -> tuple[list[Entry], list[Permission]]:
    return (
        [Entry(at(e), p) for e, p in entries],
        [Permission(f"p{i}", c, at(s), at(u)) for i, (s, u, c) in enumerate(perms)],
    )


@given(entries_st, perms_st, st.integers(0, 100), st.integers(0, 130), st.integers(0, 60))
def test_check_matches_oracle(entries, perms, cap, a, n) -> None:  # type: ignore[no-untyped-def]
    es, ps = as_inputs(entries, perms)
    verdict = check(es, ps, cap, WINDOW, at(a), n)
    assert verdict.allowed == oracle_allowed(entries, perms, cap, a, n)
    if not verdict.allowed:
        assert verdict.over_by > 0
        assert verdict.worst.used + n - verdict.worst.cap == verdict.over_by


@given(entries_st, perms_st, st.integers(1, 100), st.integers(0, 130), st.integers(0, 60))
def test_next_free_at_is_the_first_allowed_instant(entries, perms, cap, a, need) -> None:  # type: ignore[no-untyped-def]
    es, ps = as_inputs(entries, perms)
    got = next_free_at(es, ps, cap, WINDOW, at(a), need)
    first = next((t for t in range(a, a + 400) if oracle_allowed(entries, perms, cap, t, need)), None)
    assert got == (at(first) if first is not None else None)


def test_naive_trailing_window_check_is_not_enough() -> None:
    """A back-dated entry that fits its own trailing window can still break a later window."""
    es = [Entry(at(20), 60)]
    trailing_ok = used_at(at(10), es, WINDOW) + 50 <= 100
    assert trailing_ok
    assert not check(es, [], 100, WINDOW, at(10), 50).allowed
    assert check(es, [], 100, WINDOW, at(10), 40).allowed


def test_window_boundaries_are_half_open() -> None:
    window = PROFILES["x-developer-policy"].window
    t = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert used_at(t, [Entry(t - window, 5)], window) == 0
    assert used_at(t, [Entry(t - window + timedelta(microseconds=1), 5)], window) == 5
    assert used_at(t, [Entry(t, 5), Entry(t, 7)], window) == 12
    assert used_at(t, [Entry(t + timedelta(microseconds=1), 5)], window) == 0


def test_profiles() -> None:
    policy = PROFILES["x-developer-policy"]
    assert (policy.post_id_cap, policy.window, policy.objects_per_person) == (1_500_000, timedelta(days=30), 500)
    legacy = PROFILES["x-restricted-use-cases"]
    assert legacy.objects_per_person == 50_000  # what that page says of objects; no profile lifts an exemption


def test_hypothesis_finds_where_a_naive_trailing_window_check_breaks_the_invariant() -> None:
    """Search, as the stateful test does, for a history a naive check would accept and that
    leaves some window over its cap; `check` refuses every one of them (test above)."""
    from hypothesis import find

    def naive_allows(entries: list[tuple[int, int]], a: int, n: int) -> bool:
        return sum(p for e, p in entries if a - W < e <= a) + n <= 100

    example = find(
        st.tuples(entries_st, st.integers(0, 130), st.integers(0, 60)),
        lambda x: naive_allows(x[0], x[1], x[2]) and not oracle_allowed(x[0], [], 100, x[1], x[2]),
    )
    entries, a, n = example
    es, _ = as_inputs(entries, [])
    assert not check(es, [], 100, WINDOW, at(a), n).allowed
