"""`ukuk export htcds`: the HTCDS export from the command line, audited as the system (docs/htcds.md).

Its own sub-app, registered by src/cli.py; it opens the database as every command does
(`platform.commands`: the embedded server when DATABASE_URL is unset)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic_core
import typer

from src.platform.commands import with_engine
from src.platform.config import get_settings

export_app = typer.Typer(
    help="Exports in other bodies' standards, de-identified for pooling.", no_args_is_help=True
)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: --{name} takes a date as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None


async def _export(engine: Any, start: date | None, end: date | None, form: str) -> dict[str, Any]:
    from src.audit import service as audit
    from src.exports import service
    from src.platform.session import create_sessionmaker
    from src.reports.service import Period

    async with create_sessionmaker(engine)() as session, session.begin():
        return await service.export(session, audit.SYSTEM, get_settings().htcds_k, Period(start, end), form)


@export_app.command("htcds")
def htcds_command(
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (UTC) of registration, included.")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (UTC) of registration, included.")] = None,
    form: Annotated[
        Literal["json", "csv"], typer.Option("--format", help="json (with the dictionary) or csv.")
    ] = "json",
    output: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Trafficking cases as de-identified HTCDS records (k-anonymous with UKUK_HTCDS_K), audited as
    export.htcds by the system; what was generalized and withheld goes to standard error."""
    from src.exports import htcds

    start, end = _day(from_, "from"), _day(to, "to")
    if start is not None and end is not None and start > end:
        typer.echo("error: --from must not be after --to", err=True)
        raise typer.Exit(2)
    done = with_engine(lambda engine: _export(engine, start, end, form))
    content = (
        htcds.to_csv(done["records"]) if form == "csv" else pydantic_core.to_json(done, indent=2) + b"\n"
    )
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        output.write_bytes(content)
    meta = done["metadata"]
    counts = f"{meta['generalized']} generalized, {meta['withheld']} withheld"
    typer.echo(f"{meta['records']} records (k={meta['k']}): {counts}", err=True)
