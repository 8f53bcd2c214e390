"""Aggregate reports over every domain, with small-cell suppression, as JSON or CSV."""
