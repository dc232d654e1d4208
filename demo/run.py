"""The demo (`aduan demo`): the whole job offline — fake Facebook page in, LAPOR! simulator out.
Nothing here talks to the internet; everything it starts stops on exit."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import typer
import yaml

from config.profile import get_profile, load_profile
from config.settings import Settings, load_settings
from demo.serve import DEMO_TOKEN_ENV, DemoSchedules, continuation
from lapor.forward import forward_due
from lapor.replies.run import send_due_replies
from lapor.status import sync_due
from store.db import get_engine, session_factory

DEMO_SOURCE = "pemkot-kupang-fb-demo"
DEMO_CHANNEL_ID = "1"  # the simulator's channel for integrations
DEMO_USER = "fasilitator"
NOT_SENT_PREFIX = "balasan tidak bisa dikirim: "
DEMO_REPLY_RATE = 0  # replies.yaml requests_per_second: 0 = no wait between requests


@dataclass
class DemoSummary:
    """What the demo did, for the console and for tests."""

    home: str
    model_version: str = ""
    model_trained: bool = False
    store: dict[str, Any] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)
    review_url: str | None = None
    replies: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    password: str | None = None
    labels_imported: int = 0
    continuation: dict[str, Any] = field(default_factory=dict)


# What the demo does, in order:
#     1. a fresh SQLite store under ADUAN_HOME/demo
#     2. the fake Graph API serving profiles/kupang/demo/facebook_page.json, the LAPOR! simulator
#     3. the default model, trained from the profile's seed corpus (or reused if already trained
#        from the same files)
#     4. a copy of the profile whose LAPOR! ids come from the simulator's reference lists and whose
#        sources.yaml points at the fake page
#     5. pipeline_flow on Prefect's embedded API: harvest -> classify -> triage -> forward
#     6. the seed corpus imported as training labels (so `aduan run retrain` has something to learn)
#        and a demo facilitator account; the env file and commands that continue from them
#     7. the review app until Ctrl-C, with the forward and status schedules running against the
#        simulator (``--no-serve`` stops before this)
@contextmanager
def running_demo() -> Iterator[tuple[DemoSummary, dict[str, str], Settings]]:
    """Set up and run the demo; the fakes stop when the block ends. Yields the summary, the
    environment that continues it in another shell, and the demo's own settings."""
    from demo.fake_facebook import FakeGraphAPI
    from demo.lapor_simulator_routes import start_simulator

    settings = load_settings()
    base_profile = Path(settings.profile)
    demo_home = Path(settings.home).resolve() / "demo"
    _fresh_folder(demo_home)
    summary = DemoSummary(home=str(demo_home))
    env = {
        "ADUAN_DATABASE_URL": f"sqlite:///{demo_home / 'aduan.sqlite3'}",
        "ADUAN_MODELS_DIR": str(demo_home.parent / "demo-models"),
    }
    with ExitStack() as stack:
        page = stack.enter_context(
            FakeGraphAPI.from_file(base_profile / "demo" / "facebook_page.json")
        )
        simulator = stack.enter_context(
            _started(start_simulator(load_profile(base_profile), step_s=20.0))
        )
        env |= {
            "ADUAN_LAPOR_BASE_URL": simulator.url,
            "ADUAN_LAPOR_API_KEY": simulator.state.config.api_key,
            "ADUAN_LAPOR_TOKEN": simulator.state.config.token,
            "ADUAN_LAPOR_PUBLIC_URL": f"{simulator.url}/pengaduan/{{nomor}}",
            DEMO_TOKEN_ENV: "fake-demo-token",
        }
        # The demo's own settings: its store, registry and the simulator, passed to every step.
        demo_settings = load_settings(
            home=settings.home,
            database_url=env["ADUAN_DATABASE_URL"],
            models_dir=env["ADUAN_MODELS_DIR"],
            lapor_base_url=env["ADUAN_LAPOR_BASE_URL"],
            lapor_api_key=env["ADUAN_LAPOR_API_KEY"],
            lapor_token=env["ADUAN_LAPOR_TOKEN"],
            lapor_public_url=env["ADUAN_LAPOR_PUBLIC_URL"],
        )
        # The fake page's token is read by its source (and its reply client) from the
        # environment, as every platform's secret: the one variable the demo sets.
        stack.enter_context(_environment({DEMO_TOKEN_ENV: env[DEMO_TOKEN_ENV]}))
        _say(
            "1/5 store and fakes ready",
            f"fake Graph API {page.api_url}, LAPOR! SIMULATOR {simulator.url}",
        )
        summary.model_version, summary.model_trained = default_model(
            base_profile, Path(env["ADUAN_MODELS_DIR"])
        )
        _say(
            "2/5 model",
            f"{summary.model_version} "
            f"({'trained from the seed corpus' if summary.model_trained else 'reused'})",
        )
        profile_dir = demo_profile(base_profile, demo_home / "profile", page.api_url, demo_settings)
        demo_settings = demo_settings.model_copy(update={"profile": profile_dir})
        _say("3/5 profile", f"{profile_dir} (LAPOR! ids from the simulator)")
        summary.pipeline = run_pipeline(demo_settings)
        summary.store = summary.pipeline.get("store", {})
        _say("4/5 pipeline", json.dumps(summary.store))
        summary.labels_imported = import_seed_labels(base_profile, demo_settings)
        summary.replies = demo_reply_summary(page.api_url, demo_settings)
        _say("4/5 replies", summary.replies["line"])
        summary.user, summary.password = DEMO_USER, create_demo_user(demo_settings)
        _say(
            "5/5 account and labels",
            f"{summary.user} (facilitator, all agencies); {summary.labels_imported} seed labels "
            "for `aduan run retrain`",
        )
        env = {**env, "ADUAN_PROFILE": str(profile_dir)}
        summary.continuation = continuation(env, demo_home)
        yield summary, env, demo_settings


