"""Text embedders for tool fields: an offline TF-IDF default and any OpenAI-compatible embeddings endpoint.

Every embedder returns L2-normalised rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
import re
from typing import Protocol, TypeAlias

import numpy as np
from scipy import sparse

Matrix: TypeAlias = np.ndarray | sparse.csr_matrix


def split_identifier(text: str) -> str:
    """``getAirportSymbol_byCity2`` -> ``get airport symbol by city 2`` (so names and prose share words)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"[_\-./]+", " ", text)
    text = re.sub(r"(\d+)", r" \1 ", text)
    return " ".join(text.lower().split())


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> Matrix: ...


class TfidfEmbedder:
    """Word and character 4-gram TF-IDF over split identifiers and descriptions; no network, no model.

    Character n-grams give related words a partial match (``location`` / ``destination``,
    ``airport_symbol`` / ``airport code``) that whole-word TF-IDF would miss.
    """

    name = "tfidf"

    def __init__(self, char_weight: float = 0.6, max_features: int = 200_000, char_max_df: float = 0.2):
        self.char_weight = char_weight
        self.max_features = max_features
        # n-grams found in more than this share of the fields ("ion", " th") carry little meaning but make
        # every pair of fields overlap; dropping them keeps the similarity products sparse.
        self.char_max_df = char_max_df

    def encode(self, texts: list[str]) -> sparse.csr_matrix:
        # scikit-learn costs 1.5 s to import: only graph builds pay it, not every command that imports this module
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        prepared = [split_identifier(t) for t in texts]
        words = TfidfVectorizer(
            token_pattern=r"(?u)\b[a-z][a-z0-9]+\b",
            sublinear_tf=True,
            min_df=1,
            max_features=self.max_features,
            stop_words="english",
        )
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(4, 4),
            sublinear_tf=True,
            max_features=self.max_features,
            max_df=self.char_max_df if len(prepared) * self.char_max_df >= 2 else 1.0,
        )
        try:
            w = words.fit_transform(prepared)
        except ValueError:  # no word at all (e.g. only stop words)
            w = sparse.csr_matrix((len(prepared), 1))
        try:
            c = chars.fit_transform(prepared)
        except ValueError:  # nothing left after pruning (tiny or empty texts)
            c = sparse.csr_matrix((len(prepared), 1))
        combined = sparse.hstack([w * (1 - self.char_weight) ** 0.5, c * self.char_weight**0.5]).tocsr()
        return normalize(combined.astype(np.float32), norm="l2", copy=False)


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM Studio)."""

    def __init__(self, model: str, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY", batch: int = 256):
        self.model = model
        self.name = f"openai:{model}"
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        self.api_key_env = api_key_env
        self.batch = batch

    def encode(self, texts: list[str]) -> np.ndarray:
        from openai import OpenAI

        client = OpenAI(base_url=self.base_url, api_key=os.environ.get(self.api_key_env, "not-needed"))
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            chunk = [t or " " for t in texts[start : start + self.batch]]
            response = client.embeddings.create(model=self.model, input=chunk)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1.0, norms)


def make_embedder(spec: str, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY") -> Embedder:
    """``tfidf`` or ``openai:MODEL`` (its key read from the environment variable ``api_key_env``)."""
    if spec == "tfidf":
        return TfidfEmbedder()
    if spec.startswith("openai:") and len(spec) > len("openai:"):
        return OpenAIEmbedder(spec.split(":", 1)[1], base_url=base_url, api_key_env=api_key_env)
    raise ValueError(f"unknown embedder {spec!r}: use 'tfidf' or 'openai:MODEL'")
