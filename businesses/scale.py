"""Scale class (mikro/kecil/menengah/besar) from capital or annual sales.

PP 7/2021 Pasal 35-36 (in force; implements UU 11/2020 Cipta Kerja): modal
usaha excluding land and buildings, or annual sales. The modal criterion is
for businesses established or registered after the PP took effect
(2 February 2021); for older ones, and when no capital is known, annual sales
decide. UU 20/2008 Pasal 6 (net assets or sales) is kept only to classify
legacy imports that were recorded under it.

Bounds are inclusive upper limits in rupiah: a business with exactly
Rp1,000,000,000 of capital is still mikro; one rupiah more is kecil.
"""
import datetime
from dataclasses import dataclass

from .models import Scale, ScaleRule

JT = 1_000_000
M = 1_000_000_000

PP_7_2021_IN_FORCE = datetime.date(2021, 2, 2)

# (upper bound inclusive, class), checked in order; above the last -> besar.
THRESHOLDS = {
    (ScaleRule.PP_7_2021, "modal"): [(1 * M, Scale.MIKRO), (5 * M, Scale.KECIL), (10 * M, Scale.MENENGAH)],
    (ScaleRule.PP_7_2021, "sales"): [(2 * M, Scale.MIKRO), (15 * M, Scale.KECIL), (50 * M, Scale.MENENGAH)],
    (ScaleRule.UU_20_2008, "assets"): [(50 * JT, Scale.MIKRO), (500 * JT, Scale.KECIL), (10 * M, Scale.MENENGAH)],
    (ScaleRule.UU_20_2008, "sales"): [(300 * JT, Scale.MIKRO), (2500 * JT, Scale.KECIL), (50 * M, Scale.MENENGAH)],
}


@dataclass(frozen=True)
class ScaleResult:
    scale: str
    rule: str
    basis: str


def _classify(amount: int, table) -> str:
    for upper, scale in table:
        if amount <= upper:
            return scale
    return Scale.BESAR


def scale_classify(*, capital_idr: int | None, annual_sales_idr: int | None,
                   rule: str = ScaleRule.PP_7_2021,
                   established_on: datetime.date | None = None) -> ScaleResult | None:
    """The scale class under `rule`; None when no figure is known.

    PP 7/2021: capital decides for a business established on or after
    2 February 2021 (or of unknown date) when capital is known; otherwise
    annual sales. UU 20/2008 (legacy): net assets when known, else sales.
    """
    for value in (capital_idr, annual_sales_idr):
        if value is not None and value < 0:
            raise ValueError("amounts cannot be negative")
    if rule == ScaleRule.PP_7_2021:
        modal_applies = established_on is None or established_on >= PP_7_2021_IN_FORCE
        if capital_idr is not None and (modal_applies or annual_sales_idr is None):
            basis, amount = "modal", capital_idr
        elif annual_sales_idr is not None:
            basis, amount = "sales", annual_sales_idr
        else:
            return None
    elif rule == ScaleRule.UU_20_2008:
        if capital_idr is not None:
            basis, amount = "assets", capital_idr
        elif annual_sales_idr is not None:
            basis, amount = "sales", annual_sales_idr
        else:
            return None
    else:
        raise ValueError(f"unknown scale rule {rule!r}")
    return ScaleResult(scale=_classify(amount, THRESHOLDS[(rule, basis)]), rule=rule, basis=basis)
