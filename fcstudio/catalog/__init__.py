"""Stage 1, the catalogue: outside tool and trajectory formats (``formats/``), imports as jobs (``ingest``), JSON Schema checks."""
