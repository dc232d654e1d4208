"""``aduan lapor ...``: reference data, mapping, the outbox, reconciliation, reroutes and the local
LAPOR! SIMULATOR (sending and the status sync are pipeline steps: ``aduan run forward|status``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
import yaml

from cli.common import command_group, command_settings
from config.profile import get_profile
from demo.lapor_simulator_routes import run_simulator
from lapor.area_mapping import LocationRow, map_areas
from lapor.client import LaporClient
from lapor.exceptions import LaporError, ReconcileError
from lapor.mapping import (
    auto_map,
    missing_area_ids,
    missing_mappings,
    unknown_ids,
    write_profile_copy,
)
from lapor.reconcile import reconcile
from lapor.reroute import reroute_sent_case
from store.areas import get_gazetteer
from store.db import session_factory
from store.exceptions import StoreError
from store.forwards import count_by_state, list_forwards
from store.lapor_reference import KINDS, ids_by_name, list_reference, replace_reference

app = command_group()


def _now() -> datetime:
    return datetime.now(UTC)


def _client():
    return LaporClient.from_settings(command_settings())


@app.command("sync-reference")
def sync_reference() -> None:
    """Fetch LAPOR!'s institutions, categories and locations and store them with their ids."""

    client = _client()
    lists = {
        "institution": client.institutions(),
        "category": client.categories(),
        "location": client.locations(),
    }
    with session_factory().begin() as session:
        for kind, items in lists.items():
            count = replace_reference(
                session=session,
                kind=kind,
                items=[(i.ref_id, i.name, i.parent_id) for i in items],
                now=_now(),
            )
            typer.echo(f"{kind}: {count}")


@app.command("check")
def check() -> None:
    """List what lacks a LAPOR! id, before sending: agencies, topics, settings (exit 1 if any),
    then the areas of areas.yaml (listed, never blocking)."""

    profile = get_profile(command_settings().profile)
    gazetteer = get_gazetteer(profile.folder)
    problems = missing_mappings(profile)
    with session_factory()() as session:
        known = {k: {r.ref_id for r in list_reference(session=session, kind=k)} for k in KINDS}
    problems += unknown_ids(profile, known, gazetteer)
    if not any(known.values()):
        typer.echo("note: no reference data synced yet (`aduan lapor sync-reference`)")
    for line in problems:
        typer.echo(line)
    areas = missing_area_ids(gazetteer)
    if areas:
        typer.echo(
            f"{len(areas)} area(s) of areas.yaml without LAPOR! ids (not blocking: sent with "
            "lapor.default_location_id and the local-office agency's disposition id; "
            "`aduan lapor map --auto` fills the location ids it finds):"
        )
        for name in ("lapor_location_id", "lapor_disposition_id"):
            count = sum(f"no {name}" in line for line in areas)
            typer.echo(f"  without {name}: {count} of {len(gazetteer.areas)}")
        for line in areas:
            typer.echo(f"  {line}")
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {profile.folder}/taxonomy.yaml")
        raise typer.Exit(1)
    rest = f"; {len(areas)} area(s) above still without ids (not blocking)" if areas else ""
    typer.echo(f"ready to send: every agency, topic and setting has a LAPOR! id{rest}")


@app.command("map")
def map_ids(
    auto: bool = typer.Option(False, "--auto", help="Match names exactly (case-insensitive)."),
    out: Path | None = typer.Option(None, "--out", help="Write a profile copy to this folder."),
    channel_id: str | None = typer.Option(None, "--channel-id", help="Also set lapor.channel_id."),
    user_id: str | None = typer.Option(
        None, "--user-id", help="Also set lapor.user_id (the integration's reporter account)."
    ),
    classification_id: str | None = typer.Option(
        None, "--classification-id", help="Also set lapor.classification_id (report class)."
    ),
) -> None:
    """Fill the profile's LAPOR! ids from the synced reference data by exact name match.

    Agency names -> institutions, topic names -> categories, the region -> a location, and each
    kecamatan/kelurahan of areas.yaml (any of its spellings; case, punctuation and a "Kel."/
    "Kelurahan"/"Kec."/"Kecamatan" prefix ignored) -> a location under the region's. Without --out
    the ids are printed as YAML to paste; with --out a copy of the profile folder is written (use
    it with ADUAN_PROFILE=OUT). Names without exactly one match are listed and left alone.
    """

    if not auto:
        raise typer.BadParameter("only --auto mapping exists; edit taxonomy.yaml by hand otherwise")
    profile = get_profile(command_settings().profile)
    with session_factory()() as session:
        by_name = {kind: ids_by_name(session=session, kind=kind) for kind in KINDS}
        locations = [
            (r.ref_id, r.name, r.parent_id)
            for r in list_reference(session=session, kind="location")
        ]
    if not any(by_name.values()):
        raise LaporError("no reference data synced yet: run `aduan lapor sync-reference` first")
    mapping = auto_map(profile, by_name)
    mapping.channel_id = channel_id
    mapping.user_id, mapping.classification_id = user_id, classification_id
    for line in mapping.unmatched:
        typer.echo(f"unmatched: {line}", err=True)
    gazetteer = get_gazetteer(profile.folder)
    if gazetteer is not None:
        region = mapping.location_id or profile.lapor.default_location_id
        areas = map_areas(gazetteer, [LocationRow(*r) for r in locations], region)
        mapping.areas = areas.ids
        _print_area_mapping(areas, len(gazetteer.areas))
    if out is not None:
        path = write_profile_copy(profile, mapping, out)
        typer.echo(f"wrote {path}; use it with ADUAN_PROFILE={out}")
        return
    typer.echo(
        yaml.safe_dump(
            {
                "lapor": {
                    "channel_id": channel_id,
                    "user_id": user_id,
                    "classification_id": classification_id,
                    "default_location_id": mapping.location_id,
                },
                "agencies": mapping.agencies,
                "topics": mapping.topics,
                **({"areas": mapping.areas} if mapping.areas else {}),
            },
            sort_keys=False,
        )
    )


