from tests.reports.conftest import desa_point, make_user, submit, taxonomy, users  # noqa: F401
from tests.portal.conftest import _chromium, browser  # noqa: F401,E402
