"""ToolBench's trajectories and names, on real files from ToolBench and StableToolBench (tests/fixtures/outside/
toolbench/): DFS and CoT answers, ToolLLaMA training conversations, ToolBench's naming rule, folder categories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from fcstudio import store
from fcstudio.catalog.formats import FormatError, get_reader
from fcstudio.catalog.formats.toolbench import function_name, parameter_name, standardize
from fcstudio.catalog.ingest import import_files
from fcstudio.store import Workspace

TB = FIXTURES / "outside" / "toolbench"
STB = TB / "stabletoolbench"
QUERIES = STB / "solvable_queries_example" / "test_instruction" / "G1_instruction.json"
DFS = STB / "answer" / "virtual_chatgpt_dfs" / "G1_instruction"
COT_FAILED = STB / "answer" / "virtual_chatgpt_cot" / "G1_instruction" / "588_CoT@1.json"
TOOLLLAMA = TB / "toolllama" / "toolllama_G1_dfs_sample.json"
read = get_reader("toolbench")


def _calls(messages) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    return [(c.function.name, json.loads(c.function.arguments)) for m in messages for c in m.tool_calls or []]


@pytest.mark.parametrize(
    ("api", "tool", "expected"),
    [
        ("Get Channel Links", "Kick.com API | Kick API", "get_channel_links_for_kick_com_api_kick_api"),
        ("5 day / 3 hour forecast", "Open Weather 2.0", "get_5_day_3_hour_forecast_for_open_weather_2_0"),
        ("id", "Users", "is_id_for_users"),  # reserved words get is_
        ("From", "Currency", "is_from_for_currency"),
        ("__Search__", "日本 Tool", "search_for_日本_tool"),  # CJK kept, _ runs collapsed, ends stripped
        ("x^2", "Calc", "x^2_for_calc"),  # ToolBench's character class keeps ^
        # too long: ToolBench keeps the LAST 64 characters, so the tool part survives
        (
            "Get the list of all supported currencies and their full names",
            "Currency Converter Pro",
            "st_of_all_supported_currencies_and_their_full_names_for_currency_converter_pro"[-64:],
        ),
    ],
)
def test_toolbench_naming_rule(api: str, tool: str, expected: str) -> None:
    name = function_name(api, tool)
    assert name == expected and len(name) <= 64
    assert standardize("9gag") == "get_9gag" and parameter_name("class") == "is_class"


def test_dfs_answer_is_the_chosen_path_with_the_query_and_win_flag() -> None:
    batch, _ = read(str(DFS / "608_DFS_woFilter_w2.json"))
    [traj] = batch.trajectories
    assert traj.meta["query_id"] == 608 and traj.meta["win"] is True and traj.meta["finish_type"] == "give_answer"
    assert traj.meta["query"].startswith("I'm a fan of the streamer 'gmhikaru'")
    assert traj.meta["path_from"] == "train_messages" and traj.meta["method"] == "DFS_woFilter_w2"
    roles = [m.role for m in traj.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert _calls(traj.messages) == [
        ("get_channel_clips_for_kick_com_api_kick_api", {"cursor": "", "channel_name": "gmhikaru"}),
        ("get_channel_details_for_kick_com_api_kick_api", {"channel_name": "gmhikaru"}),
    ]
    call, result = traj.messages[2], traj.messages[3]
    assert result.tool_call_id == call.tool_calls[0].id and result.content.startswith('{"error": "", "response"')
    final = traj.messages[-1]  # Finish became the answer; the thought before it is kept as reasoning
    assert final.tool_calls is None and final.content.startswith("The 'gmhikaru' channel on Kick.com is")
    assert final.model_extra["reasoning_content"].startswith("Based on the information I obtained")
    assert "Finish" not in {t.name for t in traj.tools} and len(traj.tools) == 10
    clips = next(t for t in traj.tools if t.name == "get_channel_clips_for_kick_com_api_kick_api")
    assert clips.parameters["required"] == ["cursor", "channel_name"]
    assert clips.parameters["properties"]["channel_name"] == {"type": "string", "examples": ["gmhikaru"]}


def test_failed_cot_answer_is_read_from_its_last_try() -> None:
    [traj] = read(str(COT_FAILED))[0].trajectories
    assert traj.meta["win"] is False and traj.meta["valid_data"] is False
    assert traj.meta["path_from"] == "trys[-1].chain"
    assert traj.messages[0].role == "user" and "Lionel Messi" in traj.messages[0].content
    calls = _calls(traj.messages)
    assert len(calls) == 6 and calls[0] == ("transfermarkt_search_for_theclique", {"name": "Lionel Messi"})
    assert [m.role for m in traj.messages].count("tool") == 6


def test_query_file_and_answers_of_the_same_queries_name_calls_alike(ws: Workspace) -> None:
    """StableToolBench's queries and ToolBench-made answers for them: every gold call and every trajectory call is
    a function both sides name the same (the naming rule differs from a naive one on 30 of G1's 862 references)."""
    with ws.connect() as con:
        results = import_files(con, "toolbench", [QUERIES, *sorted(DFS.glob("*.json")), COT_FAILED])
        assert [r.tasks_added for r in results] == [3, 0, 0, 0]
        assert [r.trajectories_added for r in results] == [0, 1, 1, 1]
        tasks = {
            r[0]: (json.loads(r[1]), r[2])
            for r in con.execute("SELECT source_ref, gold, tool_ids FROM tasks").fetchall()
        }
        trajs = con.execute("SELECT meta, called, tool_ids FROM trajectories").fetchall()
        assert len(trajs) == 3
        for meta, called, traj_tool_ids in trajs:
            gold, task_tool_ids = tasks[str(json.loads(meta)["query_id"])]
            task_names = {
                n
                for (n,) in con.execute("SELECT name FROM tools WHERE list_contains(?, id)", [task_tool_ids]).fetchall()
            }
            traj_names = {
                n
                for (n,) in con.execute("SELECT name FROM tools WHERE list_contains(?, id)", [traj_tool_ids]).fetchall()
            }
            assert task_names == traj_names  # the same functions offered, by the same names
            assert set(called) <= task_names and {g["name"] for g in gold} <= traj_names
        # the first two gold calls of 1073 are what its answer called
        gold_1073 = [g["name"] for g in tasks["1073"][0]]
        [called_1073] = [c for m, c, _ in trajs if json.loads(m)["query_id"] == 1073]
        assert (
            gold_1073
            == called_1073
            == ["popularsitesforquery_for_keyword_analysis", "querykeywords_for_keyword_analysis"]
        )


def test_toolllama_steps_fold_into_one_trajectory_per_query() -> None:
    batch, _ = read(str(TOOLLLAMA))
    assert len(json.loads(TOOLLLAMA.read_text(encoding="utf-8"))) == 7
    assert len(batch.trajectories) == 2
    assert batch.warnings == [
        "5 of 7 ToolLLaMA step records are prefixes of a longer conversation of the same query and were folded "
        "into it (2 trajectories)"
    ]
    first = batch.trajectories[0]
    assert first.meta["step"] == 6 and first.meta["finish_type"] == "give_answer"
    assert [m.role for m in first.messages] == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert _calls(first.messages) == [
        ("transitaires_for_transitaires", {}),
        ("transitaire_for_transitaires", {"is_id": "ACT_AGENCE_CALEDONIENNE_DE_TRANSIT"}),
    ]
    assert first.messages[3].tool_call_id == first.messages[2].tool_calls[0].id
    assert first.messages[-1].content.startswith("The contact details of the 'Gondrand' customs agency")
    # the functions come from the Python list at the end of the system text, Finish left out
    assert sorted(t.name for t in first.tools) == ["transitaire_for_transitaires", "transitaires_for_transitaires"]
    [transitaire] = [t for t in first.tools if t.name == "transitaire_for_transitaires"]
    assert transitaire.parameters["required"] == ["is_id"]


def test_the_same_dfs_answer_gives_the_same_calls_as_its_toolllama_conversation() -> None:
    [answer] = read(str(TB / "toolbench" / "answer" / "G1_answer" / "10_ChatGPT_DFS_woFilter_w2.json"))[0].trajectories
    [conversation, _] = read(str(TOOLLLAMA))[0].trajectories
    assert answer.meta["query"] == conversation.meta["query"]
    assert _calls(answer.messages) == _calls(conversation.messages)
    assert answer.messages[-1].content == conversation.messages[-1].content


def test_tool_file_category_comes_from_its_folder(tmp_path: Path, ws: Workspace) -> None:
    folder = tmp_path / "toolenv" / "tools" / "Finance"
    folder.mkdir(parents=True)
    tool = {
        "tool_name": "Currency Converter Pro!",
        "tool_description": "Rates.",
        "api_list": [
            {
                "name": "Convert",
                "description": "Convert an amount.",
                "method": "GET",
                "required_parameters": [{"name": "from", "type": "STRING", "description": "", "default": "USD"}],
                "optional_parameters": [],
            }
        ],
    }
    path = folder / "currency_converter_pro.json"
    path.write_text(json.dumps(tool), encoding="utf-8")
    with ws.connect() as con:
        [result] = import_files(con, "toolbench", [path])
        assert result.tools_added == 1
        row = con.execute("SELECT id, name FROM tools").fetchone()
        tool_row = store.get_tool(con, row[0])
    assert row[1] == "convert_for_currency_converter_pro" and tool_row["labels"] == ["Finance"]
    assert tool_row["parameters"]["required"] == ["is_from"]  # the parameter name ToolBench shows the model


def test_bad_answer_and_conversation_are_named(tmp_path: Path) -> None:
    bad_answer = tmp_path / "7_DFS_woFilter_w2.json"
    bad_answer.write_text(json.dumps({"win": True, "answer_generation": {"function": []}}), encoding="utf-8")
    with pytest.raises(FormatError, match=r"7_DFS_woFilter_w2\.json.*answer_generation needs the string 'query'"):
        read(str(bad_answer))
    bad_turn = tmp_path / "toolllama.json"
    bad_turn.write_text(
        json.dumps(
            [{"id": "Step 2: q", "conversations": [{"from": "user", "value": "q"}, {"from": "robot", "value": "x"}]}]
        ),
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match=r"conversations\[1\]: unknown 'from' 'robot'"):
        read(str(bad_turn))
    orphan = tmp_path / "orphan.json"
    orphan.write_text(
        json.dumps(
            [
                {
                    "id": "Step 2: q",
                    "conversations": [{"from": "user", "value": "q"}, {"from": "function", "value": "{}"}],
                }
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match=r"conversations\[1\]: a tool result, but no function call is waiting"):
        read(str(orphan))


def test_cli_imports_an_answer_folder_of_files(ws: Workspace) -> None:
    result = run_cli("import", "toolbench", str(DFS), workspace=ws.path)
    assert result.returncode == 0, result.stderr
    with ws.connect() as con:
        assert store.scalar(con, "SELECT count(*) FROM trajectories") == 2
