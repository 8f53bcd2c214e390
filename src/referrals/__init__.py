"""Referrals both ways between case owners and partners, consent-scoped case views, progress updates."""
