"""Synthesis on BFCL's API classes: catalogue tools from the shipped function docs, calls really executed on a
start state (a shipped one or a BFCL entry's), every trajectory verified by running its calls again.

The teacher model is the scripted one behind the real local OpenAI-protocol server; nothing else is doubled.
Tool results are checked against a ``Session`` built here from the start state file, with call strings written
here (``name(**{...})``), so the environment's own call rendering is not what the test trusts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai_stub import StubServer
from scripted import teacher

from conftest import ROOT, copy_of, run_cli, shared_path, template
from fcstudio.catalog.ingest import import_files
from fcstudio.envs.bfcl.classes import CLASSES, func_docs
from fcstudio.envs.bfcl.environment import WRITES, call_string, env_class, start_file
from fcstudio.envs.bfcl.session import Session
from fcstudio.envs.registry import DOMAINS, open_env
from fcstudio.llm import LLMConfig
from fcstudio.models import ToolSpec
from fcstudio.paths.fsp import FSP, ArgSource, Call, Turn
from fcstudio.paths.store import save_path
from fcstudio.store import Workspace, rows, transaction
from fcstudio.synth.edits import apply_edit
from fcstudio.synth.job import EnvPool, replay_env, run_synth
from fcstudio.synth.trajectories import get_trajectory
from fcstudio.synth.verify import verify

FUNC_DOCS = ROOT / "fcstudio" / "envs" / "bfcl" / "data" / "func_doc"
CLASS_FILES = {"GorillaFileSystem": "gorilla_file_system.json", "TravelAPI": "travel_booking.json"}


def _import_docs(ws: Workspace) -> None:
    with ws.connect() as con:
        import_files(con, "bfcl", [FUNC_DOCS / f for f in CLASS_FILES.values()])


@pytest.fixture
def bfcl_ws(tmp_path: Path) -> Workspace:
    """A workspace whose catalogue holds GorillaFileSystem's and TravelAPI's tools (nothing else)."""
    return copy_of(template("bfcl-docs", _import_docs), tmp_path / "bfcl.duckdb")


def _path(con: Any, turns: list[list[tuple[str, dict[str, ArgSource]]]]) -> int:
    ids = {name: tid for tid, name in con.execute("SELECT id, name FROM tools").fetchall()}
    fsp = FSP(turns=[Turn(calls=[Call(tool_id=ids[n], name=n, args=a) for n, a in turn]) for turn in turns])
    with transaction(con):
        return save_path(con, fsp, seed=None)


USER = ArgSource(kind="user")


def _fs_path(con: Any) -> int:
    """ls, then wc of the first name ls lists, then cat / mkdir / cp with values from the start's own data."""
    return _path(
        con,
        [
            [("ls", {})],
            [("wc", {"file_name": ArgSource(kind="output", turn=0, call=0, field="current_directory_content[]")})],
            [("cat", {"file_name": USER}), ("mkdir", {"dir_name": USER})],
            [("pwd", {})],
        ],
    )


def _travel_path(con: Any) -> int:
    """A log-in (a write: BFCL draws the token from the class's seeded generator), then a card's balance and a
    budget change with the new token (parallel calls), then a flight's price."""
    login = {a: USER for a in ("client_id", "client_secret", "refresh_token", "grant_type")}
    token = ArgSource(kind="output", turn=0, call=0, field="access_token")
    flight = {a: USER for a in ("travel_from", "travel_to", "travel_date", "travel_class")}
    return _path(
        con,
        [
            [("authenticate_travel", {**login, "user_first_name": USER, "user_last_name": USER})],
            [
                ("get_credit_card_balance", {"access_token": token, "card_id": USER}),
                ("set_budget_limit", {"access_token": token, "budget_limit": USER}),
            ],
            [("get_flight_cost", flight)],
        ],
    )


def _executed(messages: list[dict[str, Any]], invalid: set[str]) -> list[tuple[str, dict[str, Any], str]]:
    """(name, arguments, recorded result) of every call that reached the environment, in order."""
    out = []
    for i, m in enumerate(messages):
        for tc in m.get("tool_calls") or []:
            if tc["id"] in invalid:
                continue
            result = next(x for x in messages[i:] if x.get("tool_call_id") == tc["id"])["content"]
            out.append((tc["function"]["name"], json.loads(tc["function"]["arguments"]), result))
    return out


