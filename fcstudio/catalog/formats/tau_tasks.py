"""tau2-bench ``tasks.json`` and tau-bench v1 tasks (or v1 trajectory files, whose ``info.task`` holds them).

Both become workspace tasks with the gold actions as gold calls, the strings to communicate as
outputs, and, for a domain fcstudio can execute, that domain's tools as the tools offered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_task
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import RecordProgress, read_file, tracked
from fcstudio.envs.registry import DOMAINS
from fcstudio.envs.tasks import GoldTask, TaskFileError, parse_task
from fcstudio.models import GoldCall, ImportBatch


def _domain_from_path(path: str) -> str:
    parts = [p.lower() for p in Path(path).resolve().parts]
    for name in DOMAINS:
        if any(name in p for p in parts[-3:]):
            return name
    return ""


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    records = data.records
    if (
        data.kind == "json-object"
        and isinstance(records[0].value, dict)
        and isinstance(records[0].value.get("tasks"), list)
    ):
        records = [type(records[0])(records[0].line, t) for t in records[0].value["tasks"]]
    if not records:
        raise FormatError(path, "holds no tasks")
    batch = ImportBatch()
    seen: set[str] = set()
    path_domain = _domain_from_path(path)
    tool_cache: dict[str, Any] = {}
    for i, rec in tracked(records, progress, every=50):
        obj = rec.value
        benchmark = "tau2"
        try:
            if (
                isinstance(obj, dict)
                and isinstance(obj.get("info"), dict)
                and isinstance(obj["info"].get("task"), dict)
            ):
                task: GoldTask = parse_task({**obj["info"]["task"], "task_id": obj.get("task_id", i)}, i, path)
                benchmark = "tau-bench"
            else:
                task = parse_task(obj, i, path)
                benchmark = "tau2" if "evaluation_criteria" in obj or "user_scenario" in obj else "tau-bench"
        except TaskFileError as exc:
            raise FormatError(path, str(exc).split(": ", 1)[-1], line=rec.line) from None
        if task.task_id in seen:
            continue
        seen.add(task.task_id)
        domain = task.domain or path_domain
        if domain in DOMAINS and domain not in tool_cache:
            tool_cache[domain] = DOMAINS[domain].env.tool_specs()
        meta = {k: v for k, v in task.raw.items() if k not in ("actions", "evaluation_criteria")}
        criteria = task.raw.get("evaluation_criteria") or {}
        meta["reward_basis"] = criteria.get("reward_basis") or (
            ["DB", "OUTPUTS"] if benchmark == "tau-bench" else ["DB"]
        )
        meta["nl_assertions"] = criteria.get("nl_assertions")
        if task.env_assertions:
            meta["env_assertions"] = task.env_assertions
        gold = [
            GoldCall(name=a["name"], arguments=a["arguments"], turn=0, requestor=a.get("requestor") or "assistant")
            for a in task.actions
        ]
        batch.tasks.append(
            make_task(
                path,
                rec.line,
                task.task_id,
                source_ref=task.task_id,
                benchmark=benchmark,
                category=domain,
                domain=domain,
                instruction=task.instruction,
                tools=tool_cache.get(domain, []),
                gold=gold,
                outputs=task.outputs,
                meta=meta,
            )
        )
    return batch, data.content_hash
