"""Synthesis end to end: the offline template run on the demo domain, and an OpenAI-protocol run with a
scripted teacher (retries, cache hits, broken tool-call JSON, an interrupted job resumed without duplicates)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openai_stub import Status, StubServer
from scripted import teacher

from conftest import ROOT, demo_workspace, synthesised_workspace
from fcstudio.llm import LLMConfig
from fcstudio.paths.fsp import FSP, ArgSource, Call, Turn
from fcstudio.paths.store import save_path
from fcstudio.store import Workspace, rows, scalar, transaction
from fcstudio.synth.edits import apply_edit
from fcstudio.synth.job import run_synth
from fcstudio.synth.trajectories import get_trajectory


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """This test's own copy of the synthesised demo workspace (seed 5)."""
    return synthesised_workspace(tmp_path / "demo.duckdb", seed=5)


def test_template_run_gives_verified_trajectories(demo_ws: Workspace) -> None:
    with demo_ws.connect() as con:
        n_paths = scalar(con, "SELECT count(*) FROM fsp_paths")
        synth = rows(con, "SELECT id, verified, tags, domain FROM trajectories WHERE origin = 'synth'")
        assert len(synth) == n_paths and n_paths >= 8
        assert sum(r["verified"] for r in synth) >= 0.6 * n_paths
        assert "travel" in {r["domain"] for r in synth}  # paths using travel functions run in that environment
        assert any("miss_param" in r["tags"] for r in synth) and any("miss_func" in r["tags"] for r in synth)
        tools = {r[0] for r in con.execute("SELECT name FROM tools").fetchall()}
        for r in synth:
            t = get_trajectory(con, r["id"])
            for m in t["messages"]:
                if m["role"] == "user":  # back-translation never names a function
                    assert not any(name in m["content"] for name in tools if "_" in name), m["content"]
            for entry in t["meta"]["plan"]:
                window = t["messages"][entry["start"] : entry["end"]]
                if entry["kind"] == "miss_param":
                    assert not any(m.get("tool_calls") for m in window) and "?" in window[-1]["content"]
                if entry["kind"] == "miss_func":
                    assert not any(m.get("tool_calls") for m in window)
        # tool results are real executions in the travel environment: the weather comes from its database
        db = json.loads((ROOT / "data" / "travel" / "db.json").read_text())
        for (messages,) in con.execute("SELECT messages FROM trajectories WHERE origin = 'synth'").fetchall():
            msgs = json.loads(messages)
            for i, m in enumerate(msgs):
                for tc in m.get("tool_calls") or []:
                    if tc["function"]["name"] == "get_weather":
                        result = next(x for x in msgs[i:] if x.get("tool_call_id") == tc["id"])["content"]
                        loc = json.loads(tc["function"]["arguments"])["location"]
                        assert result.startswith("Error") or any(w["location"] == loc for w in db["weather"].values())
        # running again adds nothing: every path has its trajectory
        again = run_synth(con, backend="template")
        assert again.created == [] and len(again.skipped) == n_paths


def test_edit_reexecute_and_history(demo_ws: Workspace) -> None:
    with demo_ws.connect() as con:
        pid = _path(con, [("get_weather", {"location": "user"}), ("navigate", {"location": "user"})])
        tid = run_synth(con, path_ids=[pid], backend="template").created[0]
        t = get_trajectory(con, tid)
        messages = t["messages"]
        i = next(
            k
            for k, m in enumerate(messages)
            if any(c["function"]["name"] == "get_weather" for c in m.get("tool_calls") or [])
        )
        call = next(c for c in messages[i]["tool_calls"] if c["function"]["name"] == "get_weather")
        call["function"]["arguments"] = json.dumps({"location": "Jaipur"})
        before = next(m for m in messages if m.get("tool_call_id") == call["id"])["content"]
        new_version = apply_edit(con, tid, messages, t["version"], reexecute_from=i, note="Jaipur", editor="ana")
        after_t = get_trajectory(con, tid)
        after = next(m for m in after_t["messages"] if m.get("tool_call_id") == call["id"])["content"]
        assert new_version == t["version"] + 1 and after != before and "Jaipur" in after
        # a call that breaks its schema is refused, naming the message, and nothing is saved
        bad = after_t["messages"]
        next(c for c in bad[i]["tool_calls"] if c["function"]["name"] == "get_weather")["function"]["arguments"] = "{}"
        with pytest.raises(ValueError, match=rf"message {i}: .*location"):
            apply_edit(con, tid, bad, new_version)
        assert get_trajectory(con, tid)["version"] == new_version
        versions = rows(
            con, "SELECT version, editor FROM trajectory_versions WHERE trajectory_id = ? ORDER BY 1", [tid]
        )
        assert [v["version"] for v in versions] == [1, 2] and versions[1]["editor"] == "ana"


