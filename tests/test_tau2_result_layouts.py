"""tau2's own layouts for `eval import`: a results folder (results.json + simulations/, as tau2 saves voice runs),
tau2-bench's leaderboard folder (submissions/<name>/submission.json, voice apart from text), and refusals.

Real samples are in tests/fixtures/outside/tau2 (see its README); the text results folder is written here the
way tau2's ``Results.save(path, format="dir")`` writes one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, run_cli
from fcstudio.evals import eval_store
from fcstudio.evals.importers import EvalImportError, import_results
from fcstudio.jobs import job_failures
from fcstudio.store import Workspace, rows, scalar

TAU2 = FIXTURES / "outside" / "tau2"
VOICE_RUN = TAU2 / "voice_run"
LEADERBOARD = TAU2 / "leaderboard"
VOICE_SUBMISSION = "gpt-realtime-1.5_sierra_2026-03-03"


def _sim(sim_id: str, task_id: str, trial: int, reward: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": sim_id,
        "task_id": task_id,
        "start_time": "2025-06-01T10:00:00",
        "end_time": "2025-06-01T10:01:00",
        "duration": 60.0,
        "termination_reason": "user_stop" if reward else "max_steps",
        "agent_cost": 0.01,
        "user_cost": 0.002,
        "trial": trial,
        "seed": 300 + trial,
        "mode": "half_duplex",
        "reward_info": {"reward": reward, "reward_basis": ["DB"]},
        "messages": [
            {"role": "assistant", "content": "Hi! How can I help you today?", "turn_idx": 0},
            {"role": "user", "content": "Cancel reservation ABC123.", "turn_idx": 1},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "name": "cancel_reservation", "arguments": {"reservation_id": "ABC123"}}],
                "turn_idx": 2,
            },
            {"role": "tool", "id": "c1", "content": '{"status": "cancelled"}', "turn_idx": 3},
            {"role": "user", "content": "Thanks ###STOP###", "turn_idx": 4},
        ],
        **extra,
    }


def _results(sims: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "timestamp": "2025-06-01T09:59:00",
        "info": {
            "agent_info": {"implementation": "llm_agent", "llm": "gpt-4.1"},
            "user_info": {"implementation": "user_simulator", "llm": "gpt-4.1"},
            "environment_info": {"domain_name": "airline"},
            "num_trials": 2,
        },
        "tasks": [{"id": "7", "user_scenario": {"instructions": {"reason_for_call": "cancel"}}}],
        "simulations": sims,
    }


def _save_dir(results: dict[str, Any], folder: Path) -> Path:
    """tau2's dir format: results.json without the simulations, with their index; one file per simulation."""
    (folder / "simulations").mkdir(parents=True)
    meta = {k: v for k, v in results.items() if k != "simulations"}
    meta["simulation_index"] = [
        {
            "id": s["id"],
            "task_id": s["task_id"],
            "trial": s["trial"],
            "reward": s["reward_info"]["reward"],
            "termination_reason": s["termination_reason"],
            "agent_cost": s["agent_cost"],
            "duration": s["duration"],
        }
        for s in results["simulations"]
    ]
    (folder / "results.json").write_text(json.dumps(meta, indent=2))
    for s in results["simulations"]:
        (folder / "simulations" / f"{s['id']}.json").write_text(json.dumps(s, indent=2))
    return folder


def _counts(ws: Workspace) -> tuple[int, int]:
    with ws.connect() as con:
        return scalar(con, "SELECT count(*) FROM eval_runs"), scalar(con, "SELECT count(*) FROM episodes")


# -- results folders ------------------------------------------------------------------------------------------
def test_real_voice_results_folder_is_one_run(ws: Workspace) -> None:
    proc = run_cli("eval", "import", "tau2-results", str(VOICE_RUN), workspace=ws.path)
    assert proc.returncode == 0, proc.stderr
    (run_id,) = map(int, proc.stdout.split())
    with ws.connect() as con:
        meta = eval_store.get_run(con, run_id)
        eps = eval_store.list_episodes(con, run_id=run_id)
    assert (meta["model"], meta["user_model"], meta["domain"], meta["source"]) == (
        "openai:gpt-realtime-2 (voice)",
        "gpt-4.1-2025-04-14",
        "retail",
        "import",
    )
    assert meta["config"]["modality"] == "voice" and meta["episodes"] == 3
    assert sorted((e["task_id"], e["trial"], e["termination"]) for e in eps) == [
        ("20", 0, "user_stop"),
        ("40", 0, "user_stop"),
        ("98", 0, "user_stop"),
    ]
    assert all(e["reward"] is None for e in eps)  # tau2's sample is not scored: no reward_info
    # the folder again, or its results.json (tau2 reads a file with simulations/ beside it as the folder): same run
    again = run_cli("eval", "import", "tau2-results", str(VOICE_RUN / "results.json"), workspace=ws.path)
    assert again.returncode == 0 and again.stdout.split() == [str(run_id)], again.stderr
    assert _counts(ws) == (1, 3)


