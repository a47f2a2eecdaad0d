"""``leakprint demo``."""

from __future__ import annotations

import click
from rich.console import Console


@click.command("demo")
@click.option(
    "--customers",
    default=3000,
    show_default=True,
    type=click.IntRange(200, 100000),
    help="How many synthetic customers to generate.",
)
@click.option("--keep", is_flag=True, help="Keep the temporary folder for a look around.")
def demo(customers: int, keep: bool) -> None:
    """Run the end-to-end demo: synthetic customers, local leak sites, a scan and an alert.

    Everything happens in a temporary folder on SQLite with local servers; nothing
    leaves the machine and nothing is left behind.

    \b
    Example:
      leakprint demo
    """
    from leakprint.demo.run import run_demo

    raise SystemExit(run_demo(Console(), customers=customers, keep=keep))
