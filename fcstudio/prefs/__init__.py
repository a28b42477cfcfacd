"""Stage 5, preferences: chosen/rejected pairs, human labels, training-set export and the mDPO loss."""
