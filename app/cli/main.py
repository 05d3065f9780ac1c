"""The ``netcop`` command line (spec section 8)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from app.config import Settings
from app.db import Database
from app.domain.timefmt import parse_rfc3339, to_micros
from app.errors import NetcopError
from app.migrate import upgrade
from app.schemas.admin import OrganisationCreate, TokenCreate
from app.services import admin
from app.services import verify as verify_service
from app.services.audit import COMMAND_LINE

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)

app = typer.Typer(help="netcop: a real-time common operational picture for crisis management.", no_args_is_help=True)
org_app = typer.Typer(help="Partner organisations.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(token_app, name="token")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
    demo: Annotated[bool, typer.Option(help="load the demo scenario first (if not loaded yet)")] = False,
    cot_port: Annotated[
        int | None, typer.Option(help="also take Cursor-on-Target streams on this TCP port (on --host)")
    ] = None,
) -> None:
    """Runs the service, applying pending migrations first."""
    import uvicorn

    if cot_port is not None:  # the workers read their settings from the environment
        os.environ.update(NETCOP_COT_PORT=str(cot_port), NETCOP_COT_HOST=host)
    settings = Settings()
    _raise_descriptor_limit(settings.max_connections)
    upgrade(settings.effective_database_url)
    if demo:
        from app.demo import loader

        asyncio.run(loader.load_embedded(settings, base_url=f"http://{host}:{port}"))
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="app.edge:GuardedHttpToolsProtocol",
        log_level=settings.log_level,
        ws_max_size=settings.ws_max_message_bytes,
        ws_per_message_deflate=False,
        ws="app.realtime.protocol:PreparedFrameProtocol",
        access_log=False,
        # Forwarded headers are believed only from configured proxies: otherwise any client could write any
        # address into the audit log.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


DESCRIPTORS_BESIDE_CONNECTIONS = 512  # database connections, log files, the listening sockets, and some margin


def _raise_descriptor_limit(max_connections: int) -> None:
    """Raises the soft limit on open files as far as the hard limit allows, so that the connection bound, not the
    operating system, is what refuses clients; says so when the bound cannot be reached."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + DESCRIPTORS_BESIDE_CONNECTIONS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < wanted:
        typer.echo(
            f"warning: this process may open {soft} files, fewer than NETCOP_MAX_CONNECTIONS ({max_connections}) "
            f"+ {DESCRIPTORS_BESIDE_CONNECTIONS} needs: lower NETCOP_MAX_CONNECTIONS or raise the limit (ulimit -n)",
            err=True,
        )


@app.command()
def migrate() -> None:
    """Applies pending database migrations."""
    settings = Settings()
    upgrade(settings.effective_database_url)
    typer.echo("database is up to date")


