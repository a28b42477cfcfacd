"""Users of a shared server: a name, a role and a password hashed with scrypt (hashlib's standard KDF).

A workspace without users is open (the demo, a laptop): the app asks nobody to sign in. Once it has users,
the app asks for a name and password, labels and edits carry the signed-in name, and only admins may import,
delete or edit tools. The password is never stored or shown in clear: the ``users`` table holds
``scrypt$n$r$p$salt$hash`` and nothing reads that column but ``authenticate``. No export reads the table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Literal

import duckdb
from pydantic import BaseModel

from fcstudio.store import rows, run, scalar, transaction

Role = Literal["admin", "annotator"]
ROLES: tuple[Role, ...] = ("admin", "annotator")

# scrypt's cost: 2**14 x 8 x 1 is the interactive-login setting of the scrypt paper (16 MiB, ~50 ms).
_N, _R, _P = 2**14, 8, 1
_NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 8


class UserError(ValueError):
    """A user could not be added, changed or removed; the message says why."""


class User(BaseModel):
    name: str
    role: Role
    created_at: datetime | None = None


def hash_password(password: str, salt: bytes | None = None, n: int = _N, r: int = _R, p: int = _P) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64): the parameters travel with the hash, so they can be raised later."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored``, compared in constant time; a malformed hash is never a match."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hash_password(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


# a hash to check against when the name is unknown, so a wrong name takes as long as a wrong password
_DUMMY = hash_password(secrets.token_hex(8))


def _valid_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@'")
    return name


def _valid_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def has_users(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM users"))


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    return [User(**r) for r in rows(con, "SELECT name, role, created_at FROM users ORDER BY name")]


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    found = rows(con, "SELECT name, role, created_at FROM users WHERE name = ?", [name.strip()])
    return User(**found[0]) if found else None


def add_user(con: duckdb.DuckDBPyConnection, name: str, role: str, password: str) -> User:
    name = _valid_name(name)
    if role not in ROLES:
        raise UserError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    _valid_password(password)
    with transaction(con):
        if get_user(con, name):
            raise UserError(f"user {name!r} already exists (set a new password with `users passwd`)")
        run(
            con, "INSERT INTO users (name, role, password_hash) VALUES (?, ?, ?)", [name, role, hash_password(password)]
        )
    return User.model_validate({"name": name, "role": role})


def set_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> None:
    _valid_password(password)
    with transaction(con):
        if not get_user(con, name):
            raise UserError(f"no user {name!r}")
        run(con, "UPDATE users SET password_hash = ? WHERE name = ?", [hash_password(password), name.strip()])


def set_role(con: duckdb.DuckDBPyConnection, name: str, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    with transaction(con):
        user = get_user(con, name)
        if not user:
            raise UserError(f"no user {name!r}")
        if user.role == "admin" and role != "admin":
            _keep_an_admin(con, user.name)
        run(con, "UPDATE users SET role = ? WHERE name = ?", [role, user.name])


def remove_user(con: duckdb.DuckDBPyConnection, name: str) -> None:
    with transaction(con):
        user = get_user(con, name)
        if not user:
            raise UserError(f"no user {name!r}")
        if user.role == "admin":
            _keep_an_admin(con, user.name)
        run(con, "DELETE FROM users WHERE name = ?", [user.name])


def _keep_an_admin(con: duckdb.DuckDBPyConnection, leaving: str) -> None:
    """Refuse to leave annotators without any admin: nobody could import or edit tools from the app again."""
    admins = scalar(con, "SELECT count(*) FROM users WHERE role = 'admin' AND name <> ?", [leaving])
    others = scalar(con, "SELECT count(*) FROM users WHERE name <> ?", [leaving])
    if not admins and others:
        raise UserError(f"{leaving!r} is the last admin: make another user admin first, or remove the others")


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str) -> User | None:
    """The user when name and password match, else None (the same answer and about the same time either way)."""
    found = rows(con, "SELECT name, role, created_at, password_hash FROM users WHERE name = ?", [name.strip()])
    stored = found[0].pop("password_hash") if found else _DUMMY
    ok = check_password(password, stored)
    return User(**found[0]) if found and ok else None


def can_administer(user: User | None, workspace_has_users: bool) -> bool:
    """Whether admin-only actions (import, delete, edit tools) are open: always without users (the open demo),
    else only to a signed-in admin."""
    if not workspace_has_users:
        return True
    return user is not None and user.role == "admin"
