"""Scale bench: one Prefect worker against two, on a PostgreSQL store.

A Prefect server (PostgreSQL backend) on 127.0.0.1, the `aduan-process` pool, the pipeline
deployed from flows/prefect.yaml (its concurrency limit lifted, so that two workers CAN run two
pipelines at once), the fake Graph API serving one Page of ``--posts`` items (posts and comments
whose texts are the Kupang seed corpus with a per-item suffix), the LAPOR! simulator. For each
worker count: a fresh store, the workers (``--limit 1``), the pipeline triggered ``--runs``
times at once, the wall time until every run is final. Then the store is checked for
duplicates (must be 0): posts stored twice, posts classified twice by one model, empty cases,
cases sent to LAPOR! twice. Each step's time comes from its subflow runs (Prefect's
``total_run_time``), so the output says where the time goes: the store (classify, triage), the
forwarder, or Prefect (start latency and the pipeline's time outside its steps).

    nice .venv/bin/python bench/scale_bench.py [--posts 10000] [--runs 4]

Needs PostgreSQL on 127.0.0.1:5432 (``ADUAN_BENCH_POSTGRES_URL``, an admin URL that may create
databases). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, func, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEED = REPO / "profiles" / "kupang" / "seed"
BIN = Path(sys.executable).parent
PAGE_ID = "104620001234567"
ADMIN_URL = os.environ.get(
    "ADUAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REF = re.compile(r"Ref: aduan-(\d+)")
STEPS = ("harvest", "classify", "triage", "forward")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_texts() -> list[str]:
    from classifier.data import read_rows

    texts = []
    for name in ("complaints.csv", "non_complaints.csv"):
        texts += [row["text"] for row in read_rows(SEED / name)[0] if row.get("text")]
    return texts


def make_page(n_items: int, rng: random.Random) -> dict:
    """A Page of ``n_items`` items: posts by the Page, each with up to 99 citizens' comments."""
    texts = seed_texts()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    posts, made, k = [], 0, 0
    while made < n_items:
        post_time = start + timedelta(minutes=37 * k)
        post_id = f"{PAGE_ID}_{9 * 10**14 + k}"
        comments = []
        for j in range(min(99, n_items - made - 1)):
            at = post_time + timedelta(minutes=3 * (j + 1))
            comments.append(
                {
                    "id": f"{9 * 10**14 + k}_{10**15 + made + j}",
                    "message": f"{rng.choice(texts)} (RT {rng.randint(1, 30)})",
                    "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                    "from": {"id": str(5 * 10**12 + rng.randint(1, 4000)), "name": "Warga"},
                }
            )
        posts.append(
            {
                "id": post_id,
                "message": f"Info Pemkot Kupang nomor {k}: layanan kelurahan buka pukul 08.00.",
                "created_time": post_time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{k}",
                "from": {"id": PAGE_ID, "name": "Pemerintah Kota Kupang"},
                "comments": comments,
            }
        )
        made += 1 + len(comments)
        k += 1
    return {"page": {"id": PAGE_ID, "name": "Pemerintah Kota Kupang"}, "posts": posts}


def mapped_profile(out: Path, graph_url: str) -> Path:
    """The Kupang profile with the simulator's LAPOR! ids and one source: the fake Page."""
    from config.profile import load_profile
    from demo.lapor_simulator import reference_lists
    from lapor.mapping import auto_map, fold, write_profile_copy

    kupang = load_profile(REPO / "profiles" / "kupang")
    by_name: dict[str, dict[str, list[str]]] = {}
    kinds = ("institution", "category", "location")
    for kind, rows in zip(kinds, reference_lists(kupang).values(), strict=True):
        for row in rows:
            by_name.setdefault(kind, {}).setdefault(fold(row["name"]), []).append(str(row["id"]))
    mapping = auto_map(kupang, by_name)
    mapping.channel_id = "1"
    write_profile_copy(kupang, mapping, out)
    source = {
        "name": "bench-page",
        "type": "facebook_page",
        "enabled": True,
        "page_id": PAGE_ID,
        "token_env": "ADUAN_FB_TOKEN",
        "base_url": graph_url,
        "requests_per_second": 0,
        "limit": 100,
    }
    (out / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}))
    return out


def train_model(folder: Path) -> Path:
    from classifier.registry import Registry
    from classifier.train import train_bundle

    bundle = train_bundle(
        data_files=[SEED / "complaints.csv"],
        targets=["agency", "topic"],
        negatives=[SEED / "non_complaints.csv"],
        out_dir=folder / "trained",
        min_class_size=20,
        validation_fraction=0,
    )
    registry = Registry(folder / "registry")
    registry.promote(registry.add(bundle))
    return folder / "registry"


