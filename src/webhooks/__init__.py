"""Outbound webhooks: endpoints per organization, a transactional outbox, signed delivery with retries."""