def test_text_results_folder_imports_as_the_file_does(ws: Workspace, tmp_path: Path) -> None:
    results = _results([_sim("sim-a", "7", 0, 1.0), _sim("sim-b", "7", 1, 0.0)])
    folder = _save_dir(results, tmp_path / "run")
    (folder / "simulations" / ".sim_k2j3.json").write_text('{"half": ')  # tau2's temporary file, not a simulation
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(results))
    with ws.connect() as con:
        (from_folder,) = import_results(con, "tau2-results", folder)
        (from_file,) = import_results(con, "tau2-results", flat)
        eps = {rid: eval_store.list_episodes(con, run_id=rid) for rid in (from_folder, from_file)}
        full = eval_store.get_episode(con, eps[from_folder][0]["id"])
        meta = eval_store.get_run(con, from_folder)
        report = eval_store.run_report(con, from_folder)
    assert from_folder != from_file
    assert [(e["task_id"], e["trial"], e["reward"], e["termination"]) for e in eps[from_folder]] == [
        ("7", 0, 1.0, "user_stop"),
        ("7", 1, 0.0, "max_steps"),
    ]
    strip = [{k: v for k, v in e.items() if k not in ("id", "run_id")} for e in eps[from_file]]
    assert [{k: v for k, v in e.items() if k not in ("id", "run_id")} for e in eps[from_folder]] == strip
    assert (meta["model"], meta["domain"], meta["config"]["modality"]) == ("gpt-4.1", "airline", "text")
    assert full["cost"] == pytest.approx(0.012)
    assert full["messages"][2]["tool_calls"][0]["function"] == {
        "name": "cancel_reservation",
        "arguments": '{"reservation_id": "ABC123"}',
    }
    assert report["pass_hat_k"] == {"1": 0.5, "2": 0.0}


