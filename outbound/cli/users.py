"""`engine users`: who may log in to the web app, as what, and their API tokens."""

from __future__ import annotations

import sys

import click

from outbound.cli import FORMAT, App, ChoiceOf, cli


@cli.group("users")
def users_group() -> None:
    """Users of the web app and the API: add, list, password, token, revoke, unlock, remove."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=ChoiceOf("outbound.staff.users:ROLES"), required=True)
@click.option("--agent", "agent_id", help="The agent id, for an agent user.")
@click.option("--supervisor", "supervisor_id", help="The roster's supervisor id (班长).")
@click.option("--department", help="The department, for a department user (装维部).")
@PASSWORD_STDIN
@click.pass_obj
def users_add(
    app: App,
    name: str,
    role: str,
    agent_id: str | None,
    supervisor_id: str | None,
    department: str | None,
    password_stdin: bool,
) -> None:
    """Add user NAME as agent (tied to --agent), supervisor (of the teams of --supervisor),
    department (of --department), marketing, system (another system sending tickets through
    the API) or admin. The password is asked for, or read with --password-stdin."""
    from outbound.staff import users

    if sum(map(bool, (agent_id, supervisor_id, department))) > 1:
        raise click.UsageError("give one of --agent, --supervisor and --department")
    person = agent_id or supervisor_id or department
    users.add(app.engine, name, role, _password(password_stdin), app.now(), person)
    click.echo(f"user {name} added as {role}" + (f" ({person})" if person else ""))


@users_group.command("password")
@click.argument("name")
@PASSWORD_STDIN
@click.pass_obj
def users_password(app: App, name: str, password_stdin: bool) -> None:
    """Set NAME's password; this lifts a lockout and logs NAME out everywhere."""
    from outbound.staff import users

    users.set_password(app.engine, name, _password(password_stdin))
    click.echo(f"password of {name} changed")


@users_group.command("token")
@click.argument("name")
@click.pass_obj
def users_token(app: App, name: str) -> None:
    """Print a new API token for NAME (Authorization: Bearer TOKEN); the old one stops working."""
    from outbound.staff import users

    click.echo(users.new_token(app.engine, name))


@users_group.command("revoke")
@click.argument("name")
@click.pass_obj
def users_revoke(app: App, name: str) -> None:
    """End NAME's sessions and API token at once (a lost phone, a leaver)."""
    from outbound.staff import users

    ended = users.revoke(app.engine, name)
    click.echo(f"{name}: {ended} session(s) ended, API token revoked")


@users_group.command("unlock")
@click.argument("name")
@click.pass_obj
def users_unlock(app: App, name: str) -> None:
    """Lift NAME's lockout after too many failed log-ins, before its time."""
    from outbound.staff import users

    users.unlock(app.engine, name)
    click.echo(f"{name} unlocked")


@users_group.command("remove")
@click.argument("name")
@click.pass_obj
def users_remove(app: App, name: str) -> None:
    from outbound.staff import users

    users.remove(app.engine, name)
    click.echo(f"user {name} removed")


@users_group.command("list")
@FORMAT
@click.pass_obj
def users_list(app: App, fmt: str) -> None:
    """The users, their roles and whom they stand for; never their passwords."""
    import pandas as pd

    from outbound import output
    from outbound.staff import users

    with app.engine.connect() as connection:
        found = pd.DataFrame(
            users.listing(connection, app.now(), app.config.web),
            columns=["name", "role", "person_id", "api_token", "locked_until", "created_at"],
        )
    found = output.in_zone(found, app.config.tz)
    output.emit(fmt, found, {"users": output.records(found)})
