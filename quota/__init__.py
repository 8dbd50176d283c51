"""quota: redistribute X data as IDs only, within X's Developer Policy, and prove it."""

__version__ = "0.1.0"
