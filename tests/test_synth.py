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
from fcstudio.synth.plan import SynthError
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


# -- stale replies after a re-execution (issue 16, deliverable 3) ------------------------------------------------


def _weather_trajectory(con) -> tuple[int, dict, int, dict]:  # type: ignore[no-untyped-def]
    """A template trajectory asking the weather (one call), its record, the calling message and the call."""
    pid = _path(con, [("get_weather", {"location": "user"})])
    tid = run_synth(con, path_ids=[pid], backend="template").created[0]
    t = get_trajectory(con, tid)
    i = next(k for k, m in enumerate(t["messages"]) if m.get("tool_calls"))
    return tid, t, i, t["messages"][i]["tool_calls"][0]


def _elsewhere(call: dict) -> str:
    """The call's location moved to another city of the travel database, so its forecast differs."""
    args = json.loads(call["function"]["arguments"])
    args["location"] = "Jaipur" if args["location"] != "Jaipur" else "Agra"
    call["function"]["arguments"] = json.dumps(args)
    return args["location"]


def test_reexecution_marks_the_dependent_reply_stale_and_nothing_lets_it_through(demo_ws: Workspace, tmp_path: Path):
    from fcstudio.prefs.export import export
    from fcstudio.synth.edits import regenerate_stale
    from fcstudio.synth.trajectories import StaleTrajectory, list_trajectories, set_status

    with demo_ws.connect() as con:
        tid, t, i, call = _weather_trajectory(con)
        assert t["verified"] is True
        set_status(con, tid, "accepted")
        reply_at = len(t["messages"]) - 1
        old_reply = t["messages"][reply_at]["content"]
        city = _elsewhere(call)
        version = apply_edit(con, tid, t["messages"], t["version"], reexecute_from=i, regenerate_replies=False)
        after = get_trajectory(con, tid)
        result = next(m for m in after["messages"] if m.get("tool_call_id") == call["id"])["content"]
        assert city in result and after["messages"][reply_at]["content"] == old_reply  # the reply quotes the old one
        assert [m["message"] for m in after["stale"]] == [reply_at]
        reason = f"assistant reply at turn 1 (message {reply_at}) quotes a tool result that changed"
        assert after["stale"][0]["reason"].startswith(reason)
        assert after["verified"] is False and after["verdict"]["passed"] is False
        assert after["verdict"]["checks"]["replies"] == {"ok": False, "problems": [after["stale"][0]["reason"]]}
        assert after["status"] == "pending"  # it was accepted on the old results
        with pytest.raises(StaleTrajectory, match="cannot be accepted while a reply is stale: assistant reply"):
            set_status(con, tid, "accepted")
        assert get_trajectory(con, tid)["status"] == "pending"
        assert list_trajectories(con, stale=True)[1] == 1
        con.execute("UPDATE trajectories SET status = 'accepted' WHERE id = ?", [tid])  # even if forced through
        done = export(con, "sft", tmp_path / "sft.jsonl", include_all=True)
        lines = (tmp_path / "sft.jsonl").read_text().splitlines()
        assert f"traj-{tid}" not in {json.loads(line)["id"] for line in lines}
        assert done["skipped_stale"] == [f"traj-{tid}: {after['stale'][0]['reason']}"]

        new, count = regenerate_stale(con, tid, version, editor="ana")
        fixed = get_trajectory(con, tid)
        assert count == 1 and new == version + 1 and fixed["stale"] == []
        reply = fixed["messages"][reply_at]["content"]
        assert reply != old_reply and city in reply and "{" not in reply
        assert fixed["verdict"]["checks"]["replies"]["ok"] is True
        assert fixed["verdict"]["checks"]["plan"]["problems"] == [  # what is left is the edit itself
            f"get_weather: location is {json.dumps(city)}, the user said {json.dumps(t['meta']['plan'][0]['calls'][0]['args']['location'])}"
        ]
        set_status(con, tid, "accepted")
        done = export(con, "sft", tmp_path / "sft.jsonl")
        assert "skipped_stale" not in done
        assert f"traj-{tid}" in {json.loads(x)["id"] for x in (tmp_path / "sft.jsonl").read_text().splitlines()}