def _assert_results_are_bfcls(traj: dict[str, Any], cls_name: str, start: dict[str, Any] | None = None) -> int:
    """Every recorded result equals what BFCL's executor (a Session on the same start state) returns."""
    start = start or json.loads(start_file(cls_name).read_text())
    recorded = traj["meta"]["env_start"]
    assert recorded["initial_config"] == {cls_name: start["initial_config"].get(cls_name, {})}
    session = Session(recorded["initial_config"], [cls_name], long_context=start.get("long_context", False))
    invalid = {c["id"] for t in traj["meta"]["plan"] for c in t["invalid_calls"]}
    calls = _executed(traj["messages"], invalid)
    for name, args, result in calls:
        assert result == session.run(f"{name}(**{args!r})"), (name, args)
    return len(calls)


def test_paths_over_both_classes_run_for_real_and_verify_by_execution(bfcl_ws: Workspace) -> None:
    with bfcl_ws.connect() as con, StubServer(respond=teacher()) as server:
        fs, travel = _fs_path(con), _travel_path(con)
        config = LLMConfig(model="teacher", base_url=server.base_url, backoff_base=0.01)
        summary = run_synth(con, backend="openai", llm=config)
        assert summary.status == "done" and len(summary.created) == 2
        by_path = {r["path_id"]: r["id"] for r in rows(con, "SELECT path_id, id FROM trajectories")}
        checked = 0
        for pid, cls_name in ((fs, "GorillaFileSystem"), (travel, "TravelAPI")):
            traj = get_trajectory(con, by_path[pid])
            assert traj["domain"] == f"bfcl:{cls_name}"
            assert traj["verified"], traj["verdict"]
            checked += _assert_results_are_bfcls(traj, cls_name)
        assert checked == 9  # every call ran, none was refused
        fs_traj = get_trajectory(con, by_path[fs])
        results = [r for _, _, r in _executed(fs_traj["messages"], set())]
        listed = json.loads(results[0])["current_directory_content"]
        assert listed[0] == "report1.txt" and json.loads(results[1]) == {"count": 1, "type": "lines"}  # wc read it
        travel_traj = get_trajectory(con, by_path[travel])
        (_, _, login), (_, balance_args, balance), (_, _, budget), _ = _executed(travel_traj["messages"], set())
        travel = json.loads(start_file("TravelAPI").read_text())["initial_config"]["TravelAPI"]
        token = json.loads(login)["access_token"]
        assert token != travel["access_token"] and balance_args["access_token"] == token  # fed by the log-in
        card = travel["credit_card_list"][balance_args["card_id"]]  # a real card of the start state
        assert json.loads(balance) == {"card_balance": card["balance"]} and "budget_limit" in json.loads(budget)


def test_a_corrupted_result_fails_verification(bfcl_ws: Workspace) -> None:
    with bfcl_ws.connect() as con:
        pid = _fs_path(con)
        tid = run_synth(con, backend="template", path_ids=[pid]).created[0]
        traj = get_trajectory(con, tid)
        assert traj["verified"], traj["verdict"]
        named = {s.name: s for s in traj["tools"].values()}
        messages = traj["messages"]
        i = next(k for k, m in enumerate(messages) if m["role"] == "tool" and '"count"' in m["content"])
        messages[i]["content"] = messages[i]["content"].replace('"count": 1', '"count": 11')
        verdict = verify(messages, named, traj["meta"], env=replay_env(con, traj))
        assert not verdict["passed"]
        assert any("not what the call gives when run again" in p for p in verdict["checks"]["execution"]["problems"])
        # the same through an edit: saved, but no longer verified; re-executing from there repairs it
        version = apply_edit(con, tid, messages, traj["version"], note="tampered")
        assert get_trajectory(con, tid)["verified"] is False
        apply_edit(con, tid, messages, version, reexecute_from=i, note="re-executed")
        assert get_trajectory(con, tid)["verified"] is True


