"""Personal data removed from free text before it is published (issue 16).

A P0 description is public only after this scrub: there is no moderation
queue. The rule lives in ONE place, the SQL function `kr_scrub_personal`
created by reports migration 0007 and used by the public view
`reports_public_report`; `scrub()` runs the same function for Python callers
(e-mail summaries), so there is no second implementation to drift.

What is replaced (Asia/Indonesia formats):
- e-mail addresses -> [email];
- 16-digit NIK (optionally grouped 6-6-4 with spaces, dots or dashes) -> [NIK];
- phone numbers starting +62, 62 or 0 followed by 7-13 more digits
  (spaces, dots, dashes allowed between digits) -> [telepon];
- vehicle plates: 1-2 letters, 1-4 digits, 1-3 letters (KB 1234 AB, kb1234ab)
  -> [nopol]; "RT 05 RW" is not a plate.
A false positive (a date written 07-12-2026 masked as a phone) is accepted:
the rule errs towards hiding.
"""
from django.db import connection

# Postgres ARE syntax. Order matters: NIK before phone (a NIK is a digit run).
PATTERNS = (
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "[email]", "g"),
    (r"\m\d{6}[ .-]?\d{6}[ .-]?\d{4}\M", "[NIK]", "g"),
    (r"(\+62|\m62|\m0)([ .-]?\d){7,13}\M", "[telepon]", "g"),
    (r"\m(?!(rt|rw)\M)[a-z]{1,2}[ -]?\d{1,4}[ -]?[a-z]{1,3}\M", "[nopol]", "gi"),
)


def _sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _scrub_expression(arg: str) -> str:
    expr = arg
    for pattern, replacement, flags in PATTERNS:
        expr = f"regexp_replace({expr}, {_sql_literal(pattern)}, {_sql_literal(replacement)}, '{flags}')"
    return expr


SCRUB_FUNCTION_SQL = (
    "CREATE OR REPLACE FUNCTION kr_scrub_personal(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    f"AS $$ SELECT {_scrub_expression('t')} $$;\n")


def scrub(text: str) -> str:
    """`text` with personal data replaced, by the database's function."""
    if not text:
        return text or ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT kr_scrub_personal(%s)", [text])
        return cursor.fetchone()[0]
