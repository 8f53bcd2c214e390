"""Data the product is seeded with: the first administrator, the demo world, benchmark data."""
