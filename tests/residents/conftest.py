from tests.reports.conftest import desa_point, make_user, submit, taxonomy, users  # noqa: F401
