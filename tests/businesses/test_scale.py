"""Scale class from the thresholds, at the boundaries (PP 7/2021, UU 20/2008)."""
import datetime

import pytest

from businesses.models import Scale, ScaleRule
from businesses.scale import scale_classify

M = 1_000_000_000
JT = 1_000_000
AFTER_PP = datetime.date(2022, 5, 1)
BEFORE_PP = datetime.date(2015, 5, 1)


@pytest.mark.parametrize("capital, expected", [
    (0, Scale.MIKRO), (1 * M, Scale.MIKRO), (1 * M + 1, Scale.KECIL), (5 * M, Scale.KECIL),
    (5 * M + 1, Scale.MENENGAH), (10 * M, Scale.MENENGAH), (10 * M + 1, Scale.BESAR),
])
def test_pp7_capital_thresholds_are_inclusive_upper_bounds(capital, expected):
    result = scale_classify(capital_idr=capital, annual_sales_idr=None, established_on=AFTER_PP)
    assert (result.scale, result.rule, result.basis) == (expected, ScaleRule.PP_7_2021, "modal")


@pytest.mark.parametrize("sales, expected", [
    (2 * M, Scale.MIKRO), (2 * M + 1, Scale.KECIL), (15 * M, Scale.KECIL), (15 * M + 1, Scale.MENENGAH),
    (50 * M, Scale.MENENGAH), (50 * M + 1, Scale.BESAR),
])
def test_pp7_sales_thresholds(sales, expected):
    assert scale_classify(capital_idr=None, annual_sales_idr=sales).scale == expected


def test_pp7_business_established_before_the_pp_is_classified_by_sales():
    # Capital says kecil, sales say mikro: the older business goes by sales.
    result = scale_classify(capital_idr=3 * M, annual_sales_idr=1 * M, established_on=BEFORE_PP)
    assert (result.scale, result.basis) == (Scale.MIKRO, "sales")


def test_pp7_business_established_on_the_day_the_pp_took_effect_is_classified_by_capital():
    result = scale_classify(capital_idr=3 * M, annual_sales_idr=1 * M, established_on=datetime.date(2021, 2, 2))
    assert (result.scale, result.basis) == (Scale.KECIL, "modal")


@pytest.mark.parametrize("assets, expected", [
    (50 * JT, Scale.MIKRO), (50 * JT + 1, Scale.KECIL), (500 * JT, Scale.KECIL), (500 * JT + 1, Scale.MENENGAH),
    (10 * M, Scale.MENENGAH), (10 * M + 1, Scale.BESAR),
])
def test_uu20_2008_legacy_asset_thresholds(assets, expected):
    result = scale_classify(capital_idr=assets, annual_sales_idr=None, rule=ScaleRule.UU_20_2008)
    assert (result.scale, result.rule, result.basis) == (expected, ScaleRule.UU_20_2008, "assets")


@pytest.mark.parametrize("sales, expected", [
    (300 * JT, Scale.MIKRO), (300 * JT + 1, Scale.KECIL), (2500 * JT, Scale.KECIL), (2500 * JT + 1, Scale.MENENGAH),
])
def test_uu20_2008_legacy_sales_thresholds(sales, expected):
    assert scale_classify(capital_idr=None, annual_sales_idr=sales, rule=ScaleRule.UU_20_2008).scale == expected


def test_same_figure_differs_between_rules():
    # Rp100 juta: kecil under UU 20/2008 assets, mikro under PP 7/2021 modal.
    assert scale_classify(capital_idr=100 * JT, annual_sales_idr=None, rule=ScaleRule.UU_20_2008).scale == Scale.KECIL
    assert scale_classify(capital_idr=100 * JT, annual_sales_idr=None).scale == Scale.MIKRO


def test_no_figures_no_class_and_negative_refused():
    assert scale_classify(capital_idr=None, annual_sales_idr=None) is None
    with pytest.raises(ValueError):
        scale_classify(capital_idr=-1, annual_sales_idr=None)
