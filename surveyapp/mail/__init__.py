"""Email distribution: the SMTP or log transport, the outbox queue and the worker that drains it."""
