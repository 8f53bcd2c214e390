"""Consulates, their jurisdiction, and routing a place to the consulate that covers it."""
