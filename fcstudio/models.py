"""Pydantic models for what crosses a boundary: importer output, workspace rows, CLI/UI payloads.

The interchange format is OpenAI chat messages plus OpenAI ``tools`` entries whose ``parameters``
are JSON Schema. Importers build these models; the store writes them; pages read them back.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from fcstudio.catalog.schemas import check_json_schema, property_schemas


class FunctionCall(BaseModel):
    """The ``function`` part of an assistant tool call; ``arguments`` is a JSON string as OpenAI sends it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    arguments: str = "{}"

    @field_validator("arguments")
    @classmethod
    def _arguments_are_json_object(cls, v: str) -> str:
        try:
            parsed = json.loads(v)
        except json.JSONDecodeError as exc:
            raise ValueError(f"tool-call arguments are not JSON: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise ValueError("tool-call arguments must encode a JSON object")
        return v


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    """One OpenAI chat message. Extra keys (``reasoning_content`` etc.) are kept, not dropped."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    def openai(self) -> dict[str, Any]:
        """The message as OpenAI sends it: unset optional keys left out, ``content`` always present."""
        out = self.model_dump(exclude_none=True)
        out.setdefault("content", None)
        return out

    @model_validator(mode="after")
    def _role_rules(self) -> Message:
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs tool_call_id")
        if self.tool_calls and self.role != "assistant":
            raise ValueError("only assistant messages carry tool_calls")
        return self


class ToolSpec(BaseModel):
    """A function a model may call. ``parameters`` must be a JSON Schema object schema.

    Every ``$ref`` of ``parameters`` and ``returns`` must resolve inside that schema (``$defs`` kept with
    it): a reference to nowhere makes the tool unusable for validating calls, so it is refused here,
    where every importer builds its tools, rather than found by the first job that checks a call.
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=256)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    returns: dict[str, Any] | None = None
    labels: list[str] = Field(default_factory=list)
    source_ref: str | None = None
    _properties: tuple[dict[str, Any], dict[str, dict[str, Any]]] | None = PrivateAttr(default=None)

    @field_validator("parameters")
    @classmethod
    def _parameters_are_schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        check_json_schema(v, refs=True)
        if v.get("type", "object") != "object":
            raise ValueError(f"parameters must describe an object, not {v.get('type')!r}")
        return v

    @field_validator("returns")
    @classmethod
    def _returns_is_schema(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            check_json_schema(v, refs=True)
        return v

    def property_schemas(self) -> dict[str, dict[str, Any]]:
        """The top-level parameters' schemas with local ``$ref``s inlined (``schemas.property_schemas``).

        Use it wherever a parameter's own shape matters (choosing or checking a value, showing a type);
        validate whole calls against ``parameters`` itself. Cached per spec (recomputed if ``parameters``
        is replaced); the dicts are shared: read them, never change them.
        """
        cached = self._properties
        if cached is None or cached[0] is not self.parameters:
            cached = self._properties = (self.parameters, property_schemas(self.parameters))
        return cached[1]

    def openai(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry for this function."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class GoldCall(BaseModel):
    """A gold function call of a benchmark task. ``alternatives`` lists allowed values per argument (BFCL)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    alternatives: dict[str, list[Any]] | None = None
    turn: int = 0
    raw: str | None = None
    requestor: Literal["assistant", "user"] | None = None  # tau2: who makes the call (telecom's user acts too)


class Trajectory(BaseModel):
    """A conversation in the interchange format, with the tools offered and where it came from."""

    model_config = ConfigDict(extra="forbid")
    source_ref: str
    messages: list[Message] = Field(min_length=1)
    tools: list[ToolSpec] = Field(default_factory=list, description="the tools offered")
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tool_results_answer_calls(self) -> Trajectory:
        open_ids: set[str] = set()
        for i, m in enumerate(self.messages):
            for call in m.tool_calls or []:
                open_ids.add(call.id)
            if m.role == "tool" and m.tool_call_id not in open_ids:
                raise ValueError(f"message {i}: tool result answers unknown call id {m.tool_call_id!r}")
        return self


class Task(BaseModel):
    """A benchmark item: the user turns, the tools offered, and the gold calls/answers."""

    model_config = ConfigDict(extra="forbid")
    source_ref: str
    benchmark: str
    category: str = ""
    domain: str = ""
    turns: list[list[Message]] = Field(default_factory=list, description="user messages per turn")
    instruction: str = ""
    tools: list[ToolSpec] = Field(default_factory=list)
    gold: list[GoldCall] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


class ImportBatch(BaseModel):
    """What one importer read from one file, before it is written."""

    tools: list[ToolSpec] = Field(default_factory=list)
    trajectories: list[Trajectory] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.tools) + len(self.trajectories) + len(self.tasks)


class ImportResult(BaseModel):
    """The outcome of importing one file: what was added, or why nothing was."""

    path: str
    format: str
    dataset: str
    content_hash: str
    import_id: int | None = None
    skipped: bool = False
    message: str = ""
    tools_added: int = 0
    trajectories_added: int = 0
    tasks_added: int = 0
    warnings: list[str] = Field(default_factory=list)


class ToolEdit(BaseModel):
    """An edit from the Catalog page or CLI; ``version`` is the one the editor saw."""

    model_config = ConfigDict(extra="forbid")
    tool_id: str
    version: int
    description: str
    labels: list[str]

    @field_validator("labels")
    @classmethod
    def _clean_labels(cls, v: list[str]) -> list[str]:
        seen: list[str] = []
        for label in v:
            label = label.strip()
            if label and label not in seen:
                seen.append(label)
        return seen


class BfclStart(BaseModel):
    """A start state for BFCL's API classes: per class its part of an entry's ``initial_config``.

    ``classes`` are the classes it sets (a BFCL entry's ``involved_classes``: one it does not configure starts
    from BFCL's defaults, as in BFCL); any other class keeps its shipped default. ``ground_truth`` holds the
    source entry's gold call strings, which give synthesis real argument values that fit this state. A BFCL
    question line reads as one (its ``id`` becomes ``source``)."""

    model_config = ConfigDict(extra="ignore")
    source: str = ""
    classes: list[str] = Field(default_factory=list)
    initial_config: dict[str, dict[str, Any]] = Field(default_factory=dict)
    long_context: bool = False
    ground_truth: list[list[str]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_entry(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        if "source" not in out and isinstance(out.get("id"), str):
            out["source"] = f"BFCL {out['id']}"
        if "classes" not in out:
            involved = out.get("involved_classes")
            out["classes"] = involved if isinstance(involved, list) else list(out.get("initial_config") or {})
        return out
