"""Stage 4, synthesis: paths into trajectories (values, translation, execution, verification), storage and edits."""