def test_reexecution_regenerates_a_template_reply_and_a_hand_edit_clears_a_stale_one(demo_ws: Workspace) -> None:
    with demo_ws.connect() as con:
        tid, t, i, call = _weather_trajectory(con)
        old_reply = t["messages"][-1]["content"]
        city = _elsewhere(call)
        version = apply_edit(con, tid, t["messages"], t["version"], reexecute_from=i)  # the default regenerates
        after = get_trajectory(con, tid)
        assert after["stale"] == [] and after["verdict"]["checks"]["replies"]["ok"] is True
        assert after["messages"][-1]["content"] != old_reply and city in after["messages"][-1]["content"]
        # marked stale, then rewritten by hand: the marker goes with the old text
        _elsewhere(after["messages"][i]["tool_calls"][0])
        version = apply_edit(con, tid, after["messages"], version, reexecute_from=i, regenerate_replies=False)
        stale = get_trajectory(con, tid)
        assert len(stale["stale"]) == 1
        stale["messages"][-1]["content"] = "I checked the weather there for you."
        version = apply_edit(con, tid, stale["messages"], version)
        assert get_trajectory(con, tid)["stale"] == []
        # a result edited by hand makes its reply stale too, unless the reply is rewritten in the same save
        hand = get_trajectory(con, tid)
        at = next(k for k, m in enumerate(hand["messages"]) if m.get("tool_call_id") == call["id"])
        hand["messages"][at]["content"] = json.dumps({"location": "Atlantis", "temperature": 99})
        version = apply_edit(con, tid, hand["messages"], version, regenerate_replies=False)
        assert [m["message"] for m in get_trajectory(con, tid)["stale"]] == [len(hand["messages"]) - 1]
        hand["messages"][-1]["content"] = "It is 99 degrees in Atlantis."
        apply_edit(con, tid, hand["messages"], version, regenerate_replies=False)
        assert get_trajectory(con, tid)["stale"] == []


def test_a_model_jobs_stale_reply_waits_for_a_model(tmp_path: Path) -> None:
    from fcstudio.synth.edits import regenerate_stale

    ws = demo_workspace(tmp_path / "model.duckdb")
    with ws.connect() as con, StubServer(respond=teacher()) as server:
        pid = _path(con, [("get_weather", {"location": "user"})])
        config = LLMConfig(model="teacher", base_url=server.base_url, backoff_base=0.01)
        tid = run_synth(con, path_ids=[pid], backend="openai", llm=config).created[0]
        t = get_trajectory(con, tid)
        i = next(k for k, m in enumerate(t["messages"]) if m.get("tool_calls"))
        city = _elsewhere(t["messages"][i]["tool_calls"][0])
        version = apply_edit(con, tid, t["messages"], t["version"], reexecute_from=i)  # no model given: stale
        assert len(get_trajectory(con, tid)["stale"]) == 1
        with pytest.raises(ValueError, match="written by a model: give a model"):
            regenerate_stale(con, tid, version)
        regenerate_stale(con, tid, version, llm=config)
        fixed = get_trajectory(con, tid)
        assert fixed["stale"] == [] and fixed["messages"][-1]["content"].startswith("Done: ")
        assert city in fixed["messages"][-1]["content"]  # the teacher answered from the new result
        assert scalar(con, "SELECT count(*) FROM llm_calls WHERE purpose = 'regenerate_reply'") == 1


