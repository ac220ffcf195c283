"""The standards tests use the RT Online fixtures (taxonomy, users, submit)."""
from tests.reports.conftest import *  # noqa: F401,F403
