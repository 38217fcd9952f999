"""Progress in SQLite: the connection and migrations, one repository per kind of record, the export format."""
from .db import SCHEMA_VERSION, ProgressFormatError, Store, StoreError, default_db_path

__all__ = ["SCHEMA_VERSION", "ProgressFormatError", "Store", "StoreError", "default_db_path"]