@org_app.command("add")
def org_add(
    id: Annotated[str, typer.Option("--id", help="slug, e.g. politie-zhz")],  # noqa: A002
    name: Annotated[str, typer.Option(help="display name")],
    discipline: Annotated[str, typer.Option(help="police|fire|medical|population-care|water|defence|...")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2")] = "NL",
) -> None:
    """Registers a partner organisation."""
    organisation = _parse(OrganisationCreate, {"id": id, "name": name, "discipline": discipline, "country": country})
    result = _run(lambda db: admin.add_organisation(db=db, organisation=organisation, caller=COMMAND_LINE))
    typer.echo(f"organisation {result.id} added")


@token_app.command("issue")
def token_issue(
    org: Annotated[str, typer.Option(help="organisation id")],
    role: Annotated[list[str], typer.Option(help="report, read or admin (repeatable)")],
    label: Annotated[str | None, typer.Option(help="what the token is for")] = None,
) -> None:
    """Issues a token; the secret is printed once."""
    request = _parse(TokenCreate, {"roles": role, "label": label})
    issued = _run(lambda db: admin.issue_token(db=db, organisation_id=org, request=request, caller=COMMAND_LINE))
    typer.echo(f"token id: {issued.id} roles: {','.join(issued.roles)}", err=True)
    typer.echo(issued.token)


@app.command()
def verify() -> None:
    """Rebuilds every picture from the report log and compares it with the stored one."""
    settings = Settings()
    window_us = int(settings.conflict_window_seconds * 1_000_000)

    def progress(seq: int) -> None:
        typer.echo(f"replayed up to seq {seq}", err=True)

    differences = _run(lambda db: verify_service.verify(db=db, window_us=window_us, progress=progress))
    for line in differences:
        typer.echo(line)
    if differences:
        typer.echo(f"{len(differences)} difference(s) between the stored picture and the report log", err=True)
        raise typer.Exit(1)
    typer.echo("the stored picture agrees with the report log")


@app.command()
def demo(
    url: Annotated[str | None, typer.Option(help="a running instance; default: the embedded database")] = None,
    admin_token: Annotated[str | None, typer.Option(envvar="NETCOP_ADMIN_TOKEN", help="admin token of --url")] = None,
) -> None:
    """Loads the demo scenario (a dike breach near Dordrecht) into a running or the embedded instance."""
    from app.demo import loader

    if url is None:
        settings = Settings()
        upgrade(settings.effective_database_url)
        asyncio.run(loader.load_embedded(settings))
    else:
        if not admin_token:
            typer.echo("--admin-token (or NETCOP_ADMIN_TOKEN) is needed with --url", err=True)
            raise typer.Exit(2)
        asyncio.run(loader.load_remote(url, admin_token))


@app.command()
def watch(
    url: Annotated[str, typer.Option(help="the service's base URL")] = "http://127.0.0.1:8000",
    token: Annotated[str | None, typer.Option(envvar="NETCOP_TOKEN", help="a token with the read role")] = None,
    incident: Annotated[list[str] | None, typer.Option(help="only this incident (repeatable)")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="only objects of this kind (repeatable)")] = None,
    bbox: Annotated[str | None, typer.Option(help="only objects in minlon,minlat,maxlon,maxlat")] = None,
    after_seq: Annotated[int | None, typer.Option(help="resume after this seq instead of a snapshot")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="also show heartbeats and connects")] = False,
) -> None:
    """Follows the live stream of a running instance, one line per changed object (Ctrl-C ends it)."""
    from app.client import watch as watching

    if not token:
        typer.echo("--token (or NETCOP_TOKEN) is needed", err=True)
        raise typer.Exit(2)
    code = watching.run(
        url=url,
        token=token,
        incidents=incident or (),
        kinds=kind or (),
        bbox=bbox,
        after_seq=after_seq,
        verbose=verbose,
    )
    raise typer.Exit(code)


SITREP_SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "md", ".json": "json"}


@app.command()
def sitrep(
    incident: Annotated[str, typer.Argument(help="the incident's id")],
    as_org: Annotated[str, typer.Option("--as-org", help="the organisation whose picture it is (its visibility)")],
    as_of: Annotated[str | None, typer.Option(help="the picture as known at this RFC 3339 moment")] = None,
    since: Annotated[str | None, typer.Option(help="also the changes since this RFC 3339 moment")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="pdf|html|md|json (default: -o's suffix or md)")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")] = None,
) -> None:
    """Writes the situation report of an incident as one organisation sees it (from the configured database)."""
    from app.services import sitrep as sitrep_service

    chosen = fmt or (SITREP_SUFFIXES.get(output.suffix.lower()) if output else None) or "md"
    if chosen not in sitrep_service.FORMATS:
        typer.echo(f"--format: one of {', '.join(sitrep_service.FORMATS)}", err=True)
        raise typer.Exit(2)
    moments = {name: _moment(name, value) for name, value in (("as-of", as_of), ("since", since))}
    window_us = int(Settings().conflict_window_seconds * 1_000_000)
    body = _run(lambda db: sitrep_service.document_for(db=db, organisation=as_org, window_us=window_us,
                                                       incident=incident, as_of=moments["as-of"],
                                                       since=moments["since"], fmt=chosen))  # fmt: skip
    if output is None:
        sys.stdout.buffer.write(body)
    else:
        output.write_bytes(body)
        typer.echo(f"sitrep of {incident} as {as_org} sees it written to {output}", err=True)


def _moment(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return to_micros(parse_rfc3339(value))
    except ValueError as error:
        typer.echo(f"--{name}: {error}", err=True)
        raise typer.Exit(2) from error


def _parse(model: type[ModelT], values: dict[str, object]) -> ModelT:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            typer.echo(f"{'.'.join(map(str, item['loc']))}: {item['msg']}", err=True)
        raise typer.Exit(2) from error


def _run(action: Callable[[Database], Awaitable[T]]) -> T:
    """Runs one service call against the configured database (migrated first)."""

    async def main() -> T:
        db = Database(Settings())
        try:
            return await action(db)
        finally:
            await db.dispose()

    upgrade(Settings().effective_database_url)
    try:
        return asyncio.run(main())
    except NetcopError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(1)
