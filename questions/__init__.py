"""MoE Interview Lab: the question bank, practice, progress and coding exercises."""
