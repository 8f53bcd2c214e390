"""Append-only, hash-chained audit trail: every domain records here; this package imports no domain."""
