"""Cases and triage: scoring stored posts, the triage rules, near-duplicate grouping and the
case state machine (which decision a case allows). No Prefect, no SQL: store/ persists."""
