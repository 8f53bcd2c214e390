"""What every domain stands on: settings, the database and its session, errors as RFC 9457 problems,
middleware, pagination, i18n, ids, the clock, idempotency, rate limits, logging and metrics."""
