"""Append-only, hash-chained audit trail. Every domain records here (`service.record`), and that part imports
no domain; the reading part (`reading.py`, `router.py`: events, verification, checkpoints, a case's access
log) asks the cases repository whether a case is the caller's."""
