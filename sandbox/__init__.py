"""Experiments on moe_core for the Sandbox page: pure functions returning results, and their figures."""
