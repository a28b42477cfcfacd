"""Domains fcstudio can execute, and where their default data lives."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fcstudio.config import DATA_DIR, REPO_ROOT
from fcstudio.envs.airline import AirlineEnv, load_airline
from fcstudio.envs.base import Environment, State
from fcstudio.envs.retail import RetailEnv, load_retail
from fcstudio.envs.travel import TravelEnv, load_travel

ENV_TAU2_DATA = "FCSTUDIO_TAU2_DATA"


@dataclass(frozen=True)
class Domain:
    name: str
    env: type[Environment]
    load: Callable[[str], State]
    default_dir: Callable[[], Path]

    def default_file(self, name: str) -> Path:
        return self.default_dir() / name


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


def get_domain(name: str) -> Domain:
    if name not in DOMAINS:
        raise KeyError(f"unknown domain {name!r}; known: {', '.join(DOMAINS)}")
    return DOMAINS[name]


def open_env(name: str, db: str | Path | None = None, policy: str | Path | None = None) -> Environment:
    """An environment on ``db`` (default: the domain's own db.json) with its policy text."""
    domain = get_domain(name)
    db_path = Path(db) if db else domain.default_file("db.json")
    if not db_path.is_file():
        raise FileNotFoundError(
            f"no database for {name} at {db_path}: pass --db PATH (tau2's db.json) or set ${ENV_TAU2_DATA}"
        )
    policy_path = Path(policy) if policy else db_path.parent / "policy.md"
    text = policy_path.read_text() if policy_path.is_file() else ""
    return domain.env(domain.load(str(db_path)), policy=text)
