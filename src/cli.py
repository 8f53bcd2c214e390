"""The `ukuk` command: serve, migrate, create-admin, demo-data, seed-bench, worker, audit verify, keys,
retention, export htcds, report monitoring, openapi."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from src.exports.cli import export_app
from src.platform.commands import settings_with, with_database, with_engine
from src.platform.config import Settings, get_settings, settings_problem
from src.report_cli import report_app

app = typer.Typer(help="Ukuk: case management for violations of migrants' rights.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
retention_app = typer.Typer(
    help="Anonymising closed cases past their retention period.", no_args_is_help=True
)
app.add_typer(retention_app, name="retention")
keys_app = typer.Typer(
    help="Field encryption keys: add one, see which values each seals, rotate.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")


@app.callback()
def _settings_in_bounds() -> None:
    # Settings are read before any command: one out of bounds is a line naming its variable, not a traceback.
    try:
        get_settings()
    except ValidationError as error:
        typer.echo(settings_problem(error), err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before serving.")] = True,
    demo_data: Annotated[
        bool,
        typer.Option(
            help="Load the demo world when no user account exists (not in production): its accounts before "
            "serving, its cases beside the server."
        ),
    ] = False,
) -> None:
    """Serve the API (starts the embedded PostgreSQL when DATABASE_URL is unset; stops it on exit)."""
    import uvicorn

    from src.platform.observability import configure_logging
    from src.platform.postgres import database_url, run_migrations
    from src.seed.demo import start_demo_world

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if demo_data and settings.is_production:
        typer.echo("error: demo data is refused when UKUK_ENV=production", err=True)
        raise typer.Exit(2)
    # One embedded PostgreSQL for migrations, demo data and serving (`make run`): started once, not thrice.
    with database_url(settings) as url:
        if migrate:
            run_migrations(url, settings.db_app_role)
        if demo_data:
            start_demo_world(settings_with(url), typer.echo)
        get_settings.cache_clear()
        # uvicorn drains in-flight requests on SIGTERM/SIGINT, then raises the signal again once it has
        # restored the previous handler: with this one the process ends normally, so the embedded
        # PostgreSQL is stopped at exit instead of being left running.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)
        uvicorn.run(
            "src.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # No dictConfig of uvicorn's own: its records reach the root handler configure_logging installed
            # (and create_app installs again in each worker process), in the app's format.
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=30,
            proxy_headers=True,
            server_header=False,
        )


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    from src.platform.postgres import database_url, run_migrations

    settings = get_settings()
    with database_url(settings) as url:
        run_migrations(url, settings.db_app_role)
    typer.echo("migrations applied")


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="The administrator's username.")],
    password: Annotated[str, typer.Option(help="At least 12 characters.", prompt=True, hide_input=True)],
    organization: Annotated[str, typer.Option(help="Name of the ministry created when none exists.")] = (
        "Ministry of Labour, Social Security and Migration"
    ),
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 of the ministry.")] = "KG",
) -> None:
    """Create the first administrator, and a ministry organization for it when there is none."""
    from src.seed.bootstrap import create_admin as create

    try:
        user_id = with_database(
            lambda s: create(
                s, username=username, password=password, organization=organization, country=country
            )
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"admin created: {user_id}")


@app.command("demo-data")
def demo_data(
    if_empty: Annotated[bool, typer.Option(help="Do nothing when user accounts exist already.")] = False,
) -> None:
    """Load the demo world: a ministry, four consulates, two NGOs, an oversight body, one user per role."""
    from src.seed.demo import load_demo_data

    settings = get_settings()
    if settings.is_production:
        typer.echo("error: demo data is refused when UKUK_ENV=production", err=True)
        raise typer.Exit(2)
    loaded = with_database(lambda s: load_demo_data(s, if_empty=if_empty))
    typer.echo("demo data loaded" if loaded else "demo data skipped: user accounts exist")


@app.command("seed-bench")
def seed_bench(
    cases: Annotated[int, typer.Option(min=1, max=10_000_000, help="How many cases to add.")] = 100_000,
    persons_per_case: Annotated[
        int, typer.Option(min=1, max=50, help="People per case (the subject and others).")
    ] = 1,
    audit_events_per_case: Annotated[
        int, typer.Option(min=0, max=1000, help="Audit events to add per generated case (all of them).")
    ] = 0,
    batch: Annotated[int, typer.Option(min=1, max=1_000_000, help="Cases per transaction.")] = 50_000,
) -> None:
    """Add generated cases with transitions, referrals, redress actions and audit events (benchmarks; not in
    production), in batches of one transaction each, with a progress bar."""
    from src.platform.session import create_owner_engine
    from src.seed.bench_data import seed, seed_audit_events

    settings = get_settings()
    if settings.is_production:
        typer.echo("error: benchmark data is refused when UKUK_ENV=production", err=True)
        raise typer.Exit(2)

    async def work(with_url: Settings) -> Any:
        assert with_url.database_url
        engine = create_owner_engine(with_url.database_url, with_url)
        totals = [0, 0, 0, 0, 0]
        try:
            with typer.progressbar(length=cases, label="cases", file=sys.stderr) as bar:
                for start in range(0, cases, batch):
                    size = min(batch, cases - start)
                    async with engine.begin() as conn:
                        done = await seed(
                            conn, size, persons_per_case=persons_per_case, seed=(0.42 + start / 1e8) % 1
                        )
                    totals[:4] = [a + b for a, b in zip(totals, done.__dict__.values(), strict=False)]
                    bar.update(size)
            if audit_events_per_case:
                after: Any = "00000000-0000-0000-0000-000000000000"
                with typer.progressbar(length=cases, label="audit events", file=sys.stderr) as bar:
                    while True:
                        async with engine.begin() as conn:
                            added, after = await seed_audit_events(conn, audit_events_per_case, after, batch)
                        totals[4] += added
                        bar.update(added // audit_events_per_case)
                        if added < batch * audit_events_per_case:
                            break
        finally:
            await engine.dispose()
        return totals

    added_cases, transitions, referrals, redress, events = with_database(work)
    typer.echo(
        f"added {added_cases} cases, {transitions} transitions, {referrals} referrals, "
        f"{redress} redress actions, {events} audit events"
    )


@app.command()
def worker() -> None:
    """Run the background work apart from the API: the audit sequencer (one leads, others stand by), webhook
    delivery (many may run: SKIP LOCKED), the expiry of pending referrals past due (every minute) and the
    consulates' deadline alerts (each once)."""
    import structlog

    from src.audit.sequencer import Sequencer, SequencerRefused, create_sequencer
    from src.platform.session import create_engine

    async def run(settings: Settings) -> None:
        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        try:
            sequencer = create_sequencer(settings, engine)
        except SequencerRefused as exc:
            await engine.dispose()
            structlog.get_logger("ukuk.worker").error("sequencer_refused", reason=str(exc))
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        from src.cases.alerts import DeadlineAlerter
        from src.referrals.expiry import ReferralExpirer
        from src.webhooks.delivery import DeliveryWorker, http_client

        http = http_client(settings)
        jobs: list[Sequencer | DeliveryWorker | ReferralExpirer | DeadlineAlerter] = [
            sequencer,
            DeliveryWorker(engine, settings, http),
            ReferralExpirer(engine),
            DeadlineAlerter(engine, settings),
        ]
        loop = asyncio.get_running_loop()

        def shut_down() -> None:
            for job in jobs:
                job.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, shut_down)
        try:
            await asyncio.gather(*(job.run() for job in jobs))
        finally:
            await http.aclose()
            await engine.dispose()

    with_database(run)


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recompute the chain: checked count, first broken seq, late events; exit 1 when not ok."""
    from src.audit.verify import verify_chain
    from src.platform.session import create_engine

    async def run(settings: Settings) -> Any:
        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        try:
            async with engine.connect() as conn:
                return await verify_chain(
                    conn, max_unsequenced_seconds=settings.audit_max_unsequenced_seconds
                )
        finally:
            await engine.dispose()

    result = with_database(run)
    if as_json:
        typer.echo(json.dumps(result.__dict__))
    else:
        typer.echo(f"checked: {result.checked}")
        bad = "none" if result.first_bad_seq is None else f"{result.first_bad_seq} ({result.reason})"
        typer.echo(f"first broken seq: {bad}")
        typer.echo(f"head hash: {result.head_hash or '-'}")
        typer.echo(
            f"unsequenced longer than {get_settings().audit_max_unsequenced_seconds}s: "
            f"{result.unsequenced_overdue}"
        )
        typer.echo("ok" if result.ok else "NOT OK")
    raise typer.Exit(0 if result.ok else 1)


@keys_app.command("add")
def keys_add(
    key_id: Annotated[str | None, typer.Option("--id", help="The new key's id (default: k<n>).")] = None,
) -> None:
    """Generate a key into the data directory's keyring and make it the one new values use. In production
    keys come from settings: add the key to UKUK_FIELD_KEYS, roll it out, then set UKUK_FIELD_KEY_ACTIVE."""
    from src.crypto import keys

    settings = get_settings()
    keyring = keys.load_keyring(settings)
    if keyring.path is None:
        typer.echo("error: keys come from settings (UKUK_FIELD_KEYS); add the new key there", err=True)
        raise typer.Exit(2)
    try:
        added = keyring.add(key_id)
    except keys.KeyringError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"added key {added} to {keyring.path}; it seals new values now. Run `ukuk keys rotate`.")


@keys_app.command("status")
def keys_status() -> None:
    """How many values each key seals, per column, and which key is active."""
    from src.crypto import keys
    from src.crypto.rotation import key_usage

    usage = with_engine(key_usage)
    typer.echo(f"active key: {keys.current().active}")
    for column, counts in usage.items():
        described = ", ".join(f"{key_id}: {count}" for key_id, count in sorted(counts.items())) or "empty"
        typer.echo(f"{column}: {described}")


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int | None, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = None,
) -> None:
    """Re-encrypt every sealed value under the active key, in batches, while the API keeps serving."""
    from src.crypto import keys
    from src.crypto.rotation import rotate, sealed_rows

    size = batch_size or get_settings().key_rotation_batch_size

    async def work(engine: Any) -> Any:
        total = await sealed_rows(engine)
        with typer.progressbar(length=total, label=f"re-sealing under {keys.current().active}") as bar:
            return await rotate(engine, batch_size=size, progress=bar.update)

    rewritten = with_engine(work)
    typer.echo(f"re-sealed {sum(rewritten.values())} values under {keys.current().active}")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be anonymised.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Cases per transaction.")] = 200,
) -> None:
    """Anonymise closed cases past their kind's period (UKUK_RETENTION_DAYS_<KIND>), except under legal hold
    or while a child in them is under 18; each leaves a case.anonymise event in the audit chain."""
    from src import retention
    from src.platform import clock
    from src.platform.session import create_sessionmaker

    async def work(engine: Any) -> Any:
        return await retention.run(
            create_sessionmaker(engine),
            get_settings(),
            clock.utcnow(),
            batch_size=batch_size,
            dry_run=dry_run,
        )

    done = with_engine(work)
    held = ", ".join(f"{reason}: {count}" for reason, count in sorted(done.held.items())) or "none"
    verb = "would anonymise" if dry_run else "anonymised"
    typer.echo(f"{verb} {len(done.anonymised)} cases; held: {held}")
    if not dry_run:
        typer.echo(f"removed {done.idempotency_records_removed} idempotency records past their replay window")
        typer.echo(f"removed {done.rate_counters_removed} search-budget counters older than an hour")


@app.command()
def openapi(
    output: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Print the OpenAPI contract generated from the app (commit it as openapi/openapi.json)."""
    from src.main import create_app

    settings = get_settings().model_copy(update={"audit_sequencer_enabled": False})
    document = json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(document)
    else:
        output.write_text(document)


if __name__ == "__main__":
    app()
