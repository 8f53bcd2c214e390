"""Evidence: encrypted attachments on cases, shared with a referral's recipient only by name."""
