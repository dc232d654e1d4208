"""Forwarding accepted cases to SP4N-LAPOR! (and Open311), and following their status.

Where things are:
    lapor.client        LaporClient: API v3 (complaints, attachments, status, reference lists)
    lapor.exceptions    the error tree (auth, validation, throttled, server, ambiguous outcome)
    lapor.compose       compose_complaint(case, posts, profile): the JSON body (pure)
    lapor.redact        redact(text): NIK, phone numbers and e-mails out of the content
    lapor.outbox        send_due(...): the sender over store.forwards (the outbox)
    lapor.forward       forward_due(): the pipeline's forward step (outbox, then reroutes)
    lapor.reconcile     reconcile(...): a person settles a failed/unknown forward
    lapor.status        sync_status(...): status polling into lapor_status_history; sync_due()
                        the pipeline's status step
    lapor.open311       Open311 GeoReport v2 as a second target behind the same outbox
    lapor.mapping       the profile's LAPOR! ids: check and fill by name (``aduan lapor map``)

See lapor/README.md for the states of a forward, the commands and the measured figures.
"""

# Requests in flight when sending the outbox (each claim is exclusive, so any number is safe).
DEFAULT_CONCURRENCY = 8