def test_the_whole_path_from_the_cli(tmp_path: Path) -> None:
    """import the function docs -> graph -> paths -> synth; every result is BFCL's for the shipped start."""
    ws = tmp_path / "cli.duckdb"
    assert run_cli("init", workspace=ws).returncode == 0
    docs = [str(FUNC_DOCS / f) for f in CLASS_FILES.values()]
    imported = run_cli("import", "bfcl", *docs, workspace=ws)
    assert imported.returncode == 0 and "added 18 tools" in imported.stdout, imported.stderr
    assert run_cli("graph", "build", workspace=ws).returncode == 0
    sampled = run_cli("paths", "sample", "--n", "6", "--steps", "3", "--seed", "1", workspace=ws)
    assert sampled.returncode == 0, sampled.stderr
    done = run_cli("synth", workspace=ws)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["created"] == len(json.loads(sampled.stdout)["paths"]) and summary["verified"] >= 1
    with Workspace(ws).connect() as con:
        calls = 0
        for (tid,) in con.execute("SELECT id FROM trajectories").fetchall():
            traj = get_trajectory(con, tid)
            cls_name = traj["domain"].removeprefix("bfcl:")
            assert cls_name in CLASS_FILES  # every path ran in the BFCL class its tools belong to
            calls += _assert_results_are_bfcls(traj, cls_name)
            again = verify(traj["messages"], {s.name: s for s in traj["tools"].values()}, traj["meta"])
            if traj["verified"]:  # passing verification by execution implies passing it without
                assert again["passed"]
        assert calls >= 6


def test_a_start_state_from_a_real_entry(bfcl_ws: Workspace) -> None:
    """``--entry``: the entry's initial_config is the start; the results are BFCL's on that state."""
    data = shared_path("bfcl_v4")
    entry_line = next(
        json.loads(line)
        for line in (data / "BFCL_v4_multi_turn_base.json").read_text().splitlines()
        if '"multi_turn_base_0"' in line
    )
    with bfcl_ws.connect() as con:
        _fs_path(con)
    args = ["--env", "bfcl:GorillaFileSystem", "--entry", "multi_turn_base_0", "--data", str(data)]
    done = run_cli("synth", *args, workspace=bfcl_ws.path)
    assert done.returncode == 0, done.stderr
    with bfcl_ws.connect() as con:
        traj = get_trajectory(con, json.loads(done.stdout)["trajectory_ids"][0])
        assert traj["meta"]["env_start"]["source"] == "BFCL multi_turn_base_0"
        assert _assert_results_are_bfcls(traj, "GorillaFileSystem", entry_line) == 5
        listed = json.loads(_executed(traj["messages"], set())[0][2])["current_directory_content"]
        assert listed == ["document", "archive"]  # multi_turn_base_0's tree, not the shipped default's
    # the same entry's state as a file (a BFCL question line), through the environment CLI
    line_file = bfcl_ws.path.parent / "entry.json"
    line_file.write_text(json.dumps(entry_line))
    called = run_cli("env", "call", "-d", "bfcl:GorillaFileSystem", "ls", "--db", str(line_file))
    assert called.returncode == 0 and json.loads(called.stdout) == {
        "current_directory_content": ["document", "archive"]
    }
    both = run_cli("synth", "--state", str(line_file), "--entry", "multi_turn_base_0", workspace=bfcl_ws.path)
    assert both.returncode == 1 and "not both" in both.stderr


def test_environment_calls_are_bfcls_and_never_code() -> None:
    env = open_env("bfcl:GorillaFileSystem")
    start = json.loads(start_file("GorillaFileSystem").read_text())["initial_config"]
    session = Session(start, ["GorillaFileSystem"], long_context=False)
    for name, args in [("ls", {"a": True}), ("cat", {"file_name": "report1.txt"}), ("cat", {"file_name": "none"})]:
        result = env.execute(name, args)
        assert result.output == session.run(f"{name}(**{args!r})")
        assert result.error == (name == "cat" and args["file_name"] == "none")
    before = env.state_hash()
    sneaky = {"file_name='report1.txt'), rm(file_name": "report1.txt"}  # would be a second call in the string
    result = env.execute("cat", sneaky)
    assert result.error and "not an identifier" in result.output and env.state_hash() == before
    with pytest.raises(ValueError):
        call_string("cat", sneaky)
    assert env.execute("rm", {"file_name": "report1.txt"}).error is False and env.state_hash() != before
    env.reset()
    assert env.state_hash() == before
    # several classes in one session, as a BFCL entry has them
    combo = env_class("bfcl:GorillaFileSystem+TravelAPI")
    assert {"ls", "book_flight"} <= set(combo.tool_names())
    assert open_env("bfcl:GorillaFileSystem+TravelAPI").execute("list_all_airports").error is False


