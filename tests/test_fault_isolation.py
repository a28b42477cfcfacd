"""One bad item never stops a job: each job is fed an item that breaks, the rest is produced, and the failure is
recorded (job_failures, the job's status and counts, the CLI summary and exit code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai_stub import StubServer
from scripted_eval import script

from conftest import no_errors, open_page, run_cli, synthesised_workspace
from fcstudio.evals import eval_store
from fcstudio.evals.bfcl_run import run_bfcl
from fcstudio.evals.runner import RunSpec, create_run, default_tasks_file, execute_run
from fcstudio.jobs import get_job, job_failures, status_text
from fcstudio.llm import LLMConfig
from fcstudio.prefs.pairs import different_value, make_pairs
from fcstudio.store import Workspace, one, rows, run, scalar
from fcstudio.synth.job import run_synth


def _break_two_paths(ws: Workspace) -> tuple[int, int]:
    """Two stored paths that cannot be synthesised: one whose JSON is no longer an FSP, one calling a tool that
    is not in the catalogue (its tool was deleted, say). Their trajectories are removed so that they are to do."""
    with ws.connect() as con:
        ids = [r[0] for r in run(con, "SELECT id FROM fsp_paths ORDER BY id")]
        garbled, orphan = ids[1], ids[4]
        fsp = json.loads(scalar(con, "SELECT fsp FROM fsp_paths WHERE id = ?", [orphan]))
        fsp["turns"][0]["calls"][0]["tool_id"] = "t_deleted_tool"
        run(con, "UPDATE fsp_paths SET fsp = ? WHERE id = ?", [json.dumps(fsp), orphan])
        run(con, "UPDATE fsp_paths SET fsp = ? WHERE id = ?", ['{"turns": "not a list"}', garbled])
        run(con, "DELETE FROM trajectory_versions")
        run(con, "DELETE FROM trajectories WHERE origin = 'synth'")
    return garbled, orphan


def test_synth_records_a_broken_path_and_makes_the_others(tmp_path: Path) -> None:
    ws = synthesised_workspace(tmp_path / "ws.duckdb", seed=5)
    garbled, orphan = _break_two_paths(ws)
    with ws.connect() as con:
        n_paths = scalar(con, "SELECT count(*) FROM fsp_paths")
        summary = run_synth(con, backend="template")
        job = get_job(con, summary.job_id)
        failures = {f["item"]: f for f in job_failures(con, summary.job_id)}
        made = scalar(con, "SELECT count(*) FROM trajectories WHERE job_id = ?", [summary.job_id])
    assert set(summary.failed) == {garbled, orphan}
    assert len(summary.created) == made == n_paths - 2
    assert summary.status == "partial" and job is not None and job["status"] == "partial"
    assert job["items_failed"] == 2 and job["items_total"] == n_paths and job["items"] == n_paths - 2
    assert job["status_text"] == f"partial: 2 of {n_paths} items failed"
    assert "not in the catalogue" in failures[f"path {orphan}"]["error"]
    assert "t_deleted_tool" in failures[f"path {orphan}"]["error"]
    assert failures[f"path {garbled}"]["error"].startswith("ValidationError")
    assert failures[f"path {garbled}"]["detail"]  # where in the code it was raised

    # a rerun tries only the two failed paths again (the others have their trajectory) and says so on the CLI
    proc = run_cli("synth", workspace=tmp_path / "ws.duckdb", process=True)  # exit code 5 from a real process
    assert proc.returncode == 5, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "partial" and out["created"] == 0 and out["skipped_existing"] == n_paths - 2
    assert set(out["failed"]) == {f"path {garbled}", f"path {orphan}"}
    assert f"job {out['job']} partial: 2 of 2 items failed" in proc.stderr
    assert f"path {orphan}: SynthError" in proc.stderr and "Traceback" not in proc.stderr
    shown = run_cli("jobs", "show", str(out["job"]), workspace=tmp_path / "ws.duckdb")
    job_out = json.loads(shown.stdout)
    assert job_out["status_text"] == "partial: 2 of 2 items failed" and len(job_out["failures"]) == 2


def test_a_clean_synth_job_is_done(tmp_path: Path) -> None:
    ws = synthesised_workspace(tmp_path / "ws.duckdb", seed=3)
    with ws.connect() as con:
        job = rows(con, "SELECT status, items_failed, items_total, items FROM jobs WHERE kind = 'synth'")[0]
    assert job["status"] == "done" and job["items_failed"] == 0 and job["items"] == job["items_total"] > 0


def test_pairs_make_records_a_broken_trajectory_and_pairs_the_others(tmp_path: Path) -> None:
    ws = synthesised_workspace(tmp_path / "ws.duckdb", seed=11)
    with ws.connect() as con:
        ids = [r[0] for r in run(con, "SELECT id FROM trajectories WHERE verified ORDER BY id")]
        broken = ids[0]
        meta = json.loads(scalar(con, "SELECT meta FROM trajectories WHERE id = ?", [broken]))
        del meta["plan"][0]["calls"]  # its plan was hand-edited (or written by another tool) and lost a field
        run(con, "UPDATE trajectories SET meta = ? WHERE id = ?", [json.dumps(meta), broken])
        summary = make_pairs(con, "perturb", seed=1)
        job = get_job(con, summary.job_id)
        [failure] = job_failures(con, summary.job_id)
        paired = {r[0] for r in run(con, "SELECT trajectory_id FROM pairs WHERE job_id = ?", [summary.job_id])}
    assert set(summary.failed) == {broken} and failure["item"] == f"trajectory {broken}"
    assert failure["error"] == "KeyError: 'calls'" and "pairs.py" in failure["detail"]
    assert len(paired) >= len(ids) - 2 and broken not in paired  # every other trajectory had its turn
    assert summary.reached == len(ids)
    assert job is not None and job["status"] == "partial" and job["items_failed"] == 1
    assert job["items_total"] == len(ids)


def test_status_text_says_how_many_failed() -> None:
    assert status_text({"status": "done", "items_failed": 0, "items_total": 9}) == "done"
    assert status_text({"status": "partial", "items_failed": 1, "items_total": 3}) == "partial: 1 of 3 items failed"
    assert status_text({"status": "partial", "items_failed": 1, "items_total": 1}) == "partial: 1 of 1 item failed"
    assert status_text({"status": "partial", "items_failed": 2, "items_total": None}) == "partial: 2 items failed"
    assert status_text({"status": "failed", "items_failed": 1}) == "failed: 1 item failed"


def test_wrong_argument_values_keep_their_shape() -> None:
    assert different_value(["LAX", "JFK"]) == ["LAX", "JFK-x"]
    assert different_value([]) == ["x"]
    assert different_value({"a": 1, "b": 2}) == {"a": 2, "b": 2}
    assert different_value(True) is False and different_value(3) == 4 and different_value(2.5) == 3.5
    assert different_value("D120") == "D120-x" and different_value(None) == "x"
    for value in (["a"], {"k": [1]}, 0, "", False, [[1, 2]]):
        assert different_value(value) != value and type(different_value(value)) is type(value)


def _tasks_with_two_broken(tmp_path: Path) -> Path:
    """The travel tasks plus one task that cannot be read (an action without a name) and one that breaks when
    its episode is scored (``compare_args`` is not a list)."""
    tasks = json.loads(default_tasks_file("travel").read_text())
    unreadable = json.loads(json.dumps(tasks[1]))
    unreadable["id"] = "broken_read"
    unreadable["evaluation_criteria"]["actions"] = [{"arguments": {}}]
    unscorable = json.loads(json.dumps(tasks[1]))
    unscorable["id"] = "broken_score"
    unscorable["evaluation_criteria"]["actions"][0]["compare_args"] = 5
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([*tasks, unreadable, unscorable]))
    return path


def test_eval_run_records_broken_tasks_and_plays_the_others(
    tmp_path: Path, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    tasks_file = _tasks_with_two_broken(tmp_path)
    config = {"concurrency": 4, "api_key_env": "FCSTUDIO_TEST_KEY"}
    with StubServer(respond=script(set())) as stub, ws.connect() as con:
        spec = RunSpec(
            domain="travel",
            tasks_file=str(tasks_file),
            task_ids=["travel_0", "travel_1", "broken_read", "broken_score"],
            trials=2,
            agent=LLMConfig(model="agent", base_url=stub.base_url, **config),
            user=LLMConfig(model="user", base_url=stub.base_url, **config),
        )
        run_id = create_run(con, spec)
        summary = execute_run(con, run_id)
        job = get_job(con, summary.job_id)
        failures = {f["item"]: f["error"] for f in job_failures(con, summary.job_id)}
        episodes = {(e["task_id"], e["trial"]) for e in eval_store.list_episodes(con, run_id=run_id)}
        status = eval_store.get_run(con, run_id)["status"]  # type: ignore[index]
        # a resume tries the failed ones again and records them again, once each (not twice)
        again = execute_run(con, run_id)
        n_again = scalar(con, "SELECT count(*) FROM job_failures WHERE job_id = ?", [summary.job_id])
    assert episodes == {("travel_0", 0), ("travel_0", 1), ("travel_1", 0), ("travel_1", 1)}
    assert summary.episodes == 4 and summary.status == status == "partial"
    assert set(failures) == {"task broken_read", "broken_score/0", "broken_score/1"}
    assert "action 0 needs a string 'name'" in failures["task broken_read"]
    assert failures["broken_score/0"].startswith("TypeError")
    assert job is not None and job["items_total"] == 8 and job["items_failed"] == 3
    assert summary.report["episodes"] == 4  # scores are over the episodes that ran
    assert again.episodes == 0 and again.skipped == 4 and n_again == 3 and again.status == "partial"


def _bfcl_folder(tmp_path: Path) -> Path:
    """A BFCL data folder of three simple_python cases; the second has a question turn without content."""
    root = tmp_path / "bfcl"
    (root / "possible_answer").mkdir(parents=True)
    doc = {
        "name": "calc_area",
        "description": "Area of a rectangle.",
        "parameters": {"type": "dict", "properties": {"w": {"type": "integer"}, "h": {"type": "integer"}}},
    }
    questions, answers = [], []
    for i in range(3):
        turn = {"role": "user", "content": f"Area of {i + 2} by 3?"} if i != 1 else {"role": "user"}
        questions.append({"id": f"simple_python_{i}", "question": [[turn]], "function": [doc]})
        answers.append({"id": f"simple_python_{i}", "ground_truth": [{"calc_area": {"w": [i + 2], "h": [3]}}]})
    (root / "BFCL_v4_simple_python.json").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (root / "possible_answer" / "BFCL_v4_simple_python.json").write_text("".join(json.dumps(a) + "\n" for a in answers))
    return root


def test_bfcl_run_records_a_broken_case_and_scores_the_others(tmp_path: Path, ws: Workspace) -> None:
    root = _bfcl_folder(tmp_path)

    def respond(body: dict) -> object:
        w = int(body["messages"][-1]["content"].split()[2])
        args = json.dumps({"w": w, "h": 3})
        return {"tool_calls": [{"id": "c0", "type": "function", "function": {"name": "calc_area", "arguments": args}}]}

    with StubServer(respond=respond) as stub, ws.connect() as con:
        config = LLMConfig(model="m", base_url=stub.base_url, concurrency=2)
        summary = run_bfcl(con, root, config, categories=["simple_python"])
        job = get_job(con, summary.job_id)
        failures = job_failures(con, summary.job_id)
        stored = {e["task_id"] for e in eval_store.list_episodes(con, run_id=summary.run_id)}
    assert stored == {"simple_python_0", "simple_python_2"} and summary.cases == 2
    assert summary.accuracy["simple_python"] == 1.0
    assert [f["item"] for f in failures] == ["simple_python_1"] and failures[0]["error"].startswith("KeyError")
    assert summary.status == "partial" and job is not None and job["items_total"] == 3 and job["items_failed"] == 1


def test_the_llm_log_page_shows_a_partial_job_and_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = synthesised_workspace(tmp_path / "ws.duckdb", seed=5)
    garbled, orphan = _break_two_paths(ws)
    with ws.connect() as con:
        job_id = run_synth(con, backend="template").job_id
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(ws.path))
    at = open_page("llm_log")
    assert next(m.value for m in at.metric if m.label == "Jobs with failed items") == "1"
    at.selectbox(key="log_job").select(job_id).run()
    no_errors(at)
    [table] = [d.value for d in at.dataframe if "raised at" in d.value.columns]
    assert set(table["item"]) == {f"path {garbled}", f"path {orphan}"}
    assert any("not in the catalogue" in e for e in table["error"])
    assert any("2 failed items" in m.value for m in at.markdown)


def test_synth_on_an_airline_tool_with_nested_models(ws: Workspace, shared_data: Path) -> None:
    """The job that died at real size: book_reservation's schema has $defs (passengers, payment methods); its calls
    are now generated from the referenced shapes, executed in the airline domain and checked with jsonschema."""
    from fcstudio.catalog.ingest import import_files
    from fcstudio.paths.fsp import FSP, ArgSource, Call, Turn
    from fcstudio.paths.store import save_path

    with ws.connect() as con:
        import_files(con, "tau2-tasks", [shared_data / "tau2" / "airline" / "tasks.json"])
        tool_id, params = one(con, "SELECT id, parameters FROM tools WHERE name = 'book_reservation'")
        required = json.loads(params)["required"]
        assert "$defs" in json.loads(params)
        call = Call(tool_id=tool_id, name="book_reservation", args={p: ArgSource() for p in required})
        pid = save_path(con, FSP(turns=[Turn(calls=[call])]), seed=1)
        summary = run_synth(con, path_ids=[pid], backend="template", env="airline")
        [traj] = rows(con, "SELECT messages, verdict FROM trajectories WHERE path_id = ?", [pid])
    assert summary.failed == {} and summary.status == "done" and len(summary.created) == 1
    messages = json.loads(traj["messages"])
    [booking] = [
        tc for m in messages for tc in m.get("tool_calls") or [] if tc["function"]["name"] == "book_reservation"
    ]
    passengers = json.loads(booking["function"]["arguments"])["passengers"]
    assert passengers and all({"first_name", "last_name", "dob"} <= set(p) for p in passengers)
    assert json.loads(traj["verdict"])["checks"]["format"]["ok"]  # the arguments satisfy the $ref-ed schema


def test_a_folder_of_submissions_imports_the_good_ones_and_records_the_bad(
    tmp_path: Path, ws: Workspace, shared_data: Path
) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    good = sorted((shared_data / "tau2" / "leaderboard").glob("*.json"))[:2]
    for f in good:
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "broken.json").write_text('{"model_name": "x", "results": ')
    proc = run_cli("eval", "import", "tau2-leaderboard", str(folder), workspace=ws.path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{folder / 'broken.json'}" in proc.stderr
    assert len(proc.stdout.split()) >= 2  # the two good submissions' runs
    with ws.connect() as con:
        job = rows(con, "SELECT id, status, items, items_total, items_failed FROM jobs WHERE kind = 'eval_import'")[0]
        [failure] = job_failures(con, job["id"])
        files = [r[0] for r in run(con, "SELECT origin FROM eval_runs WHERE origin LIKE 'tau2-bench leaderboard:%'")]
    assert (job["status"], job["items"], job["items_total"], job["items_failed"]) == ("partial", 2, 3, 1)
    assert failure["item"].endswith("broken.json") and "broken.json" in failure["error"]
    assert sorted(o.rsplit("(", 1)[1].rstrip(")") for o in files) == [f.name for f in good]


@pytest.mark.parametrize(("stop", "status"), [(KeyboardInterrupt, "interrupted"), (RuntimeError, "failed")])
def test_a_job_stopped_from_outside_its_items_says_so(tmp_path: Path, stop: type[BaseException], status: str) -> None:
    """Ctrl-C (here: raised by the progress callback after the first path) ends the job 'interrupted'; an error
    outside any item ends it 'failed' with the error recorded as item (job). Items stored before stay."""
    ws = synthesised_workspace(tmp_path / "ws.duckdb", seed=5)
    with ws.connect() as con:
        run(con, "DELETE FROM trajectory_versions")
        run(con, "DELETE FROM trajectories WHERE origin = 'synth'")

        def progress(frac: float, label: str) -> None:
            raise stop("stopped from outside")

        with pytest.raises(stop):
            run_synth(con, backend="template", progress=progress)
        job = rows(con, "SELECT id, status, items FROM jobs WHERE kind = 'synth' ORDER BY id DESC LIMIT 1")[0]
        failures = job_failures(con, job["id"])
        kept = scalar(con, "SELECT count(*) FROM trajectories WHERE job_id = ?", [job["id"]])
    assert job["status"] == status and job["items"] == kept == 1
    if status == "failed":
        assert [(f["item"], f["error"]) for f in failures] == [("(job)", "RuntimeError: stopped from outside")]
    else:
        assert failures == []
