"""The real bank (questions/bank/*.yaml), loaded once for the tests that check its content and links."""
import pytest

from questions import load_bank
from questions.bank.loader import BANK_DIR


@pytest.fixture(scope="session")
def bank():
    """load_bank of questions/bank/ without the cache: its questions and problems."""
    return load_bank(BANK_DIR, cache_dir=None)
