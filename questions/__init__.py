"""MoE Interview Lab: the question bank, practice, progress and coding exercises."""
from .bank.loader import BankLoadResult, BankProblem, filter_questions, load_bank
from .bank.schema import TOPICS, LocalText, Option, Question, Source

__all__ = [
    "BankLoadResult", "BankProblem", "LocalText", "Option", "Question", "Source", "TOPICS",
    "filter_questions", "load_bank",
]