def test_tools_bind_by_name_and_class_label() -> None:
    """A catalogue tool runs in a BFCL class only with that class's label: the demo's own ``send_message``
    (a travel/calendar tool) is never run as MessageAPI's."""
    env = DOMAINS["bfcl:MessageAPI"].env
    assert env.binds("send_message", ["bfcl:MessageAPI"]) and not env.binds("send_message", ["messaging"])
    pool = EnvPool(None)  # type: ignore[arg-type]  # choose() reads no workspace (tests are not type-checked)
    demo = ToolSpec(name="send_message", labels=["messaging"])
    bfcl = ToolSpec(name="send_message", labels=["bfcl:MessageAPI"])
    assert pool.choose([demo], "auto") != "bfcl:MessageAPI"
    assert pool.choose([bfcl], "auto") == "bfcl:MessageAPI"


def test_environment_tools_are_the_imported_tools() -> None:
    """Same name, description and schema as the importer makes (so the same tool id), kinds from WRITES."""
    from fcstudio.catalog.formats import bfcl as bfcl_format

    for cls_name, (_, doc_file) in CLASSES.items():
        imported = {t.name: t for t in bfcl_format.read(str(FUNC_DOCS / doc_file))[0].tools}
        specs = DOMAINS[f"bfcl:{cls_name}"].env.tool_specs()
        assert [s.name for s in specs] == sorted(d["name"] for d in func_docs(cls_name))
        for s in specs:
            assert (s.description, s.parameters) == (imported[s.name].description, imported[s.name].parameters)
            assert imported[s.name].labels == [f"bfcl:{cls_name}"]
            assert s.labels == [f"bfcl:{cls_name}", DOMAINS[f"bfcl:{cls_name}"].env.tool_kind(s.name)]
        assert WRITES[cls_name] <= set(imported), cls_name


def test_write_kinds_cover_every_state_change_in_bfcls_ground_truth() -> None:
    """Replaying BFCL v4's multi-turn ground truth, every call that changes a class's public state is of a tool
    marked ``write``, and every write tool that the ground truth calls changes the state at least once."""
    from fcstudio.envs.bfcl import calls as call_strings
    from fcstudio.envs.bfcl.entries import load_entries
    from fcstudio.envs.bfcl.state import digest

    changed: dict[str, set[str]] = {c: set() for c in CLASSES}
    called: dict[str, set[str]] = {c: set() for c in CLASSES}
    for entry in load_entries(shared_path("bfcl_v4")):  # the four multi-turn categories
        session = Session.for_entry(entry)
        for turn in entry["ground_truth"]:
            for text in turn:
                name = call_strings.first_name(text)
                owner = session.owner.get(name)
                before = digest(session.state())
                session.run(text)
                if owner is not None:
                    called[owner].add(name)
                    if digest(session.state()) != before:
                        changed[owner].add(name)
    for cls_name in CLASSES:
        assert changed[cls_name] <= WRITES[cls_name], cls_name
        assert WRITES[cls_name] & called[cls_name] <= changed[cls_name], cls_name


def test_function_docs_import_as_the_questions_tools(tmp_path: Path) -> None:
    """A multi-turn question file's tools and the shipped function docs are one set of catalogue rows."""
    ws = Workspace(tmp_path / "ws.duckdb")
    with ws.connect() as con:
        (questions,) = import_files(con, "bfcl", [shared_path("bfcl_v4", "BFCL_v4_multi_turn_base.json")])
        docs = import_files(con, "bfcl", sorted(FUNC_DOCS.glob("*.json")))
        assert questions.tools_added == sum(len(func_docs(c)) for c in CLASSES) == 128
        assert [r.tools_added for r in docs] == [0] * 8


def test_a_bad_function_doc_file_names_the_place(tmp_path: Path, ws: Workspace) -> None:
    from fcstudio.catalog.formats import FormatError

    bad = tmp_path / "gorilla_file_system.json"
    good = json.dumps(func_docs("GorillaFileSystem")[0])
    for text, reason in [
        (f'{good}\n{{"description": "no name"}}\n', "function doc must be an object with a string 'name'"),
        (f"{good}\n{good}\n", "function 'cat' is documented twice"),
        (f'{good}\n{{"id": "multi_turn_base_0", "question": []}}\n', "a question in a function-doc file"),
    ]:
        bad.write_text(text)
        with ws.connect() as con, pytest.raises(FormatError) as caught:
            import_files(con, "bfcl", [bad])
        assert caught.value.line == 2 and reason in caught.value.reason, str(caught.value)
