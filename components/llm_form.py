"""The model settings a job form asks for (synthesis, pairs, evaluation): endpoint, model, key, concurrency, prices,
and a cap on each reply's tokens."""

from __future__ import annotations

import os

import streamlit as st

from fcstudio.llm import LLMConfig


def llm_settings(key: str, *, required: bool = False) -> LLMConfig | None:
    """Inputs for an OpenAI-compatible model; None when no model is named (and none is required)."""
    c = st.columns([2, 3, 2, 1, 1, 1, 1])
    model = c[0].text_input(
        "Model", key=f"{key}_model", placeholder="e.g. gpt-4o-mini" + ("" if required else " (optional)")
    )
    base_url = c[1].text_input(
        "Endpoint (base URL)", key=f"{key}_url", value=os.environ.get("OPENAI_BASE_URL", ""), placeholder="OpenAI's"
    )
    key_env = c[2].text_input("API key variable", key=f"{key}_keyenv", value="OPENAI_API_KEY")
    concurrency = int(c[3].number_input("Parallel", 1, 256, 8, key=f"{key}_conc"))
    price_in = float(
        c[4].number_input("$ / M in", 0.0, 1000.0, 0.0, key=f"{key}_price_in", help="USD per million prompt tokens")
    )
    price_out = float(
        c[5].number_input(
            "$ / M out", 0.0, 1000.0, 0.0, key=f"{key}_price_out", help="USD per million completion tokens"
        )
    )
    max_tokens = int(
        c[6].number_input(
            "Max tokens",
            0,
            32_768,
            0,
            key=f"{key}_max_tokens",
            help="Cap on each reply's tokens; 0: the server's default",
        )
    )
    if not model.strip():
        return None
    return LLMConfig(
        model=model.strip(),
        base_url=base_url.strip() or None,
        api_key_env=key_env.strip(),
        concurrency=concurrency,
        price_in=price_in,
        price_out=price_out,
        max_tokens=max_tokens or None,
    )
