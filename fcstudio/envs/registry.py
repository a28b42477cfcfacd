"""Domains fcstudio can execute, and where their default data lives.

BFCL's API classes are domains ``bfcl:<Class>`` (``envs/bfcl/environment.py``); their "database" is a start
state file, shipped per class in ``envs/bfcl/data/start/``. ``bfcl:<A>+<B>`` (several classes in one session)
works wherever a domain name does, without being listed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fcstudio.config import DATA_DIR, REPO_ROOT
from fcstudio.envs.airline import AirlineEnv, load_airline
from fcstudio.envs.base import Environment, State
from fcstudio.envs.bfcl import environment as bfcl
from fcstudio.envs.bfcl.classes import CLASSES
from fcstudio.envs.retail import RetailEnv, load_retail
from fcstudio.envs.telecom.environment import TelecomEnv
from fcstudio.envs.telecom.records import load_telecom
from fcstudio.envs.travel import TravelEnv, load_travel

ENV_TAU2_DATA = "FCSTUDIO_TAU2_DATA"


@dataclass(frozen=True)
class Domain:
    name: str
    env: type[Environment]
    load: Callable[[str], State]
    default_dir: Callable[[], Path]
    db_file: str = "db.json"  # the default database's file name in default_dir
    policy_text: Callable[[Path], str] | None = None  # the policy beside a database; default: its policy.md

    def default_file(self, name: str) -> Path:
        return self.default_dir() / name

    def default_db(self) -> Path:
        return self.default_file(self.db_file)


def telecom_policy(folder: Path) -> str:
    """tau2's telecom agent policy: the main policy and the tech-support manual, in its tags."""

    def read(name: str) -> str:
        path = folder / name
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    return (
        f"<main_policy>\n{read('main_policy.md')}\n</main_policy>\n"
        f"<tech_support_policy>\n{read('tech_support_manual.md')}\n</tech_support_policy>"
    )


def _tau2_dir(domain: str) -> Callable[[], Path]:
    def find() -> Path:
        root = os.environ.get(ENV_TAU2_DATA)
        base = Path(root) if root else REPO_ROOT.parent / "shared" / "data" / "tau2"
        return base / domain

    return find


DOMAINS: dict[str, Domain] = {
    "retail": Domain("retail", RetailEnv, load_retail, _tau2_dir("retail")),
    "airline": Domain("airline", AirlineEnv, load_airline, _tau2_dir("airline")),
    "telecom": Domain("telecom", TelecomEnv, load_telecom, _tau2_dir("telecom"), "db.toml", telecom_policy),
    "travel": Domain("travel", TravelEnv, load_travel, lambda: DATA_DIR / "travel"),
}


def _load_bfcl(path: str) -> State:
    return bfcl.read_start(path).initial_config


def _bfcl_domain(name: str) -> Domain:
    classes = bfcl.classes_of(name)
    return Domain(name, bfcl.env_class(name), _load_bfcl, lambda: bfcl.START_DIR, bfcl.start_file(classes[0]).name)


DOMAINS.update({d.name: d for d in (_bfcl_domain(bfcl.label(c)) for c in CLASSES)})


def get_domain(name: str) -> Domain:
    if name in DOMAINS:
        return DOMAINS[name]
    if bfcl.is_bfcl(name):
        return _bfcl_domain(name)  # KeyError naming the classes for an unknown one
    raise KeyError(f"unknown domain {name!r}; known: {', '.join(DOMAINS)}")


def runnable(name: str) -> bool:
    """A known domain whose default database is on this machine."""
    try:
        return get_domain(name).default_db().is_file()
    except KeyError:
        return False


def open_env(
    name: str, db: str | Path | None = None, policy: str | Path | None = None, user_db: str | Path | None = None
) -> Environment:
    """An environment on ``db`` (default: the domain's own db.json; a BFCL domain's: a start state file) with
    its policy text; ``user_db``: a dual-control domain's user database (default: ``user_db.toml`` beside db)."""
    domain = get_domain(name)
    if bfcl.is_bfcl(name):
        return bfcl.open_bfcl(name, db)
    db_path = Path(db) if db else domain.default_db()
    if not db_path.is_file():
        raise FileNotFoundError(
            f"no database for {name} at {db_path}: pass --db PATH (tau2's db.json) or set ${ENV_TAU2_DATA}"
        )
    if user_db is not None and not domain.env.dual_control:
        raise KeyError(f"--user-db is for dual-control domains (telecom), not {name}")
    if policy:
        text = Path(policy).read_text(encoding="utf-8")
    elif domain.policy_text is not None:
        text = domain.policy_text(db_path.parent)
    else:
        policy_path = db_path.parent / "policy.md"
        text = policy_path.read_text() if policy_path.is_file() else ""
    if user_db is not None:
        if not Path(user_db).is_file():
            raise FileNotFoundError(f"no user database for {name} at {user_db}")
        return domain.env(load_telecom(str(db_path), user_db), policy=text)
    return domain.env(domain.load(str(db_path)), policy=text)
