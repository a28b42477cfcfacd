"""Stage 3, function signature paths: the FSP model, random walks, MAGNET's merge/insert/split, storage."""