def _print_area_mapping(areas, total: int) -> None:
    """What the areas' location matching found (standard error: stdout stays pasteable YAML)."""
    typer.echo(
        f"areas: {len(areas.ids)} of {total} matched to a LAPOR! location, "
        f"{len(areas.ambiguous)} ambiguous, {len(areas.missing)} missing",
        err=True,
    )
    for kind, lines in (
        ("matched", areas.matched),
        ("ambiguous", areas.ambiguous),
        ("missing", areas.missing),
    ):
        for line in lines:
            typer.echo(f"  {kind}: {line}", err=True)


@app.command("outbox")
def outbox(
    state: str | None = typer.Option(None, "--state", help="pending|sending|sent|failed|unknown"),
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """Counts per state, and the most recently changed forwards (optionally of one state)."""

    with session_factory()() as session:
        counts = count_by_state(session=session)
        typer.echo("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "outbox empty")
        states = [state] if state else None
        views, _ = list_forwards(session=session, states=states, changed_first=True, limit=limit)
        for row in (view.forward for view in views):
            typer.echo(
                f"#{row.id} case {row.case_id} {row.target} {row.state} attempts {row.attempts} "
                f"id {row.complaint_id or '-'} status {row.status_name or '-'}"
                + (f"  | {row.last_error}" if row.last_error else "")
            )


@app.command("reconcile")
def reconcile_command(
    forward_id: int = typer.Argument(..., help="The forward (outbox row) id."),
    actor: str = typer.Option(..., "--actor", help="Your name, for the audit log."),
    sent: str | None = typer.Option(None, "--sent", help="It is in LAPOR! with this id."),
    resend: bool = typer.Option(False, "--resend", help="It is NOT in LAPOR!: send it again."),
    cancel: bool = typer.Option(False, "--cancel", help="Do not send it."),
) -> None:
    """Settle an unknown/failed forward by hand, after checking LAPOR! (audited).

    --sent ID: it is in LAPOR! with this id; --resend: it is not, send again; --cancel: do not send.
    """

    chosen = [
        name
        for name, given in (("sent", sent is not None), ("retry", resend), ("cancel", cancel))
        if given
    ]
    if len(chosen) != 1:
        raise ReconcileError("reconcile needs exactly one of: --sent ID, --resend, --cancel")
    with session_factory().begin() as session:
        row = reconcile(
            session=session,
            forward_id=forward_id,
            actor=actor,
            resolution=chosen[0],
            complaint_id=sent,
            now=_now(),
        )
        state = row.state
    typer.echo(f"forward {forward_id} is now {state}")


@app.command("reroute")
def reroute_command(
    case_id: int = typer.Argument(..., help="The case (already sent to LAPOR!)."),
    agency: str = typer.Option(..., "--agency", help="Key of the agency that should handle it."),
    actor: str = typer.Option(..., "--actor", help="Your name, for the audit log."),
    reason: str = typer.Option(..., "--reason", help="Why (sent to LAPOR! as reason_description)."),
) -> None:
    """Pass a case LAPOR! already has to another agency ("bukan wewenang"), now.

    Queues the request (as the review app's "Teruskan ke instansi lain" does) and sends it:
    POST /complaints/process/{id}/reject with not_authority, reason (the agency's LAPOR!
    institution id) and reason_description; the new agency is recorded once LAPOR! accepts
    (audited). If LAPOR! cannot be reached, the next `aduan run forward` retries it. A case not
    sent yet is corrected in the review queue instead.
    """

    if not reason.strip():
        raise typer.BadParameter("--reason must say why", param_hint="--reason")
    try:
        complaint_id = reroute_sent_case(
            factory=session_factory(),
            client=_client(),
            profile=get_profile(command_settings().profile),
            case_id=case_id,
            agency=agency,
            actor=actor,
            reason=reason,
        )
    except StoreError as exc:
        raise LaporError(str(exc)) from None
    typer.echo(f"case {case_id} (LAPOR! {complaint_id}) passed to {agency}")


@app.command("simulator")
def simulator(
    port: int = typer.Option(8800, "--port", min=1, max=65535),
    host: str = typer.Option("127.0.0.1", "--host"),
    fault_rate: float = typer.Option(0.0, "--fault-rate", min=0, max=1),
    latency_ms: float = typer.Option(50.0, "--latency-ms", min=0),
    drop_after_commit: float = typer.Option(0.0, "--drop-after-commit", min=0, max=1),
    step_s: float = typer.Option(60.0, "--step-s", min=0.01, help="Seconds per status step."),
    locations: Path | None = typer.Option(
        None, "--locations", help="JSON file of {id, name, parent_id} rows added to its locations."
    ),
) -> None:
    """Run a local LAPOR! SIMULATOR (not SP4N-LAPOR!) for demos and tests.

    Key `simulator-key`, token `simulator-token`: set ADUAN_LAPOR_BASE_URL=http://HOST:PORT,
    ADUAN_LAPOR_API_KEY=simulator-key, ADUAN_LAPOR_TOKEN=simulator-token.
    """

    typer.echo(
        f"LAPOR! SIMULATOR (not SP4N-LAPOR!) on http://{host}:{port}  "
        f"fault-rate {fault_rate}, drop-after-commit {drop_after_commit}, latency {latency_ms} ms"
    )
    run_simulator(
        port=port,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        drop_after_commit=drop_after_commit,
        host=host,
        step_s=step_s,
        locations_file=str(locations) if locations else None,
    )
