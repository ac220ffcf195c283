"""The one CSV writer of the service (issue 16): every cell that a
spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) is written with a leading apostrophe, so opening an export
never runs what someone typed into a business name or an access reason.
Numbers (int, float, Decimal) are written as they are: a negative latitude is
data, not a formula. Every CSV the service writes goes through csv_writer();
tests/privacy/test_csv.py holds every writer to it."""
import csv

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """`value` as it may be written to a CSV cell."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, buffer, **kwargs):
        self._writer = csv.writer(buffer, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(buffer, **kwargs) -> _SafeWriter:
    """csv.writer(buffer, **kwargs) that neutralises formula-leading cells."""
    return _SafeWriter(buffer, **kwargs)
