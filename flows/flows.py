"""Prefect flows and tasks: thin wrappers around the step functions (the logic lives in packages).
Tasks return counts, never post text; docs/architecture.md has the step table."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Failed, State
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import InterfaceError, OperationalError

from cases import scoring, triage
from classifier.exceptions import NoChampion
from config.settings import Settings, load_settings
from harvester.run import enabled_sources, harvest_one
from lapor.forward import forward_due
from lapor.replies.run import send_due_replies
from lapor.status import sync_due
from store.db import get_engine, session_factory
from store.pipeline import pipeline_counts
from training.retrain import retrain_step


def store_failed(task: Any, task_run: Any, state: State) -> bool:
    """Whether a task failed because the store did (a lost connection, a lock, a deadlock)."""
    return isinstance(state.data, OperationalError | InterfaceError)


# The store's one retry layer (docs/running.md, "Retries"): a task is run again only when the
# store failed; whatever else fails is retried by its own layer (HTTP, outbox) or not at all.
STORE_RETRIES = dict(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=5),
    retry_condition_fn=store_failed,
)


# A task retries only when the store failed (each other kind of I/O has its own retry layer:
# docs/running.md, "Retries"). Each flow takes the caller's ``settings`` (``aduan run``, the demo)
# or reads them from the environment when its run starts (a served deployment; ``profile``
# overrides ADUAN_PROFILE there), and passes them down.
def run_settings(settings: Settings | None, profile: str | None = None) -> Settings:
    """The settings of this flow run: the caller's, else the environment's read now;
    ``profile`` (a served deployment's parameter) over their profile."""
    settings = settings or load_settings()
    if profile:
        settings = settings.model_copy(update={"profile": Path(profile).resolve()})
    return settings


# The flows (their schedules: flows/prefect.yaml):
#   pipeline_flow       harvest_flow -> classify_flow -> triage_flow -> forward_flow (every 15 min)
#   harvest_flow        one task per enabled source, concurrently; a failing source fails alone
#   classify_flow       unclassified posts in batches with the champion; on Dask when
#                       ADUAN_DASK_ADDRESS is set (prefect-dask), in this process otherwise
#   triage_flow         archive / group near-duplicates / auto-approve or queue (cases.triage)
#   forward_flow        the LAPOR! outbox (every 5 min), then replies_flow
#   replies_flow        replies to citizens under their comment (the reply outbox)
#   lapor_status_flow   status sync of forwarded complaints (hourly)
#   retrain_flow        train a challenger (weekly)
@task(name="harvest-source", task_run_name="harvest-{name}", cache_policy=NO_CACHE, **STORE_RETRIES)
def harvest_source_task(
    name: str,
    max_pages: int | None = None,
    since: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    return harvest_one(name, max_pages=max_pages, since=since, settings=settings)


@flow(name="harvest", log_prints=False)
def harvest_flow(
    sources: list[str] | None = None,
    max_pages: int | None = None,
    since: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Harvest every enabled source (or exactly the named ones) concurrently, each as its own
    task, from its stored cursor (or from ``since``)."""
    logger = get_run_logger()
    settings = run_settings(settings)
    names, problems = enabled_sources(names=sources, settings=settings)
    for problem in problems:
        logger.warning("source config problem: %s", problem)
    futures = [harvest_source_task.submit(name, max_pages, since, settings) for name in names]
    summary: dict[str, Any] = {"sources": len(names), "new": 0, "seen": 0, "failed": []}
    per_source = []
    for name, future in zip(names, futures, strict=True):
        future.wait()
        if not future.state.is_completed():
            summary["failed"].append(name)
            per_source.append({"source": name, "error": future.state.message or "task failed"})
            continue
        result = future.result()
        per_source.append(result)
        summary["new"] += result["new"]
        summary["seen"] += result["seen"]
        if result["error"]:
            summary["failed"].append(name)
    logger.info(
        "harvest: %d sources, %d new posts of %d seen, failed: %s",
        summary["sources"],
        summary["new"],
        summary["seen"],
        ", ".join(summary["failed"]) or "none",
    )
    return {**summary, "per_source": per_source}


@task(name="classify-batch", cache_policy=NO_CACHE, **STORE_RETRIES)
def classify_batch_task(post_ids: list[int], version: str, settings: Settings) -> int:
    return scoring.classify_batch(post_ids, version=version, settings=settings)


@flow(name="classify-batches")
def classify_batches_flow(batches: list[list[int]], version: str, settings: Settings) -> int:
    """Submit every batch to this flow's task runner (Dask or threads) and add up the counts."""
    futures = [classify_batch_task.submit(ids, version, settings) for ids in batches]
    return sum(future.result() for future in futures)


@flow(name="classify")
def classify_flow(
    batch_size: int = scoring.CLASSIFY_BATCH,
    limit: int | None = None,
    settings: Settings | None = None,
) -> dict:
    """Classify the posts still ``new`` with the champion model, ``batch_size`` at a time."""
    logger = get_run_logger()
    settings = run_settings(settings)
    address = settings.dask_address
    try:
        result = scoring.classify_pending(
            batch=batch_size,
            limit=limit,
            run_batches=partial(_run_batches, address, settings),
            settings=settings,
        )
    except NoChampion as exc:  # a setup step is missing: one line saying which, no traceback
        logger.error("%s", exc)
        return Failed(message=str(exc))
    logger.info(
        "classified %d posts in %d batches with model %s%s",
        result["classified"],
        result["batches"],
        result["model_version"],
        " on Dask" if address and result["batches"] else "",
    )
    return result


def _run_batches(
    address: str | None, settings: Settings, batches: list[list[int]], version: str
) -> int:
    """One task per batch: on the Dask cluster at ``address``, or one after the other here."""
    if address:
        return _classify_on_dask(address, batches, version, settings)
    return sum(classify_batch_task(ids, version, settings) for ids in batches)


def _classify_on_dask(
    address: str, batches: list[list[int]], version: str, settings: Settings
) -> int:
    """Run the batches on the Dask cluster at ``address`` through prefect-dask (the settings
    travel pickled with each task)."""
    from prefect_dask import DaskTaskRunner  # the optional dask extra

    runner = classify_batches_flow.with_options(task_runner=DaskTaskRunner(address=address))
    # Dask workers report their task runs to the same API as this flow: on the embedded API
    # its URL exists only in this process, so it travels with the tasks' settings context.
    context = FlowRunContext.get()
    api_url = PREFECT_API_URL.value() or (context.client.api_url if context else None)
    if api_url:
        with temporary_settings({PREFECT_API_URL: str(api_url).rstrip("/")}):
            return runner(batches, version, settings)
    return runner(batches, version, settings)


@task(name="triage", cache_policy=NO_CACHE, **STORE_RETRIES)
def triage_task(settings: Settings | None = None) -> dict[str, Any]:
    return triage.triage_pending(settings=settings).as_dict()


@flow(name="triage")
def triage_flow(settings: Settings | None = None) -> dict[str, Any]:
    """Archive non-complaints, group near-duplicates into cases, auto-approve or queue them."""
    result = triage_task(run_settings(settings))
    get_run_logger().info("triage: %s", result)
    return result


@task(name="forward-due", cache_policy=NO_CACHE)
def forward_task(
    limit: int | None = None, concurrency: int | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    return forward_due(limit=limit, concurrency=concurrency, settings=settings)


@flow(name="forward")
def forward_flow(
    limit: int | None = None,
    concurrency: int | None = None,
    settings: Settings | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Send the LAPOR! outbox rows that are due (``concurrency`` requests in flight), then the
    replies they make due."""
    settings = run_settings(settings, profile)
    result = forward_task(limit, concurrency, settings)
    get_run_logger().info("forward: %s", result)
    state = replies_flow(settings=settings, return_state=True)
    if state.is_completed():
        result = {**result, "replies": state.result()}
    else:  # a reply problem never fails the forwarding
        get_run_logger().warning("replies not sent: %s", state.message)
    return result


@task(name="send-replies", cache_policy=NO_CACHE)
def replies_task(limit: int | None = None, settings: Settings | None = None) -> dict[str, Any]:
    return send_due_replies(limit=limit, settings=settings)


@flow(name="replies")
def replies_flow(limit: int | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Reply under the citizens' comments once their case is in LAPOR! (off unless enabled)."""
    result = replies_task(limit, run_settings(settings))
    get_run_logger().info("replies: %s", result)
    return result


@task(name="sync-status", cache_policy=NO_CACHE)
def status_task(limit: int | None = None, settings: Settings | None = None) -> dict[str, Any]:
    return sync_due(limit=limit, settings=settings)


@flow(name="lapor-status")
def lapor_status_flow(
    limit: int | None = None, settings: Settings | None = None, profile: str | None = None
) -> dict[str, Any]:
    """Poll LAPOR! for the status of forwarded complaints that are not final yet."""
    result = status_task(limit, run_settings(settings, profile))
    get_run_logger().info("status: %s", result)
    return result


@task(name="retrain", cache_policy=NO_CACHE)
def retrain_task(options: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    return retrain_step(settings=settings, **options)


@flow(name="retrain")
def retrain_flow(
    data: list[Path] | None = None,
    holdout_fraction: float | None = None,
    seed: int = 0,
    targets: list[str] | None = None,
    min_class_size: int | None = None,
    negatives: list[Path] | None = None,
    promote: bool = True,
    settings: Settings | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Train a challenger on the stored labels (plus ``data`` files), judge it against the
    champion on the latest ``holdout_fraction`` of texts; it becomes champion only if
    ``promote`` and the profile's promotion rules hold."""
    options: dict[str, Any] = {
        "data_files": list(data or []),
        "seed": seed,
        "targets": targets,
        "min_class_size": min_class_size,
        "negatives": negatives,
        "promote": promote,
    }
    if holdout_fraction is not None:
        options["holdout_fraction"] = holdout_fraction
    result = retrain_task(options, run_settings(settings, profile))
    get_run_logger().info(
        "retrain: %s",
        {k: result.get(k) for k in ("version", "promoted", "reasons", "champion_version")},
    )
    return result


@flow(name="pipeline")
def pipeline_flow(
    max_pages: int | None = None,
    forward: bool = True,
    settings: Settings | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """The regular run: harvest -> classify -> triage -> forward, each a subflow."""
    settings = run_settings(settings, profile)
    summary = {"harvest": harvest_flow(max_pages=max_pages, settings=settings)}
    classified = classify_flow(settings=settings, return_state=True)
    if not classified.is_completed():  # e.g. no champion model: its one line says what to do
        return Failed(message=f"classify: {classified.message}")
    summary["classify"] = classified.result()
    summary["triage"] = triage_flow(settings=settings)
    if forward:
        summary["forward"] = forward_flow(settings=settings)
    with session_factory(get_engine(settings.sqlalchemy_url))() as session:
        summary["store"] = pipeline_counts(session=session)
    logger = get_run_logger()
    # Each step's counts again in the pipeline's own log (`prefect flow-run logs` of this run);
    # the subflow runs keep their detailed logs.
    for step, counts in summary.items():
        if step != "store":
            logger.info("%s: %s", step, counts)
    logger.info("pipeline done: %s", summary["store"])
    return summary


FLOWS = {
    "pipeline": pipeline_flow,
    "harvest": harvest_flow,
    "classify": classify_flow,
    "triage": triage_flow,
    "forward": forward_flow,
    "replies": replies_flow,
    "status": lapor_status_flow,
    "retrain": retrain_flow,
}