def test_a_model_that_calls_again_is_asked_for_words_and_one_that_never_writes_words_changes_nothing(
    tmp_path: Path,
) -> None:
    """Like llama.cpp's Qwen 0.5B: offered tools after a finished turn, it calls the same function again."""
    from fcstudio.synth.edits import regenerate_stale
    from fcstudio.synth.stale import SAY_THE_RESULTS

    def calls_again(body: dict) -> object:  # type: ignore[type-arg]
        last = body["messages"][-1]
        if last == SAY_THE_RESULTS and "tools" not in body:
            tool = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
            return f"It is {json.loads(tool['content']).get('condition', 'known')} there now."
        call = next(m for m in reversed(body["messages"]) if m.get("tool_calls"))["tool_calls"][0]
        return {"tool_calls": [{**call, "id": "again"}]}

    ws = demo_workspace(tmp_path / "calls_again.duckdb")
    with ws.connect() as con:
        tid, t, i, call = _weather_trajectory(con)
        _elsewhere(call)
        version = apply_edit(con, tid, t["messages"], t["version"], reexecute_from=i, regenerate_replies=False)
        with StubServer(respond=lambda body: '```json\n{"name": "get_weather"}\n```') as server:
            config = LLMConfig(model="m", base_url=server.base_url, backoff_base=0.01)
            with pytest.raises(SynthError, match="no reply in words"):
                regenerate_stale(con, tid, version, llm=config)
        unchanged = get_trajectory(con, tid)
        assert unchanged["version"] == version and len(unchanged["stale"]) == 1  # nothing half-written
        with StubServer(respond=calls_again) as server:  # another model: the first one's answers are cached
            config = LLMConfig(model="m2", base_url=server.base_url, backoff_base=0.01)
            regenerate_stale(con, tid, version, llm=config)
        fixed = get_trajectory(con, tid)
        assert fixed["stale"] == [] and fixed["messages"][-1]["content"].startswith("It is ")
        assert SAY_THE_RESULTS not in fixed["messages"]  # the request's nudge is never stored


def test_cli_marks_lists_refuses_and_regenerates_stale_replies(demo_ws: Workspace, tmp_path: Path) -> None:
    from conftest import run_cli

    with demo_ws.connect() as con:
        tid, t, i, call = _weather_trajectory(con)
    _elsewhere(call)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(t["messages"]))
    done = run_cli(
        "traj", "edit", str(tid), str(edited), "--version", str(t["version"]), "--reexecute-from", str(i),
        "--mark-stale", workspace=demo_ws.path,
    )  # fmt: skip
    assert done.returncode == 0 and "stale: assistant reply at turn 1" in done.stderr
    listed = json.loads(run_cli("traj", "list", "--stale", workspace=demo_ws.path).stdout)
    assert [r["id"] for r in listed["rows"]] == [tid] and listed["rows"][0]["stale"] == 1
    refused = run_cli("traj", "status", str(tid), "accepted", workspace=demo_ws.path)
    assert refused.returncode == 1 and "cannot be accepted while a reply is stale" in refused.stderr
    again = run_cli("traj", "regenerate", str(tid), "--version", str(t["version"] + 1), workspace=demo_ws.path)
    assert again.returncode == 0 and "regenerated 1 stale reply" in again.stdout
    assert json.loads(run_cli("traj", "list", "--stale", workspace=demo_ws.path).stdout)["total"] == 0
    assert run_cli("traj", "status", str(tid), "accepted", workspace=demo_ws.path).returncode == 0


# -- values that fit their fields, and the template translator's wording ---------------------------------------

