"""Cases: intake, persons, violations, consent, workflows per kind, notes, timeline, search."""
