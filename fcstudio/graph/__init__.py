"""Stage 2, the tool graph: edges from parameter/return similarity (``build``, ``embed``), the LLM judge, reads."""
