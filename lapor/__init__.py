"""Forwarding accepted cases to SP4N-LAPOR! (and Open311), and following their status.
lapor/README.md has the modules, a forward's states, the commands and the measured figures."""

# Requests in flight when sending the outbox (each claim is exclusive, so any number is safe).
DEFAULT_CONCURRENCY = 8