FIELDS = {  # name: (schema, what the value must look like)
    "guest_name": ({"type": "string", "description": "Name on the reservation."}, r"[A-Z][a-zá]+ [A-Z][a-z]+"),
    "passenger_name": ({"type": "string"}, r"[A-Z][a-zá]+ [A-Z][a-z]+"),
    "hotel_name": ({"type": "string"}, r".*\b(Hotel|Inn|Suites|Meridian)\b.*"),
    "restaurant_name": ({"type": "string"}, r".*\b(Trattoria|Pot|Kitchen|Café|Sushi)\b.*"),
    "time": ({"type": "string", "description": "Reservation time, ISO 8601."}, r"\d{2}:\d{2}"),
    "start_time": ({"type": "string"}, r"\d{2}:\d{2}"),
    "date": ({"type": "string"}, r"\d{4}-\d{2}-\d{2}"),
    "check_in": ({"type": "string", "description": "Arrival date."}, r"\d{4}-\d{2}-\d{2}"),
    "departure": ({"type": "string", "format": "date"}, r"\d{4}-\d{2}-\d{2}"),
    "email": ({"type": "string"}, r"[^@ ]+@[^@ ]+\.[a-z]+"),
    "phone": ({"type": "string"}, r"\+?[0-9][0-9 ()-]{6,}"),
    "city": ({"type": "string"}, r"[A-Z][a-z]+( [A-Z][a-z]+)?"),
    "hotel_id": ({"type": "string"}, r"\S+"),
    "reservation_id": ({"type": "string"}, r"\S+"),
    "currency": ({"type": "string"}, r"[A-Z]{3}"),
    "country_code": ({"type": "string"}, r"[A-Z]{2}"),
}


def test_values_fit_their_fields_even_with_misleading_data_around() -> None:
    import random
    import re

    from fcstudio.synth.values import ValueBank, field_kind

    bank = ValueBank()  # a database whose "name" fields are airports and places, and whose "time" holds an id
    bank.add_state({
        "airports": {"DEL": {"name": "Indira Gandhi International Airport", "city": "New Delhi", "time": "H289"}},
        "places": {"cp": {"name": "Connaught Place, New Delhi", "location": "IIT Delhi, Hauz Khas"}},
    })  # fmt: skip
    for seed in range(20):
        rng = random.Random(seed)
        for name, (schema, shape) in FIELDS.items():
            value = bank.value("book_something", name, schema, rng)
            assert isinstance(value, str) and re.fullmatch(shape, value), (name, value)
    assert field_kind("guest_name") == "person" and field_kind("hotel_name") == "hotel"
    assert field_kind("name", {"description": "Hotel name."}) == "hotel"
    assert field_kind("party_size") == "count" and field_kind("max_price") == "amount"
    amount = bank.value("t", "amount", {"type": "number"}, random.Random(1))
    assert isinstance(amount, float) and amount > 0
    count = bank.value("t", "party_size", {"type": "integer"}, random.Random(1))
    assert isinstance(count, int) and 1 <= count <= 5


def test_template_translator_varies_by_seed_and_never_writes_raw_json(tmp_path: Path) -> None:
    import asyncio
    import random

    from fcstudio.synth.plan import Episode, PlannedCall, TurnPlan
    from fcstudio.synth.trajectories import tool_specs
    from fcstudio.synth.translation import TemplateTranslator, summarise_results

    ws = synthesised_workspace(tmp_path / "s.duckdb", seed=5)
    with ws.connect() as con:
        tools = tool_specs(con)
        hotels = next(t for t, s in tools.items() if s.name == "find_hotels")
        for (messages,) in con.execute("SELECT messages FROM trajectories WHERE origin = 'synth'").fetchall():
            for m in json.loads(messages):
                text = m.get("content") or ""
                if m["role"] in ("user", "assistant"):
                    assert '{"' not in text and "[{" not in text and "look into this" not in text, text
    ep = Episode(tools=tools, env=None, bank=None)  # type: ignore[arg-type]
    args = {"city": "Lisbon", "check_in": "2026-12-03", "check_out": "2026-12-06"}
    sources = {a: {"kind": "user"} for a in args}
    plan = TurnPlan(0, "normal", [PlannedCall(0, 0, hotels, "find_hotels", args, sources)])
    said = {asyncio.run(TemplateTranslator().user_message(ep, plan, random.Random(seed))) for seed in range(12)}
    assert len(said) >= 4  # several phrasings, chosen by the seed
    for text in said:
        assert (
            "hotels in Lisbon" in text and "2026-12-03" in text and "2026-12-06" in text and "find_hotels" not in text
        )
    booked = json.dumps({"reservation_id": "R-1042", "total_price": 412.5})
    reply = summarise_results([("book_hotel", {"hotel_id": "H-12"}, booked, False)], ep.by_name)
    assert reply == "I reserved a room at hotel H-12; the reservation id is R-1042 and the total price is 412.5."
    failed = summarise_results([("book_hotel", {"hotel_id": "H-12"}, "Error: Hotel H-12 is full", True)], ep.by_name)
    assert failed == "I couldn't reserve a room at hotel H-12: hotel H-12 is full."


