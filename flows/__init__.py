"""Prefect flows and tasks that call the packages' step functions; the deployments and schedules
of ``flows/prefect.yaml``; Prefect's private defaults. Importing this package imports no Prefect."""
