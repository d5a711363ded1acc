"""The ASGI app of Ralph LRS for infra/test: its fs backend, made to append to its JSONL file.

Ralph 5.1.0's FSLRSBackend writes with the CREATE operation type, so every POST after the
first one that stores anything fails with 500 ("Statements bulk indexation failed": the file
already exists). Switching the backend's default to APPEND before the app is imported fixes it.
Run with: uvicorn ralph_fs_append:app --app-dir <folder holding this file>
"""

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app  # noqa: E402  (the patch must come first)

__all__ = ["app"]
