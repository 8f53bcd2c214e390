"""Exports of case data in the standards other bodies pool, de-identified (docs/htcds.md)."""
