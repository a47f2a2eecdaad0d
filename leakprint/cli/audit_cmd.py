"""``leakprint audit verify`` and ``audit anchor``: is the audit log intact?"""

from __future__ import annotations

import click

from leakprint import audit
from leakprint.cli.common import (
    AppContext,
    UserError,
    audit_anchor,
    emit,
    format_option,
    pass_app,
    user_errors,
)


@click.group("audit")
def audit_group() -> None:
    """Check the hash-chained audit log and its anchor (SPEC 10).

    \b
    Example:
      leakprint audit verify
      leakprint audit anchor --reset
    """


@audit_group.command("verify")
@format_option
@pass_app
@user_errors()
def verify_cmd(app: AppContext, output: str) -> None:
    """Check every entry's hash and the chain's head against the anchor file.

    Exit status 0 when intact; 1, with one line naming the first break, when an
    entry was edited or deleted, the tail was cut, or the chain was recomputed.

    \b
    Example:
      leakprint audit verify
    """
    anchor = audit_anchor(app.settings)
    with app.db.session() as session:
        verdict = audit.verify_all(session, anchor)
    if output != "table":
        emit(output, {
            "ok": verdict.problem is None, "problem": verdict.problem,
            "entries": verdict.entries,
            "head": verdict.head.__dict__ if verdict.head else None,
            "anchored": verdict.anchored.__dict__ if verdict.anchored else None,
            "after_anchor": verdict.after_anchor, "anchor_file": str(anchor.path),
        })
    if verdict.problem is not None:
        click.echo(f"audit log broken: {verdict.problem}", err=True)
        raise SystemExit(1)
    if output == "table":
        later = (f"; {verdict.after_anchor} after the anchored head"
                 if verdict.after_anchor else "")
        anchored = (f"anchored at entry {verdict.anchored.last_id}"
                    if verdict.anchored else "nothing to anchor yet")
        click.echo(f"audit log intact: {verdict.entries} entries, {anchored}{later}")


@audit_group.command("anchor")
@click.option("--reset", is_flag=True,
              help="Write the anchor even when the present one disagrees with the chain.")
@pass_app
@user_errors()
def anchor_cmd(app: AppContext, reset: bool) -> None:
    """Write the chain's head to the anchor file (``[audit] anchor_file``).

    Needed once for a log that has no anchor yet, or with ``--reset`` after a
    deliberate change (a restored backup). The command is itself audited, and
    refuses without ``--reset`` while the chain or the anchor shows a break.

    \b
    Example:
      leakprint audit anchor
    """
    anchor = audit_anchor(app.settings)
    db = app.db
    with db.session() as session:
        verdict = audit.verify_all(session, anchor)
        broken_chain = audit.check_chain(session)
    if broken_chain is not None:
        raise UserError(f"the chain itself is broken ({broken_chain[1]}); "
                        "an anchor cannot vouch for it")
    if verdict.problem is not None and not reset:
        raise UserError(f"{verdict.problem}; use --reset to anchor the chain as it is")
    with db.session() as session:
        previous = verdict.anchored.last_id if verdict.anchored else None
        audit.append(session, "audit.anchor", {"reset": reset, "previous_head": previous})
    with db.session() as session:
        head = audit.current_head(session)
    assert head is not None
    anchor.write(head, force=True)
    click.echo(f"audit anchor written: entry {head.last_id}, {head.count} entries "
               f"({anchor.path})")