def test_a_run_folder_with_a_single_results_file(ws: Workspace, tmp_path: Path) -> None:
    """tau2's default for text runs: data/simulations/<name>/results.json with the simulations inline."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(_results([_sim("s", "7", 0, 1.0)])))
    proc = run_cli("eval", "import", "tau2-results", str(folder), workspace=ws.path)
    assert proc.returncode == 0, proc.stderr
    assert _counts(ws) == (1, 1)


def test_full_duplex_ticks_become_the_transcript(ws: Workspace, tmp_path: Path) -> None:
    """A voice simulation keeps its messages in ticks: streamed chunks of a speaker are one message (text joined,
    a space between utterances), tool calls and their results in place."""

    def tick(n: int, agent: dict | None = None, user: dict | None = None, **more: Any) -> dict:
        return {"tick_id": n, "timestamp": f"t{n}", "agent_chunk": agent, "user_chunk": user, **more}

    ticks = [
        tick(0, {"role": "assistant", "content": "Hello, ", "utterance_ids": ["a1"]}),
        tick(1, {"role": "assistant", "content": "how can I help?", "utterance_ids": ["a1"]}),
        tick(
            2,
            {"role": "assistant", "contains_speech": False},
            {"role": "user", "content": "Cancel", "utterance_ids": ["u1"]},
        ),
        tick(3, None, {"role": "user", "content": "my trip.", "utterance_ids": ["u2"]}),
        tick(
            4,
            agent_tool_calls=[{"id": "c1", "name": "cancel_reservation", "arguments": {"reservation_id": "X"}}],
            agent_tool_results=[{"role": "tool", "id": "c1", "content": "ok", "requestor": "assistant"}],
        ),
        tick(5, {"role": "assistant", "content": "Done.", "utterance_ids": ["a2"]}),
    ]
    sim = {k: v for k, v in _sim("v1", "7", 0, 1.0, mode="full_duplex", ticks=ticks).items() if k != "messages"}
    folder = _save_dir(_results([sim]), tmp_path / "voice")
    with ws.connect() as con:
        (run_id,) = import_results(con, "tau2-results", folder)
        [ep] = eval_store.list_episodes(con, run_id=run_id)
        messages = eval_store.get_episode(con, ep["id"])["messages"]
        model = eval_store.get_run(con, run_id)["model"]
    assert model == "gpt-4.1 (voice)"  # a full-duplex run is a voice run
    assert [(m["role"], m.get("content")) for m in messages] == [
        ("assistant", "Hello, how can I help?"),
        ("user", "Cancel my trip."),
        ("assistant", None),
        ("tool", "ok"),
        ("assistant", "Done."),
    ]
    assert messages[2]["tool_calls"][0]["function"]["name"] == "cancel_reservation"
    assert messages[3]["name"] == "cancel_reservation"


# -- refusals and bad simulation files ------------------------------------------------------------------------
def test_no_simulations_is_refused_and_nothing_stored(ws: Workspace, tmp_path: Path) -> None:
    """A results file with an empty list, a folder with an empty simulations/, an index with no simulations/."""
    empty_file = tmp_path / "results.json"
    empty_file.write_text(json.dumps(_results([])))
    empty_folder = _save_dir(_results([]), tmp_path / "run")
    no_folder = _save_dir(_results([]), tmp_path / "run2")
    (no_folder / "simulations").rmdir()
    for path in (empty_file, empty_folder, no_folder):
        proc = run_cli("eval", "import", "tau2-results", str(path), workspace=ws.path)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"{path}: no simulations to import" in " ".join(proc.stderr.split()), proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert _counts(ws) == (0, 0)
    # a folder's results.json alone (its simulations/ left behind) is not mistaken for an empty run
    lost = _save_dir(_results([_sim("s", "7", 0, 1.0)]), tmp_path / "run3")
    shutil.rmtree(lost / "simulations")
    with ws.connect() as con, pytest.raises(EvalImportError, match="without its simulations/ folder"):
        import_results(con, "tau2-results", lost / "results.json")
    assert _counts(ws) == (0, 0)


def test_a_bad_simulation_file_is_named_and_the_others_imported(ws: Workspace, tmp_path: Path) -> None:
    sims = [_sim("good", "7", 0, 1.0), _sim("broken", "7", 1, 0.0), _sim("robot", "7", 2, 0.0), _sim("gone", "7", 3, 1)]
    sims[2]["messages"][0]["role"] = "robot"
    folder = _save_dir(_results(sims), tmp_path / "run")
    (folder / "simulations" / "broken.json").write_text('{"id": "broken", "task_id": ')
    (folder / "simulations" / "gone.json").unlink()  # in the index, not on disk
    proc = run_cli("eval", "import", "tau2-results", str(folder), workspace=ws.path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    (run_id,) = map(int, proc.stdout.split())  # the good simulation was imported
    stderr = " ".join(proc.stderr.split())  # rich wraps long lines
    assert f"{folder / 'simulations' / 'broken.json'}: not JSON" in stderr, stderr
    assert f"{folder / 'simulations' / 'robot.json'}: message 0 has no role" in stderr, stderr
    assert f"{folder / 'simulations' / 'gone.json'}: listed in results.json's simulation_index" in stderr
    with ws.connect() as con:
        assert [(e["task_id"], e["trial"]) for e in eval_store.list_episodes(con, run_id=run_id)] == [("7", 0)]
        [job] = rows(con, "SELECT id, status, items, items_failed FROM jobs WHERE kind = 'eval_import'")
        failed = sorted(Path(f["item"]).name for f in job_failures(con, job["id"]))
    assert (job["status"], job["items"], job["items_failed"]) == ("partial", 1, 3)
    assert failed == ["broken.json", "gone.json", "robot.json"]
    # without a failures list, the API says which failed after importing the others
    other = Workspace(tmp_path / "other.duckdb")
    with other.connect() as con, pytest.raises(EvalImportError, match=r"3 simulation file\(s\) .* as run \d+"):
        import_results(con, "tau2-results", folder)
    assert _counts(other) == (1, 1)


def test_a_folder_of_only_bad_simulations_is_refused(ws: Workspace, tmp_path: Path) -> None:
    folder = _save_dir(_results([_sim("a", "7", 0, 1.0)]), tmp_path / "run")
    (folder / "simulations" / "a.json").write_text("[1, 2]")
    proc = run_cli("eval", "import", "tau2-results", str(folder), workspace=ws.path)
    assert proc.returncode == 1 and "none of its 1 simulation files" in proc.stderr, proc.stderr
    assert f"{folder / 'simulations' / 'a.json'}: needs 'task_id'" in " ".join(proc.stderr.split())
    assert _counts(ws) == (0, 0)


# -- tau2-bench's leaderboard folder ----------------------------------------------------------------------------
def test_upstream_leaderboard_layout(ws: Workspace) -> None:
    proc = run_cli("eval", "import", "tau2-leaderboard", str(LEADERBOARD), workspace=ws.path)  # submissions/'s parent
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 3  # the example submission, manifest.json are not submissions
    with ws.connect() as con:
        runs = {r["model"]: eval_store.get_run(con, r["id"]) for r in eval_store.list_runs(con, "tau2")}
        board = {r["model"]: r["value"] for r in eval_store.leaderboard(con, "tau2", "airline", "pass^1")}
    assert sorted(runs) == ["GPT-4.1-mini", "GPT-5.5", "gpt-realtime-1.5 (voice)"]
    assert {m: r["config"]["modality"] for m, r in runs.items()} == {
        "GPT-4.1-mini": "text",  # a legacy submission without the field: text, the schema's default
        "GPT-5.5": "text",
        "gpt-realtime-1.5 (voice)": "voice",
    }
    voice = runs["gpt-realtime-1.5 (voice)"]
    assert voice["origin"].endswith(f"({VOICE_SUBMISSION}/submission.json)")
    assert voice["config"]["voice_config"]["model"] == "gpt-realtime-1.5"
    assert board["gpt-realtime-1.5 (voice)"] == pytest.approx(0.40)
    assert board["GPT-4.1-mini"] == pytest.approx(0.487)
    # submissions/ itself: the same files, the same runs
    again = run_cli("eval", "import", "tau2-leaderboard", str(LEADERBOARD / "submissions"), workspace=ws.path)
    assert sorted(again.stdout.split()) == sorted(proc.stdout.split()), again.stderr


def test_voice_and_text_runs_of_one_model_are_kept_apart(ws: Workspace, tmp_path: Path) -> None:
    source = json.loads((LEADERBOARD / "submissions" / VOICE_SUBMISSION / "submission.json").read_text())
    subs = tmp_path / "submissions"
    text = {**source, "modality": "text", "results": {"airline": {"pass_1": 55.0}}}
    unmarked = {k: v for k, v in source.items() if k != "modality"}  # voice only by the manifest's list
    for name, sub in [("as-text_x_2026-01-01", text), (VOICE_SUBMISSION, unmarked)]:
        (subs / name).mkdir(parents=True)
        (subs / name / "submission.json").write_text(json.dumps(sub))
    shutil.copy(LEADERBOARD / "submissions" / "manifest.json", subs)
    proc = run_cli("eval", "import", "tau2-leaderboard", str(tmp_path), workspace=ws.path)
    assert proc.returncode == 0, proc.stderr
    with ws.connect() as con:
        board = [(r["model"], r["value"]) for r in eval_store.leaderboard(con, "tau2", "airline", "pass^1")]
    assert board == [("gpt-realtime-1.5", pytest.approx(0.55)), ("gpt-realtime-1.5 (voice)", pytest.approx(0.40))]


def test_a_bad_submission_in_the_upstream_layout_is_named(ws: Workspace, tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    shutil.copytree(LEADERBOARD / "submissions", subs)
    (subs / "broken_x_2026-01-01").mkdir()
    (subs / "broken_x_2026-01-01" / "submission.json").write_text('{"model_name": "x", "modality": "video"')
    (subs / "odd_x_2026-01-01").mkdir()
    (subs / "odd_x_2026-01-01" / "submission.json").write_text(
        '{"model_name": "y", "modality": "video", "results": {}}'
    )
    proc = run_cli("eval", "import", "tau2-leaderboard", str(subs), workspace=ws.path)
    stderr = " ".join(proc.stderr.split())
    assert proc.returncode == 1 and len(proc.stdout.split()) == 3, proc.stderr
    assert f"{subs / 'broken_x_2026-01-01' / 'submission.json'}: not JSON" in stderr, stderr
    assert "modality 'video' is not 'text' or 'voice'" in stderr
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "manifest.json").write_text("{}")
    proc = run_cli("eval", "import", "tau2-leaderboard", str(tmp_path / "none"), workspace=ws.path)
    assert proc.returncode == 1 and "<name>/submission.json" in " ".join(proc.stderr.split()), proc.stderr
