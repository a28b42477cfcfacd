"""Make ToolLLaMA training conversations with ToolBench's own preprocessing script, for the import tests.

ToolBench publishes its ToolLLaMA training file (``toolllama_G123_dfs_train.json``) only inside a large
archive, so the sample in ``tests/fixtures/outside/toolbench/toolllama/`` is made the way ToolBench makes it:
its ``preprocess/preprocess_toolllama_data.py`` run on real DFS answer files of its ``data_example/``.
That script imports ``toolbench.utils``, whose module level needs torch and transformers only for model
code the preprocessing never calls; empty stand-in modules take their place so neither is installed.

    python tools/make_toolllama_sample.py --toolbench /path/to/ToolBench --answers 10,11 \\
        --out tests/fixtures/outside/toolbench/toolllama/toolllama_G1_dfs_sample.json
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import types
from pathlib import Path


def _stand_ins() -> None:
    torch = types.ModuleType("torch")
    torch.nn = types.SimpleNamespace(Module=object)  # type: ignore[attr-defined]
    transformers = types.ModuleType("transformers")
    models = types.ModuleType("transformers.models")
    llama = types.ModuleType("transformers.models.llama")
    modeling = types.ModuleType("transformers.models.llama.modeling_llama")
    transformers.models = models  # type: ignore[attr-defined]
    models.llama = llama  # type: ignore[attr-defined]
    llama.modeling_llama = modeling  # type: ignore[attr-defined]
    for name, module in {
        "torch": torch,
        "transformers": transformers,
        "transformers.models": models,
        "transformers.models.llama": llama,
        "transformers.models.llama.modeling_llama": modeling,
    }.items():
        sys.modules.setdefault(name, module)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--toolbench", type=Path, required=True, help="a ToolBench checkout (OpenBMB/ToolBench)")
    ap.add_argument("--answers", default="10,11", help="query ids of data_example/answer/G1_answer to use")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    _stand_ins()
    sys.path.insert(0, str(args.toolbench))
    spec = importlib.util.spec_from_file_location(
        "preprocess_toolllama_data", args.toolbench / "preprocess" / "preprocess_toolllama_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.argv = [sys.argv[0], "--tool_data_dir", "-", "--output_file", "-"]  # the module parses at import
    spec.loader.exec_module(module)
    source = args.toolbench / "data_example" / "answer" / "G1_answer"
    with tempfile.TemporaryDirectory() as tmp:
        for qid in args.answers.split(","):
            shutil.copy(source / f"{qid}_ChatGPT_DFS_woFilter_w2.json", tmp)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        module.preprocess_rapidapi(tmp, "DFS_woFilter_w2", str(args.out))


if __name__ == "__main__":
    main()
