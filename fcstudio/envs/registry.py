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
from fcstudio.envs.travel import TravelEnv, load_travel

ENV_TAU2_DATA = "FCSTUDIO_TAU2_DATA"


@dataclass(frozen=True)
class Domain:
    name: str
    env: type[Environment]
    load: Callable[[str], State]
    default_dir: Callable[[], Path]
    db_file: str = "db.json"  # the default database's file name in default_dir

    def default_file(self, name: str) -> Path:
        return self.default_dir() / name

    def default_db(self) -> Path:
        return self.default_file(self.db_file)


def _tau2_dir(domain: str) -> Callable[[], Path]:
    def find() -> Path:
        root = os.environ.get(ENV_TAU2_DATA)
        base = Path(root) if root else REPO_ROOT.parent / "shared" / "data" / "tau2"
        return base / domain

    return find


DOMAINS: dict[str, Domain] = {
    "retail": Domain("retail", RetailEnv, load_retail, _tau2_dir("retail")),
    "airline": Domain("airline", AirlineEnv, load_airline, _tau2_dir("airline")),
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


def open_env(name: str, db: str | Path | None = None, policy: str | Path | None = None) -> Environment:
    """An environment on ``db`` (default: the domain's own db.json; a BFCL domain's: a start state file) with
    its policy text."""
    domain = get_domain(name)
    if bfcl.is_bfcl(name):
        return bfcl.open_bfcl(name, db)
    db_path = Path(db) if db else domain.default_db()
    if not db_path.is_file():
        raise FileNotFoundError(
            f"no database for {name} at {db_path}: pass --db PATH (tau2's db.json) or set ${ENV_TAU2_DATA}"
        )
    policy_path = Path(policy) if policy else db_path.parent / "policy.md"
    text = policy_path.read_text() if policy_path.is_file() else ""
    return domain.env(domain.load(str(db_path)), policy=text)