def test_a_call_fed_by_a_changed_result_takes_its_new_value_or_is_flagged(demo_ws: Workspace) -> None:
    from fcstudio.synth.edits import regenerate_stale

    with demo_ws.connect() as con:
        ids = {n: i for i, n in con.execute("SELECT id, name FROM tools WHERE dataset = 'demo'").fetchall()}
        fed = ArgSource(kind="output", turn=0, call=0, field="restaurants[].restaurant_id")
        user = ArgSource()
        fsp = FSP(
            turns=[
                Turn(
                    calls=[
                        Call(tool_id=ids["find_restaurants"], name="find_restaurants", args={"location": ArgSource()})
                    ]
                ),
                Turn(
                    calls=[
                        Call(
                            tool_id=ids["reserve_table"],
                            name="reserve_table",
                            args={"restaurant_id": fed, "party_size": user, "time": user},
                        )
                    ]
                ),
            ]
        )
        with transaction(con):
            pid = save_path(con, fsp, seed=None)
        tid = run_synth(con, path_ids=[pid], backend="template").created[0]
        t = get_trajectory(con, tid)
        calls = [(k, tc) for k, m in enumerate(t["messages"]) for tc in m.get("tool_calls") or []]
        (first, search), (second, booking) = calls

        def found(messages: list[dict], call: dict) -> str:  # the first restaurant the search gave
            result = next(m for m in messages if m.get("tool_call_id") == call["id"])["content"]
            return json.loads(result)["restaurants"][0]["restaurant_id"]

        def asked(messages: list[dict]) -> str:
            return json.loads(messages[second]["tool_calls"][0]["function"]["arguments"])["restaurant_id"]

        assert asked(t["messages"]) == found(t["messages"], search)
        search["function"]["arguments"] = json.dumps({"location": "Lisbon"})
        version = apply_edit(con, tid, t["messages"], t["version"], reexecute_from=first, regenerate_replies=False)
        marked = get_trajectory(con, tid)
        assert found(marked["messages"], search) != asked(marked["messages"])  # the later call still asks the old one
        call_marker = next(m for m in marked["stale"] if m.get("call"))
        assert call_marker["message"] == second and call_marker["reason"].startswith(
            f"call reserve_table at turn 2 (message {second}) uses the restaurant id of a tool result that changed"
        )
        assert marked["verified"] is False
        regenerate_stale(con, tid, version)
        fixed = get_trajectory(con, tid)
        assert fixed["stale"] == [] and asked(fixed["messages"]) == found(fixed["messages"], search)
        booked = next(m for m in fixed["messages"] if m.get("tool_call_id") == booking["id"])["content"]
        before = next(m for m in marked["messages"] if m.get("tool_call_id") == booking["id"])["content"]
        assert booked != before  # the table was booked again, at the new restaurant
        assert asked(fixed["messages"]) in fixed["messages"][-1]["content"]  # and the reply says where
        # the default does all of that on save
        search["function"]["arguments"] = json.dumps({"location": "Tokyo"})
        fixed["messages"][first]["tool_calls"] = [search]
        apply_edit(con, tid, fixed["messages"], fixed["version"], reexecute_from=first)
        auto = get_trajectory(con, tid)
        assert auto["stale"] == [] and asked(auto["messages"]) == found(auto["messages"], search)
