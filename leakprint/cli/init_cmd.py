"""``leakprint init``."""

from __future__ import annotations

import click

from fingerprints.keyed import FingerprintKey
from leakprint.cli.common import AppContext, pass_app, user_errors
from leakprint.config import CONFIG_NAME, default_config_text, load_settings
from leakprint.db import open_database


@click.command()
@click.option("--force", is_flag=True, help="Rewrite leakprint.toml if it exists (never the key).")
@pass_app
@user_errors()
def init(app: AppContext, force: bool) -> None:
    """Write leakprint.toml, a new key file (mode 0600) and the database here.

    The key file is what turns fingerprints into something testable: keep it apart
    from fingerprint sets and never copy it next to them.

    \b
    Example:
      mkdir /srv/leakprint && cd /srv/leakprint && leakprint init
    """
    settings = load_settings(app.home, require_file=False)
    config = settings.home / CONFIG_NAME
    if config.exists() and not force:
        click.echo(f"{config} exists; keeping it (use --force to rewrite)", err=True)
    else:
        config.write_text(default_config_text(), encoding="utf-8")
        click.echo(f"wrote {config}")
    settings = load_settings(settings.home)
    if settings.key_hex:
        click.echo("using LEAKPRINT_KEY from the environment; no key file written")
    elif settings.key_file and not settings.key_file.exists():
        key = FingerprintKey.generate()
        key.write(settings.key_file)
        click.echo(f"wrote {settings.key_file} (mode 0600, key id {key.key_id})")
    else:
        click.echo(f"{settings.key_file} exists; keeping it")
    settings.sets_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.database_url)
    db.close()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")