def _path(con, calls: list[tuple[str, dict[str, str]]]) -> int:
    ids = {name: tid for tid, name in con.execute("SELECT id, name FROM tools WHERE dataset = 'demo'").fetchall()}
    fsp = FSP(
        turns=[
            Turn(calls=[Call(tool_id=ids[n], name=n, args={a: ArgSource(kind=k) for a, k in args.items()})])
            for n, args in calls
        ]
    )
    with transaction(con):
        return save_path(con, fsp, seed=None)


def test_openai_backend_end_to_end_with_retry_cache_and_broken_json(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "llm.duckdb")
    state = {"n": 0}
    script = teacher(broken={"navigate"})

    def respond(body):
        state["n"] += 1
        return Status(429) if state["n"] == 1 else script(body)

    demo_workspace(ws.path)
    with ws.connect() as con:
        good = _path(con, [("get_weather", {"location": "user"})])
        broken = _path(con, [("navigate", {"location": "user"})])
        with StubServer(respond=respond) as server:
            config = LLMConfig(model="teacher", base_url=server.base_url, backoff_base=0.01, concurrency=4)
            summary = run_synth(con, backend="openai", llm=config, judge=True)
            assert len(summary.created) == 2 and summary.usage["retries"] == 1 and summary.usage["failed"] == 0
            by_path = {r["path_id"]: r for r in rows(con, "SELECT path_id, id, verified FROM trajectories")}
            assert by_path[good]["verified"] is True
            ok = get_trajectory(con, by_path[good]["id"])
            assert ok["verdict"]["semantic"] == {"ok": True, "reason": "the calls match the request"}
            call = next(m for m in ok["messages"] if m.get("tool_calls"))["tool_calls"][0]
            assert call["function"]["name"] == "get_weather"
            bad = get_trajectory(con, by_path[broken]["id"])
            assert bad["verified"] is False
            assert any("not valid JSON" in p for p in bad["verdict"]["checks"]["format"]["problems"])
            assert bad["meta"]["plan"][0]["invalid_calls"][0]["name"] == "navigate"
            sent = len(server.requests)
            # the same job again, from scratch: every request is answered by the cache, none is paid twice
            con.execute("DELETE FROM trajectories WHERE origin = 'synth'")
            again = run_synth(con, backend="openai", llm=config, judge=True)
            assert len(again.created) == 2 and len(server.requests) == sent
            assert again.usage["cached"] == again.usage["calls"] > 0
        statuses = dict(con.execute("SELECT status, count(*) FROM llm_calls GROUP BY 1").fetchall())
        assert statuses["cached"] == again.usage["calls"] and statuses["ok"] >= 6


def test_interrupted_job_resumes_without_duplicates(tmp_path: Path) -> None:
    ws = demo_workspace(tmp_path / "resume.duckdb")
    with ws.connect() as con:
        for city_tool in ("get_weather", "navigate", "get_local_time", "find_hotels"):
            required = json.loads(scalar(con, "SELECT parameters FROM tools WHERE name = ?", [city_tool]))["required"]
            _path(con, [(city_tool, dict.fromkeys(required, "user"))])
    counter: dict[str, int] = {}
    with StubServer(respond=teacher(counter=counter), latency=0.15) as server:
        cmd = [sys.executable, "-m", "fcstudio", "synth", "--backend", "openai", "--model", "teacher"]
        cmd += ["--base-url", server.base_url, "--concurrency", "1", "--workspace", str(ws.path)]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
        deadline = time.monotonic() + 60
        while counter.get("n", 0) < 8 and time.monotonic() < deadline:  # the 7th answer is cached by now
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        first_run = counter["n"]
        with ws.connect() as con:
            stored = scalar(con, "SELECT count(*) FROM trajectories WHERE origin = 'synth'")
            assert 1 <= stored < 4  # killed mid-job
            config = LLMConfig(model="teacher", base_url=server.base_url)
            resumed = run_synth(con, backend="openai", llm=config)
            assert len(resumed.created) == 4 - stored
            paths = [r[0] for r in con.execute("SELECT path_id FROM trajectories WHERE origin = 'synth'").fetchall()]
            assert sorted(paths) == sorted(set(paths)) and len(paths) == 4
            assert resumed.usage["cached"] >= 1  # the killed path's answered requests were not paid again
        assert counter["n"] - first_run < 4 * 3  # a fresh run needs 3 requests per path
