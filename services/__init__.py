"""The rules: who may do what, money movement, idempotency. Handlers and the CLI call these."""
