"""The app-test fixtures (tests/helpers/fixtures.py): the fixture bank, the database path, the AppTest factory."""
from tests.helpers.fixtures import bank_dir, db_path, make_app  # noqa: F401 - pytest finds fixtures by name
