"""Prefect flows and tasks: thin wrappers around the packages; deployments and schedules.

Where things are:
    flows.flows         the Prefect flows (pipeline_flow, harvest_flow, classify_flow, ...)
    flows.deployments   the schedule table `aduan serve` serves (prefect.yaml mirrors it)
    flows.env           Prefect's private defaults (telemetry off, PREFECT_HOME in ADUAN_HOME)
    flows.local_server  the private Prefect server `aduan serve` starts

Importing this package imports no Prefect.
"""
