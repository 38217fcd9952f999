"""Progress in SQLite: the connection and migrations, one repository per kind of record, the export format."""
from .db import Store, StoreError, default_db_path
from .exchange import ProgressFormatError
from .schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ProgressFormatError", "Store", "StoreError", "default_db_path"]
