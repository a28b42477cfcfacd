"""ToolBench's trajectories: DFS / CoT answer files and ToolLLaMA's training conversations.

- An answer file (``data/answer/G1_answer/<query_id>_DFS_woFilter_w2.json``, StableToolBench's
  ``<query_id>_CoT@1.json``) holds the search (``tree`` for DFS, ``trys`` for CoT), whether it passed
  (``win``) and ``answer_generation``: the query, the functions offered and ``train_messages``, the chosen
  path as growing prefixes. The last prefix is the trajectory; a failed search has none, and then the
  chain of its last try (CoT) or the last-explored branch of its tree (DFS) is, so failed episodes can be
  curated as negatives.
- A ToolLLaMA conversation (``toolllama_G123_dfs_train.json``, made by ToolBench's
  ``preprocess_toolllama_data.py``): ``{id: "Step N: <query>", conversations: [{from, value}]}`` with
  ``from`` system / user / assistant / function, the functions as a Python list at the end of the system
  text and assistant turns written ``Thought: ...\\nAction: <name>\\nAction Input: <json>``. Each step is
  its own record whose conversation is a prefix of the query's next one; a prefix is folded into the
  longest conversation of its query (a warning says how many were).

``Finish`` is ToolBench's way to end: its ``final_answer`` becomes the closing assistant message (the thought
before it is kept as ``reasoning_content``) and its ``return_type`` the trajectory's ``finish_type``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_tool, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record
from fcstudio.catalog.formats.turns import Turns, loads_loose
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import ToolSpec, Trajectory

FINISH = "Finish"
_APIS_MARK = "Specifically, you have access to the following APIs: "
_REACT = re.compile(r"^\s*(?:Thought:(?P<thought>.*?))?\s*Action:\s*(?P<name>[^\n]*)\nAction Input:(?P<args>.*)$", re.S)
_FILE = re.compile(r"^(?P<id>\d+)_(?P<method>.+)$")


def functions_to_tools(
    path: str, rec: Record, ref: str, functions: Any, mapper: TypeMapper, where: str
) -> list[ToolSpec]:
    """The OpenAI functions ToolBench offered (``example_value`` kept as an example; ``Finish`` left out)."""
    if not isinstance(functions, list):
        raise FormatError(path, f"{where} must be a list of functions", line=rec.line, record=ref)
    tools = []
    for i, fn in enumerate(functions):
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise FormatError(path, f"{where}[{i}] needs a string 'name'", line=rec.line, record=ref)
        if fn["name"] == FINISH:
            continue
        params: dict[str, Any] = fn["parameters"] if isinstance(fn.get("parameters"), dict) else {}
        properties: dict[str, Any] = {}
        raw_props: dict[str, Any] = params["properties"] if isinstance(params.get("properties"), dict) else {}
        for pname, raw in raw_props.items():
            raw = raw if isinstance(raw, dict) else {}
            schema = mapper.name_to_schema(str(raw.get("type", "string")), f"{fn['name']}.{pname}")
            if raw.get("description"):
                schema["description"] = str(raw["description"])
            if raw.get("example_value") not in (None, ""):
                schema["examples"] = [raw["example_value"]]
            properties[str(pname)] = schema
        parameters: dict[str, Any] = {"type": "object", "properties": properties}
        required = [str(r) for r in params.get("required") or [] if str(r) in properties]
        if required:
            parameters["required"] = required
        tools.append(
            make_tool(
                path,
                rec.line,
                ref,
                generated=True,
                name=fn["name"],
                description=str(fn.get("description") or ""),
                parameters=parameters,
                source_ref=fn["name"],
            )
        )
    return tools


class _Chain:
    """Messages of one ToolBench path: thoughts, calls with their observations, and the Finish."""

    def __init__(self, path: str, rec: Record, ref: str):
        self.turns = Turns(path, rec.line, ref)
        self.thought: str | None = None
        self.finish_type: str | None = None

    def system(self, text: str) -> None:
        self.turns.text("system", text)

    def user(self, text: str) -> None:
        self.turns.text("user", text)

    def think(self, text: str | None) -> None:
        if text and text.strip():
            self.thought = text.strip() if self.thought is None else f"{self.thought}\n{text.strip()}"

    def call(self, name: str, arguments: Any) -> None:
        thought, self.thought = self.thought, None
        if name == FINISH:
            args = loads_loose(arguments) if isinstance(arguments, str) else arguments
            args = args if isinstance(args, dict) else {}
            self.finish_type = str(args.get("return_type") or "give_answer")
            answer = args.get("final_answer")
            text = answer if isinstance(answer, str) and answer else "I give up and restart."
            extra = {"reasoning_content": thought} if thought else {}
            self.turns.text("assistant", text, **extra)
            return
        self.turns.calls([(name, arguments if isinstance(arguments, str) else json.dumps(arguments))], thought)

    def observe(self, content: Any, where: str) -> None:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        self.turns.result(text, where)

    def done(self) -> list[dict[str, Any]]:
        if self.thought:  # a closing thought with no action after it
            self.turns.text("assistant", self.thought)
            self.thought = None
        return self.turns.messages


def _from_train_messages(chain: _Chain, messages: list[Any], where: str) -> None:
    for i, m in enumerate(messages):
        at = f"{where}[{i}]"
        if not isinstance(m, dict):
            raise chain.turns.fail(f"{at} must be a message object")
        role, content = m.get("role"), m.get("content")
        if role == "system":
            chain.system(str(content or ""))
        elif role == "user":
            chain.user(str(content or ""))
        elif role == "assistant":
            chain.think(content if isinstance(content, str) else None)
            fc = m.get("function_call")
            if isinstance(fc, dict):
                if not isinstance(fc.get("name"), str):
                    raise chain.turns.fail(f"{at}.function_call needs a string 'name'")
                chain.call(fc["name"], fc.get("arguments", "{}"))
        elif role in ("function", "tool"):
            chain.observe(content if content is not None else "", at)
        else:
            raise chain.turns.fail(f"{at}: unknown role {role!r}")


def _from_nodes(chain: _Chain, nodes: list[Any], where: str) -> None:
    """A path of search nodes: ``Thought``, ``Action`` (the name), ``Action Input`` (arguments, observation)."""
    name: str | None = None
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise chain.turns.fail(f"{where}[{i}] must be a node object")
        kind, text = node.get("node_type"), node.get("description")
        if kind == "Thought":
            chain.think(text if isinstance(text, str) else None)
        elif kind == "Action":
            name = str(text or "")
        elif kind == "Action Input" and name is not None:
            chain.call(name, text if isinstance(text, str) else json.dumps(text))
            if name != FINISH:
                chain.observe(node.get("observation", ""), f"{where}[{i}]")
            name = None


def _last_branch(tree: Any) -> list[Any]:
    """The last-explored root-to-leaf path of a DFS tree (DFS appends later tries after earlier ones)."""
    nodes = []
    node = tree.get("tree") if isinstance(tree, dict) else None
    while isinstance(node, dict):
        nodes.append(node)
        children = node.get("children")
        node = children[-1] if isinstance(children, list) and children else None
    return nodes[1:]  # the root is the empty start state


def answer_trajectory(path: str, rec: Record, obj: dict[str, Any], mapper: TypeMapper) -> Trajectory:
    gen = obj["answer_generation"]
    m = _FILE.match(Path(path).stem)
    ref = m.group("id") if m else Path(path).stem
    if not isinstance(gen, dict):
        raise FormatError(path, "answer_generation must be an object", line=rec.line, record=ref)
    query = gen.get("query")
    if not isinstance(query, str):
        raise FormatError(path, "answer_generation needs the string 'query'", line=rec.line, record=ref)
    tools = functions_to_tools(path, rec, ref, gen.get("function", []), mapper, "answer_generation.function")
    chain = _Chain(path, rec, ref)
    train = gen.get("train_messages")
    if isinstance(train, list) and train and isinstance(train[-1], list):
        source = "train_messages"
        _from_train_messages(chain, train[-1], "answer_generation.train_messages[-1]")
    else:
        chain.user(query)
        trys = obj.get("trys")
        if isinstance(trys, list) and trys and isinstance(trys[-1], dict):
            source = "trys[-1].chain"
            _from_nodes(chain, trys[-1].get("chain") or [], source)
        else:
            source = "tree (last branch)"
            _from_nodes(chain, _last_branch(obj.get("tree")), "tree")
    messages = chain.done()
    return make_trajectory(
        path,
        rec.line,
        ref,
        source_ref=f"{Path(path).parent.name}/{Path(path).name}",
        messages=messages,
        tools=tools,
        meta={
            "query_id": int(ref) if ref.isdigit() else ref,
            "query": query,
            "win": bool(obj.get("win")),
            "valid_data": bool(gen.get("valid_data")),
            "finish_type": gen.get("finish_type") or chain.finish_type,
            "method": m.group("method") if m else None,
            "group": Path(path).parent.name,
            "path_from": source,
        },
    )


def _query_of(record_id: str) -> tuple[int | None, str]:
    m = re.match(r"^Step (\d+): (.*)$", record_id, re.S)
    return (int(m.group(1)), m.group(2)) if m else (None, record_id)


def toolllama_trajectory(path: str, rec: Record, obj: dict[str, Any], index: int, mapper: TypeMapper) -> Trajectory:
    ref = str(index)
    turns_raw = obj["conversations"]
    if not isinstance(turns_raw, list):
        raise FormatError(path, "conversations must be a list", line=rec.line, record=ref)
    chain = _Chain(path, rec, ref)
    tools: list[ToolSpec] = []
    for i, turn in enumerate(turns_raw):
        at = f"conversations[{i}]"
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            raise chain.turns.fail(f"{at} needs a string 'value'")
        role, value = turn.get("from"), turn["value"]
        if role == "system":
            _, mark, listed = value.partition(_APIS_MARK)
            if mark:
                try:
                    functions = ast.literal_eval(listed.strip())
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    raise chain.turns.fail(f"{at}: the APIs after {_APIS_MARK.strip()!r} are not a list") from None
                tools = functions_to_tools(path, rec, ref, functions, mapper, f"{at} (APIs)")
            chain.system(value)
        elif role == "user":
            chain.user(value)
        elif role == "assistant":
            react = _REACT.match(value)
            if react is None:
                chain.think(value)
                continue
            chain.think(react.group("thought"))
            chain.call(react.group("name").strip(), react.group("args").strip())
        elif role == "function":
            chain.observe(value, at)
        else:
            raise chain.turns.fail(f"{at}: unknown 'from' {role!r} (system, user, assistant or function)")
    step, query = _query_of(str(obj.get("id", "")))
    return make_trajectory(
        path,
        rec.line,
        ref,
        source_ref=f"{Path(path).name}:{rec.line}",
        messages=chain.done(),
        tools=tools,
        meta={"query": query, "step": step, "finish_type": chain.finish_type, "method": "ToolLLaMA"},
    )


def fold_prefixes(trajectories: list[Trajectory]) -> tuple[list[Trajectory], int]:
    """Drop each ToolLLaMA step whose messages begin a longer conversation of the same query."""
    by_query: dict[str, list[Trajectory]] = {}
    for t in trajectories:
        by_query.setdefault(str(t.meta.get("query")), []).append(t)
    kept_ids: set[int] = set()
    for group in by_query.values():
        longest_first = sorted(group, key=lambda t: len(t.messages), reverse=True)
        kept: list[Trajectory] = []
        for t in longest_first:
            if not any(_is_prefix(t, k) for k in kept):
                kept.append(t)
        kept_ids.update(id(t) for t in kept)
    out = [t for t in trajectories if id(t) in kept_ids]
    return out, len(trajectories) - len(out)


def _is_prefix(short: Trajectory, long: Trajectory) -> bool:
    n = len(short.messages)
    if n > len(long.messages):
        return False
    return all(_same(a, b) for a, b in zip(short.messages, long.messages[:n], strict=True))


def _same(a: Any, b: Any) -> bool:
    if a.role != b.role or (a.content or "") != (b.content or ""):
        return False
    calls_a = [(c.function.name, c.function.arguments) for c in a.tool_calls or []]
    calls_b = [(c.function.name, c.function.arguments) for c in b.tool_calls or []]
    return calls_a == calls_b
