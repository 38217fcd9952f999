"""Shared test helpers: repository paths, the one AppTest factory, the one bank builder."""
