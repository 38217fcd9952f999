"""Studying the bank: FSRS scheduling, queues, quiz and mock helpers, progress statistics (plain functions)."""
