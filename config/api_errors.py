"""Moved to common.api_errors (issue 24: apps import downwards only). This
alias keeps branches written before the move importable until they are
merged; import common.api_errors (lint-imports names any other importer)."""
from common.api_errors import *  # noqa: F401,F403
from common.api_errors import ApiError, exception_handler  # noqa: F401
