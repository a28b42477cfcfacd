"""The suite as a gate: in CI a test that cannot run fails (never a silent skip), and every run prints its skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

NEEDS_DATA = "tests/test_bfcl.py::test_every_single_turn_category_is_loaded"


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_", "FCSTUDIO_CI"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, **env},
    )


def test_missing_data_skips_locally_saying_why_and_fails_in_ci(tmp_path: Path) -> None:
    missing = tmp_path / "no-shared-data"
    local = _pytest(NEEDS_DATA, "-rs", FCSTUDIO_SHARED_DATA=str(missing))
    assert local.returncode == 0, local.stdout + local.stderr
    assert "1 skipped" in local.stdout and f"public data not found at {missing / 'bfcl_v4'}" in local.stdout
    assert "skipped: 1" in local.stdout

    ci = _pytest(NEEDS_DATA, FCSTUDIO_SHARED_DATA=str(missing), FCSTUDIO_CI="1")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "1 error" in ci.stdout and "FCSTUDIO_CI=1: CI runs every test" in ci.stdout
    assert "skipped: 0" in ci.stdout


def test_a_skip_of_any_kind_fails_a_ci_run(tmp_path: Path) -> None:
    """Even a plain ``pytest.skip`` (not through ``need``): the session's exit status is a failure in CI."""
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_skips.py").write_text("import pytest\n\n\ndef test_skipped():\n    pytest.skip('a reason')\n")
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    local = _pytest(str(tmp_path), "--rootdir", str(tmp_path), PYTHONPATH=path)
    assert local.returncode == 0 and "skipped: 1" in local.stdout, local.stdout + local.stderr
    ci = _pytest(str(tmp_path), "--rootdir", str(tmp_path), PYTHONPATH=path, FCSTUDIO_CI="1")
    assert ci.returncode == 1 and "skipped: 1 (must be 0 in CI)" in ci.stdout, ci.stdout + ci.stderr
