"""Command-line tools: ``flask --app app campaigns validate|list|qr|wall-url|preview``, ``media purge``, ``db``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from posterbooth.campaigns import load_all, validate_all
from posterbooth.extensions import get_db
from posterbooth.migrate import current, head, upgrade
from posterbooth.proof import service as proof
from posterbooth.qr import qr_png, qr_svg
from posterbooth.retention import purge_expired
from posterbooth.storage import MediaStore
from posterbooth.urls import campaign_url, wall_url
from posterbooth.wall import wall_key

campaigns_cli = AppGroup("campaigns", help="Check and print campaigns.")


@campaigns_cli.command("validate")
def validate() -> None:
    """Validate every campaign definition; exit non-zero on errors."""
    root: Path = current_app.config["CAMPAIGNS_DIR"]
    errors = validate_all(root)
    for error in errors:
        click.secho(f"error: {error}", fg="red", err=True)
    if errors:
        raise SystemExit(1)
    count = len(load_all(root))
    click.echo(f"{count} campaign{'s' if count != 1 else ''} OK in {root}")


@campaigns_cli.command("list")
def list_campaigns() -> None:
    """List the campaigns and their entry URLs."""
    base = current_app.config["PUBLIC_BASE_URL"] or "http://127.0.0.1:5000"
    for slug, loaded in sorted(load_all(current_app.config["CAMPAIGNS_DIR"]).items()):
        state = "open" if loaded.is_open() else "closed"
        click.echo(f"{slug}\t{state}\t{campaign_url(base, slug)}\t{loaded.definition.title}")


@campaigns_cli.command("qr")
@click.argument("slug")
@click.option("--channel", default="", help="Channel recorded for visits through this code (e.g. booth).")
@click.option("--base-url", default="", help="Public base URL (default: PUBLIC_BASE_URL).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory for the PNG and SVG files.")
def qr(slug: str, channel: str, base_url: str, out_dir: Path) -> None:
    """Write a print-ready entry QR code for a campaign as PNG and SVG."""
    campaigns = load_all(current_app.config["CAMPAIGNS_DIR"])
    if slug not in campaigns:
        raise click.BadParameter(f"no campaign {slug!r} (have: {', '.join(sorted(campaigns)) or 'none'})")
    base = (base_url or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    if not base:
        raise click.UsageError("set PUBLIC_BASE_URL or pass --base-url: a QR code needs the public address")
    url = campaign_url(base, slug, channel=channel)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{slug}-{channel}" if channel else slug
    (out_dir / f"{stem}-qr.png").write_bytes(qr_png(url))
    (out_dir / f"{stem}-qr.svg").write_bytes(qr_svg(url))
    click.echo(f"{url}\n  {out_dir / (stem + '-qr.png')}\n  {out_dir / (stem + '-qr.svg')}")


@campaigns_cli.command("wall-url")
@click.argument("slug")
def wall_url_command(slug: str) -> None:
    """Print the secret URL of a campaign's event wall (it changes with SECRET_KEY)."""
    campaigns = load_all(current_app.config["CAMPAIGNS_DIR"])
    if slug not in campaigns:
        raise click.BadParameter(f"no campaign {slug!r} (have: {', '.join(sorted(campaigns)) or 'none'})")
    base = str(current_app.config["PUBLIC_BASE_URL"] or "").rstrip("/")
    if not base:
        raise click.UsageError("set PUBLIC_BASE_URL: the wall URL is an absolute address")
    click.echo(wall_url(base, slug, wall_key(current_app.config["SECRET_KEY"], slug)))
@campaigns_cli.command("preview")
@click.argument("slug")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the posters, share cards, index.html and report.json.")
@click.option("--provider", default="offline", show_default=True,
              help="Image provider (offline, or hunyuan/openai to spend real calls).")
@click.option("--text", default=None, help="Typed answer to use (default: the longest text each question allows).")
@click.option("--lang", default="all", show_default=True, help="Language to render: zh, en or all.")
@click.option("--base-url", default="", help="Public base URL in the QR codes (default: PUBLIC_BASE_URL).")
def preview(slug: str, out_dir: Path, provider: str, text: str | None, lang: str, base_url: str) -> None:
    """Render every outcome × style poster with its share card, write a contact sheet, report problems."""
    campaigns = load_all(current_app.config["CAMPAIGNS_DIR"])
    if slug not in campaigns:
        raise click.BadParameter(f"no campaign {slug!r} (have: {', '.join(sorted(campaigns)) or 'none'})")
    try:
        languages = proof.pick_languages(campaigns[slug].definition, lang)
        image_provider = proof.build_provider(provider)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    base = (base_url or current_app.config["PUBLIC_BASE_URL"] or proof.DEFAULT_BASE_URL).rstrip("/")
    report, index = proof.make_sheet(campaigns[slug], out_dir, image_provider, base_url=base, text=text,
                                             languages=languages)
    click.echo(proof.text_report(report))
    click.echo(f"contact sheet: {index}")
    if not report.ok:
        raise SystemExit(1)


media_cli = AppGroup("media", help="Look after stored photos and posters.")


@media_cli.command("purge")
def purge() -> None:
    """Delete photos and posters whose retention has passed (run it from cron in scaled mode)."""
    if current_app.config.get("CAMPAIGN_ERROR"):
        raise click.ClickException(f"campaigns do not load: {current_app.config['CAMPAIGN_ERROR']}")
    report = purge_expired(get_db(), MediaStore(current_app.config["MEDIA_DIR"]),
                           current_app.extensions["posterbooth.campaigns"])
    click.echo(f"deleted {report}")


db_cli = AppGroup("db", help="Look after the database schema.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_schema(revision: str) -> None:
    """Migrate the database to the newest schema (run once per release, before starting the new version)."""
    click.echo(f"database at revision {upgrade(current_app.config['DATABASE_URL'], revision)}")


@db_cli.command("current")
def current_schema() -> None:
    """Print the database's schema revision and the newest one."""
    click.echo(f"database: {current(get_db().engine) or 'none'}; newest: {head()}")


def init_app(app: Flask) -> None:
    """Register the command-line groups."""
    app.cli.add_command(campaigns_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(db_cli)