def seed_files(profile_dir: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """The profile's seed corpus: (labelled complaints, non-complaints, relevance files
    ``seed/relevance*.csv``: texts labelled complaint or not, for the relevance head only)."""
    seed = Path(profile_dir) / "seed"
    negatives = [seed / "non_complaints.csv"]
    relevance = sorted(seed.glob("relevance*.csv"))
    return [seed / "complaints.csv"], [p for p in negatives if p.is_file()], relevance


def default_model(profile_dir: Path, models_dir: Path) -> tuple[str, bool]:
    """The champion of ``models_dir`` if it was trained from this profile's seed files as they
    are now; otherwise train one from them (seconds) and make it the champion.

    The champion is trained without the seed complaints ``aduan run retrain`` will hold out once
    the demo has imported them as labels (the latest ``HOLDOUT_FRACTION`` by time): the first
    retrain then judges champion and challenger on texts neither has seen. Which texts it was
    trained on is recorded in the bundle (``training_keys.txt``, as a retrained model's), so a
    retrain can check it.
    """
    from classifier.data import file_info
    from classifier.registry import Registry
    from classifier.train import SEED_MIN_CLASS_SIZE, train_bundle
    from training.dataset import split_file, train_rows_of
    from training.retrain import KEY_CHARS, TRAINING_KEYS

    files, negatives, relevance = seed_files(profile_dir)
    targets = ["agency", "topic"]
    train = [r for path in files for r in split_file(path, targets)[0]]
    keys = "\n".join(sorted(r.key[:KEY_CHARS] for r in train)) + "\n"
    wanted = sorted(file_info(p, 0).sha256 for p in negatives + relevance)
    registry = Registry(models_dir)
    champion = registry.champion_version()
    if champion and registry.is_trusted(champion):  # (a champion from before trusted.json: retrain)
        manifest = registry.manifest(champion)
        used = [*manifest.get("negative_files", []), *manifest.get("relevance_files", [])]
        trained_on = registry.path_of(champion) / TRAINING_KEYS
        if (
            not manifest.get("data_files")
            and sorted(f.get("sha256", "") for f in used) == wanted
            and trained_on.is_file()
            and trained_on.read_text(encoding="utf-8") == keys
        ):
            return champion, False
    out = train_bundle(
        rows=train_rows_of(train, targets),
        targets=targets,
        negatives=negatives,
        relevance_data=relevance,
        min_class_size=SEED_MIN_CLASS_SIZE,
        out_dir=models_dir / ".incoming",
    )
    (out / TRAINING_KEYS).write_text(keys, encoding="utf-8")
    version = registry.add(out, move=True)
    registry.promote(version)
    return version, True


def demo_profile(base: Path, out: Path, graph_url: str, settings: Settings) -> Path:
    """A copy of ``base`` with LAPOR! ids mapped from the simulator and the fake page enabled."""
    from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID
    from lapor.client import LaporClient
    from lapor.mapping import auto_map, fold, write_profile_copy

    profile = load_profile(base)
    client = LaporClient.from_settings(settings)
    by_name: dict[str, dict[str, list[str]]] = {}
    for kind, items in (
        ("institution", client.institutions()),
        ("category", client.categories()),
        ("location", client.locations()),
    ):
        for item in items:
            by_name.setdefault(kind, {}).setdefault(fold(item.name), []).append(str(item.ref_id))
    mapping = auto_map(profile, by_name)
    mapping.channel_id = DEMO_CHANNEL_ID
    mapping.user_id, mapping.classification_id = str(SIM_USER_ID), str(SIM_CLASSIFICATION_ID)
    write_profile_copy(profile, mapping, out)
    page_id = json.loads((base / "demo" / "facebook_page.json").read_text())["page"]["id"]
    sources = {
        "sources": [
            {
                "name": DEMO_SOURCE,
                "type": "facebook_page",
                "enabled": True,
                "page_id": page_id,
                "token_env": DEMO_TOKEN_ENV,
                "base_url": graph_url,
            }
        ]
    }
    header = "# Written by `aduan demo`: the fake Pemkot Kupang page on the local fake Graph API.\n"
    (out / "sources.yaml").write_text(header + yaml.safe_dump(sources, sort_keys=False))
    demo_replies(base, out)
    return out


def demo_replies(base: Path, out: Path) -> None:
    """The profile's replies.yaml with replies on (sent automatically) for the fake page: the
    demo's forwarded cases get a reply under the citizen's comment on the fake Graph API."""
    replies = yaml.safe_load((base / "replies.yaml").read_text(encoding="utf-8")) or {}
    # No pause between requests: the fake page is local (real platforms keep the default 1/s).
    replies["sources"] = {
        DEMO_SOURCE: {"enabled": True, "policy": "auto", "requests_per_second": DEMO_REPLY_RATE}
    }
    header = "# Written by `aduan demo`: replies under the fake page's comments, sent at once.\n"
    (out / "replies.yaml").write_text(header + yaml.safe_dump(replies, sort_keys=False))


def demo_reply_summary(api_url: str, settings: Settings) -> dict[str, Any]:
    """How many replies were posted to the fake page, how many cannot be sent and why, a
    fake-API URL that shows one, and the console line that says all of it."""
    from sqlalchemy import func, select

    from store.replies import count_replies_by_state
    from store.tables import Reply

    with session_factory(get_engine(settings.sqlalchemy_url))() as session:
        counts = count_replies_by_state(session=session)
        target = session.scalars(
            select(Reply.target_id).where(Reply.state == "sent").order_by(Reply.id).limit(1)
        ).first()
        reasons = session.execute(
            select(Reply.last_error, func.count())
            .where(Reply.state == "failed")
            .group_by(Reply.last_error)
            .order_by(func.count().desc())
        ).all()
    example = (
        f"{api_url}/{target}/comments?fields=id,message,from&access_token=demo" if target else None
    )
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    line = f"{sent} balasan terkirim"
    if failed:
        why = "; ".join(
            f"{(reason or 'tanpa alasan').removeprefix(NOT_SENT_PREFIX)}"
            + (f" ({n})" if len(reasons) > 1 else "")
            for reason, n in reasons
        )
        line += f", {failed} tidak bisa dikirim: {why}"
    line += f"; satu thread di halaman palsu: {example or '-'}"
    return {"sent": sent, "failed": failed, "states": counts, "example": example, "line": line}


def run_pipeline(settings: Settings) -> dict[str, Any]:
    """pipeline_flow with ``settings`` on Prefect's embedded API; its summary (counts only)."""
    from flows.flows import pipeline_flow

    state = pipeline_flow(settings=settings, return_state=True)
    if not state.is_completed():
        from flows.exceptions import FlowError

        raise FlowError(f"the demo pipeline ended {state.name}: {state.message or ''}")
    return state.result()


def import_seed_labels(profile_dir: Path, settings: Settings) -> int:
    """The profile's seed complaints as training labels in the demo store (with provenance)."""
    from training.label_import import import_file

    mapping = {"text": "text", "agency": "agency", "topic": "topic", "created_at": "created_at"}
    report, _ = import_file(
        profile_dir / "seed" / "complaints.csv",
        fmt="csv",
        mapping=mapping,
        timezone=get_profile(settings.profile).timezone,
        factory=session_factory(get_engine(settings.sqlalchemy_url)),
    )
    return report.inserted


def create_demo_user(settings: Settings) -> str:
    """A facilitator account for all agencies with a fresh random password."""
    from review.auth import hash_password
    from store.db import transaction
    from store.users import create_user

    password = secrets.token_urlsafe(9)
    with transaction(session_factory(get_engine(settings.sqlalchemy_url))) as session:
        create_user(
            session=session,
            name=DEMO_USER,
            role="facilitator",
            password_hash=hash_password(password),
            actor="demo",
        )
    return password


def serve_review(host: str, port: int, settings: Settings) -> None:
    """The review app on ``host:port`` with the forward and status schedules running against the
    simulator (``settings``: the demo's), until Ctrl-C."""
    import uvicorn

    from review.app import create_app

    with DemoSchedules(
        forward=partial(forward_due, settings=settings),
        status=partial(sync_due, settings=settings),
        replies=partial(send_due_replies, settings=settings),
    ):
        uvicorn.run(create_app(settings=settings), host=host, port=port, log_level="warning")


def _say(step: str, detail: str) -> None:
    typer.echo(f"[demo] {step}: {detail}", err=True)


def _fresh_folder(path: Path) -> None:
    """An empty ``path``; a previous demo there is removed, and the console says so first."""
    if path.exists():
        typer.echo(
            f"[demo] removing the previous demo in {_shown(path)} (its decisions and users)",
            err=True,
        )
        shutil.rmtree(path)
    path.mkdir(parents=True)


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is under it (var/demo), else absolute."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@contextmanager
def _started(server: Any) -> Iterator[Any]:
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block and restore them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
