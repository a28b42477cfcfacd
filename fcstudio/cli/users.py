"""``users``: who may sign in to a shared server's app, and as what (admin or annotator).

Passwords are read from the terminal (asked twice) or, for scripts, one line on stdin with
``--password-stdin``; never from the command line, where they would stay in the shell's history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import duckdb

from fcstudio.cli.common import JsonOpt, WorkspaceOpt, connect, dump, err, fail, out

users_app = typer.Typer(help="Users of a shared server: sign-in names, roles and passwords.", no_args_is_help=True)

RoleOpt = Annotated[str, typer.Option("--role", help="admin (may import, delete, edit tools) or annotator.")]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin (for scripts).")
]


@contextmanager
def _changing(workspace: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The workspace, with a refused change (``UserError``) ending the command with its reason and exit 1."""
    from fcstudio.users import UserError

    with connect(workspace) as con:
        try:
            yield con
        except UserError as exc:
            raise fail(str(exc)) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add(
    name: str, role: RoleOpt = "annotator", password_stdin: StdinOpt = False, workspace: WorkspaceOpt = None
) -> None:
    """Add a user; from then on the app asks everyone to sign in."""
    from fcstudio.users import add_user, list_users

    password = _password(password_stdin)
    with _changing(workspace) as con:
        user = add_user(con, name, role, password)
        admins = [u for u in list_users(con) if u.role == "admin"]
    out.print(f"added {user.name} ({user.role}); the app now asks for a sign-in")
    if not admins:
        err.print(
            "[yellow]no admin yet: in the app nobody can import, delete or edit tools (add one with --role admin)[/]"
        )


@users_app.command("list")
def list_cmd(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The users and their roles (never their password hashes)."""
    from fcstudio.users import list_users

    with connect(workspace) as con:
        users = list_users(con)
    if as_json:
        dump([u.model_dump(mode="json") for u in users])
        return
    if not users:
        out.print("no users: the app is open to anyone who can reach it (add one with `users add NAME --role admin`)")
    for u in users:
        out.print(f"{u.name}\t{u.role}\t{u.created_at:%Y-%m-%d %H:%M}" if u.created_at else f"{u.name}\t{u.role}")


@users_app.command("passwd")
def passwd(name: str, password_stdin: StdinOpt = False, workspace: WorkspaceOpt = None) -> None:
    """Set a user's password."""
    from fcstudio.users import set_password

    password = _password(password_stdin)
    with _changing(workspace) as con:
        set_password(con, name, password)
    out.print(f"password of {name} changed")


@users_app.command("role")
def role_cmd(name: str, role: str, workspace: WorkspaceOpt = None) -> None:
    """Make a user admin or annotator (the last admin stays admin while others remain)."""
    from fcstudio.users import set_role

    with _changing(workspace) as con:
        set_role(con, name, role)
    out.print(f"{name} is now {role}")


@users_app.command("remove")
def remove(name: str, workspace: WorkspaceOpt = None) -> None:
    """Remove a user; their labels and edits keep their name. With no users left the app is open again."""
    from fcstudio.users import has_users, remove_user

    with _changing(workspace) as con:
        remove_user(con, name)
        left = has_users(con)
    out.print(f"removed {name}" + ("" if left else "; no users left: the app is open to anyone who can reach it"))
