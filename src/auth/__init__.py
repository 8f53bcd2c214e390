"""Organizations, users, API clients, tokens, passwords, the principal and its scopes."""
