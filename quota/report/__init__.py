"""The compliance report: its numbers (numbers.py) and its self-contained HTML page (page.py)."""

from quota.report.numbers import build, write

__all__ = ["build", "write"]
