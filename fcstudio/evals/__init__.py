"""Stage 6, evaluation: the tau-style runner and tau2 rewards, pass@k/pass^k, BFCL's checker and runner, imports, review."""
