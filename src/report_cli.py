"""`ukuk report monitoring`: the monitoring report written to a file, for a scheduled (quarterly) job.

It reads as a named coordinator or auditor (`--as`): the title page says who generated it, the read is audited
under that account as the API's is, and the same permission applies. A line per section on standard error
shows how far a long report has come."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from src.platform.commands import with_engine

report_app = typer.Typer(help="Reports written to a file (the monitoring report).", no_args_is_help=True)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("a date as YYYY-MM-DD") from None


async def _principal(session: Any, username: str) -> Any:
    """The named account as the API would see it signed in; an unknown or deactivated one is refused, as
    sign-in refuses it."""
    from src.auth.principal import Principal
    from src.auth.repository import get_user_by_username
    from src.auth.scopes import ROLE_SCOPES

    found = await get_user_by_username(session, username)
    if found is None or not found[0].is_active:
        typer.echo(f"no active account named {username!r}", err=True)
        raise typer.Exit(2)
    user, organization = found
    return Principal(
        id=user.id,
        kind="user",
        organization_id=organization.id,
        organization_kind=organization.kind,
        role=user.role,
        scopes=ROLE_SCOPES.get(user.role, frozenset()),
        session_id=uuid.uuid4(),
    )


@report_app.command("monitoring")
def monitoring_report(
    from_: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD, included.")],
    to: Annotated[str, typer.Option("--to", help="Last day (UTC), YYYY-MM-DD, included.")],
    output: Annotated[Path, typer.Option(help="The file to write.")],
    as_user: Annotated[str, typer.Option("--as", help="A coordinator's or auditor's username: who reads.")],
    format: Annotated[Literal["pdf", "html", "json"], typer.Option(help="pdf, html or json.")] = "pdf",
    language: Annotated[Literal["ky", "ru", "en"], typer.Option(help="ky, ru or en.")] = "ru",
) -> None:
    """Write the monitoring report of the period (and the two of the same length before it) to a file."""
    from src.platform.errors import AppError
    from src.platform.session import create_sessionmaker
    from src.reports import monitoring, render_html, render_pdf
    from src.reports.reading import Source

    def progress(name: str) -> None:
        typer.echo(f"{datetime.now().isoformat(timespec='seconds')}  {name}", err=True)

    async def work(engine: Any) -> dict[str, Any]:
        from src.platform.config import get_settings

        async with create_sessionmaker(engine)() as session:
            principal = await _principal(session, as_user)
            period = monitoring.period(_day(from_), _day(to))
            progress("reading")
            try:
                report = await monitoring.build(
                    session, principal, Source(None), get_settings(), period, format, language, progress
                )
            except AppError as error:
                # A refusal is audited here as the API audits it (outcome `denied`), after the rollback.
                await session.rollback()
                for record in error.after_rollback:
                    await record(session)
                await session.commit()
                raise
            await session.commit()  # the audit event of the read
            return report

    try:
        report = with_engine(work)
    except AppError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from None
    if format == "pdf":
        output.write_bytes(render_pdf.render(report, progress=lambda title: progress(f"drawn: {title}")))
    elif format == "html":
        output.write_text(render_html.render(report), encoding="utf-8")
    else:
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    progress(f"written: {output}")