def create_database(admin, prefix: str, driver: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin.url.set(database=name, drivername=driver).render_as_string(hide_password=False)


def drop_database(admin, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def prefect(args: list[str], env: dict) -> str:
    done = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"prefect {' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr}")
    return done.stdout


def bench_prefect_file(folder: Path) -> Path:
    """flows/prefect.yaml with the pipeline's schedule and concurrency limit removed."""
    spec = yaml.safe_load((REPO / "flows" / "prefect.yaml").read_text())
    spec["deployments"] = [d for d in spec["deployments"] if d["name"] == "aduan-pipeline"]
    spec["deployments"][0].pop("concurrency_limit", None)
    spec["deployments"][0]["schedules"] = []
    path = folder / "prefect-bench.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def wait_healthy(api: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"prefect server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{api}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("prefect server did not start")


def flow_run_times(api: str, since: datetime) -> dict:
    """Per flow name: summed run time (s); for the pipelines, start latency and own time."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime

    with SyncPrefectClient(api) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)),
            limit=200,
        )
        names = {f.id: f.name for f in client.read_flows()}
    out: dict = {name: 0.0 for name in (*STEPS, "pipeline")}
    latency = []
    for run in runs:
        name = names.get(run.flow_id, "?")
        out[name] = out.get(name, 0.0) + run.total_run_time.total_seconds()
        if name == "pipeline" and run.start_time and run.created:
            latency.append((run.start_time - run.created).total_seconds())
    out["pipeline_outside_steps"] = out["pipeline"] - sum(out[s] for s in STEPS)
    out["start_latency_max"] = max(latency, default=0.0)
    return {k: round(v, 1) for k, v in out.items()}


def store_check(url: str, graph, simulator) -> dict:
    from store.db import make_engine
    from store.tables import Case, Classification, Forward, PostRow

    engine = make_engine(url)
    with engine.connect() as conn:
        posts = conn.execute(select(func.count()).select_from(PostRow.__table__)).scalar()
        keys = conn.execute(
            select(func.count()).select_from(
                select(PostRow.source, PostRow.external_id).distinct().subquery()
            )
        ).scalar()
        classifications = conn.execute(select(func.count(Classification.id))).scalar()
        classified_keys = conn.execute(
            select(func.count()).select_from(
                select(Classification.post_id, Classification.model_version).distinct().subquery()
            )
        ).scalar()
        cases = conn.execute(select(func.count(Case.id))).scalar()
        empty = conn.execute(
            select(func.count(Case.id)).where(
                ~select(PostRow.id).where(PostRow.case_id == Case.id).exists()
            )
        ).scalar()
        sent = conn.execute(select(func.count()).where(Forward.state == "sent")).scalar()
        waiting = conn.execute(
            select(func.count()).where(PostRow.state.in_(("new", "classified")))
        ).scalar()
    engine.dispose()
    refs = [REF.search(c["content"]) for c in simulator.state.complaints.values()]
    complaint_cases = [m.group(1) for m in refs if m]
    resent = len(complaint_cases) - len(set(complaint_cases))
    return {
        "items": graph.item_count,
        "posts": posts,
        "untriaged": waiting,
        "lapor_complaints": len(simulator.state.complaints),
        "cases": cases,
        "sent": sent,
        "duplicates": {
            "posts": posts - keys,
            "classifications": classifications - classified_keys,
            "empty_cases": empty,
            "resent_to_lapor": resent,
        },
    }


def one_config(n_workers: int, ctx: dict) -> dict:
    from config.profile import load_profile
    from demo.lapor_simulator_routes import start_simulator
    from store.db import make_engine
    from store.migrate import upgrade

    store_url = create_database(ctx["admin"], "aduan_scale", "postgresql+psycopg")
    engine = make_engine(store_url)
    upgrade(engine)
    engine.dispose()
    simulator = start_simulator(load_profile(ctx["profile"]), step_s=3600)
    env = {
        **ctx["env"],
        "ADUAN_DATABASE_URL": store_url,
        "ADUAN_LAPOR_BASE_URL": simulator.url,
    }
    workers = []
    try:
        for k in range(n_workers):
            machine = {**env, "ADUAN_HOME": str(ctx["tmp"] / f"w{n_workers}-{k}")}
            cmd = [str(BIN / "prefect"), "worker", "start", "--pool", "aduan-process"]
            cmd += ["--type", "process", "--limit", "1"]
            workers.append(start(cmd, machine, ctx["tmp"] / f"worker-{n_workers}-{k}.log"))
        time.sleep(5)
        from prefect.client.orchestration import SyncPrefectClient

        since = datetime.now(UTC)
        t0 = time.perf_counter()
        with SyncPrefectClient(ctx["api"]) as client:
            deployment = client.read_deployment_by_name("pipeline/aduan-pipeline")
            runs = [
                client.create_flow_run_from_deployment(deployment.id).id for _ in range(ctx["runs"])
            ]
            states = {}
            deadline = time.monotonic() + ctx["timeout"]
            while len(states) < len(runs) and time.monotonic() < deadline:
                for run_id in runs:
                    state = client.read_flow_run(run_id).state
                    if state.is_final():
                        states[run_id] = state.name
                time.sleep(1)
        wall = time.perf_counter() - t0
    finally:
        for worker in workers:
            stop(worker)
    result = {
        "workers": n_workers,
        "wall_s": round(wall, 1),
        "runs": sorted(states.values()) + ["(not final)"] * (len(runs) - len(states)),
        "steps_s": flow_run_times(ctx["api"], since - timedelta(seconds=5)),
        **store_check(store_url, ctx["graph"], simulator),
    }
    simulator.stop()
    drop_database(ctx["admin"], store_url)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    from demo.fake_facebook import FakeGraphAPI

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    tmp = Path(tempfile.mkdtemp(prefix="aduan-scale-"))
    graph = FakeGraphAPI(make_page(args.posts, random.Random(7))).start()
    prefect_db = create_database(admin, "prefect_scale", "postgresql+asyncpg")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ADUAN_"))}
    base.update(DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    server_env = {
        **base,
        "PREFECT_HOME": str(tmp / "prefect-server"),
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
        "PREFECT_UI_ENABLED": "false",
    }
    server = start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        server_env,
        tmp / "server.log",
    )
    try:
        env = {
            **base,
            "PREFECT_HOME": str(tmp / "prefect-client"),
            "PREFECT_API_URL": api,
            "ADUAN_PROFILE": str(mapped_profile(tmp / "profile", graph.api_url)),
            "ADUAN_MODELS_DIR": str(train_model(tmp / "models")),
            "ADUAN_AUTHOR_SECRET": "scale-bench-secret",
            "ADUAN_FB_TOKEN": "fake-graph-token",
            "ADUAN_LAPOR_API_KEY": "simulator-key",
            "ADUAN_LAPOR_TOKEN": "simulator-token",
        }
        wait_healthy(api, server, tmp / "server.log")
        os.environ["PREFECT_API_URL"] = api  # this process's client
        prefect(["work-pool", "create", "aduan-process", "--type", "process"], env)
        prefect(["deploy", "--prefect-file", str(bench_prefect_file(tmp)), "--all"], env)
        ctx = {
            "admin": admin, "tmp": tmp, "graph": graph, "api": api, "env": env,
            "profile": Path(env["ADUAN_PROFILE"]), "runs": args.runs, "timeout": args.timeout,
        }  # fmt: skip
        results = [one_config(n, ctx) for n in (1, 2)]
    finally:
        stop(server)
        graph.stop()
        drop_database(admin, prefect_db)
        shutil.rmtree(tmp, ignore_errors=True)
    one, two = results
    for r in results:
        print(
            f"{r['workers']} worker(s): {r['wall_s']} s for {args.runs} pipeline runs "
            f"({', '.join(r['runs'])}); {r['posts']} posts, {r['cases']} cases, {r['sent']} sent; "
            f"duplicates {r['duplicates']}; step time {r['steps_s']}"
        )
    ratio = round(one["wall_s"] / two["wall_s"], 2) if two["wall_s"] else None
    duplicates = sum(sum(r["duplicates"].values()) for r in results)
    print(f"two workers vs one: {ratio}x faster (>1: two workers help); duplicates: {duplicates}")
    load = [round(x, 2) for x in os.getloadavg()]
    print(
        json.dumps(
            {
                "bench": "scale",
                "posts": args.posts,
                "runs": args.runs,
                "one_worker_s": one["wall_s"],
                "two_workers_s": two["wall_s"],
                "ratio": ratio,
                "duplicates": duplicates,
                "results": results,
                "load_average": load,
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
