"""Prefect flows and tasks: thin wrappers around the packages; deployments and schedules.

Where things are:
    flows.steps         the pipeline's steps as plain functions (no Prefect): harvest_one,
                        classify_pending, triage_pending, forward_due, sync_status, retrain
    flows.triage        triage rules (archive, near-duplicate grouping, auto-approval)
    flows.flows         the Prefect flows (pipeline_flow, harvest_flow, classify_flow, ...)
    flows.deployments   the schedule table `aduan serve` serves (prefect.yaml mirrors it)
    flows.env           Prefect's private defaults (telemetry off, PREFECT_HOME in ADUAN_HOME)
    flows.commands      `aduan run <flow>` and `aduan serve`

Importing this package imports no Prefect.
"""
