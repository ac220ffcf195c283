"""Server-rendered SVG charts and choropleths: readable without JavaScript,
printable, and light (no chart library). Inputs are already-published
figures; a suppressed count ("<5") is drawn as a hatched stub, never as a
number it might be."""
from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ["#1f78b4", "#33a02c", "#ff7f00", "#6a3d9a", "#e31a1c", "#b15928", "#a6cee3", "#b2df8a"]


def _hatch(*, key: str, size: float = 6) -> tuple[str, str]:
    """The "<5" hatch pattern of one SVG: (defs, fill). Each SVG has its own
    pattern id (several share a page; the first <pattern id> in the document
    wins otherwise) sized in that SVG's own user units: a choropleth's
    viewBox is in degrees, a chart's in pixels. Deterministic ids keep
    the page's ETag stable."""
    import hashlib

    pid = "hatch-" + hashlib.sha1(f"{key}|{size}".encode()).hexdigest()[:10]
    line = size / 3
    defs = (f'<defs><pattern id="{pid}" width="{size:.6g}" height="{size:.6g}" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="{size:.6g}" height="{size:.6g}" fill="#eee"/>'
            f'<line x1="0" y1="0" x2="0" y2="{size:.6g}" stroke="#999" stroke-width="{line:.6g}"/></pattern></defs>')
    return defs, f"url(#{pid})"


def _num(value) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def hbar(*, rows: list[tuple[str, object]], title: str, width: int = 640) -> str:
    """Horizontal bars, one per (label, value); value may be "<5"."""
    bar_h, gap, label_w = 22, 6, 190
    height = len(rows) * (bar_h + gap) + 10
    top = max([_num(v) for _l, v in rows] + [1])
    hatch_defs, hatch_fill = _hatch(key=f"hbar|{title}")
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">{hatch_defs}<title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = (width - label_w - 60) * _num(value) / top
        fill = hatch_fill if not isinstance(value, (int, float)) else PALETTE[0]
        w = max(w, 8)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(str(label))[:32]}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fill}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{escape(str(value))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def stacked_columns(*, columns: list[str], series: list[tuple[str, list[object]]], title: str,
                    width: int = 680, height: int = 260) -> str:
    """Columns (months) stacked by series (categories); suppressed cells count 0."""
    left, bottom, legend_h = 40, 24, 18 * ((len(series) + 2) // 3)
    plot_h = height - bottom - 10
    totals = [sum(_num(values[i]) for _name, values in series) for i in range(len(columns))]
    top = max(totals + [1])
    col_w = (width - left - 10) / max(len(columns), 1)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height + legend_h}" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(title)}</title>'
             f'<line x1="{left}" y1="{plot_h + 5}" x2="{width - 5}" y2="{plot_h + 5}" stroke="#999"/>'
             f'<text x="{left - 4}" y="12" text-anchor="end">{int(top)}</text>']
    for i, column in enumerate(columns):
        x = left + i * col_w
        y = plot_h + 5
        for s, (_name, values) in enumerate(series):
            h = plot_h * _num(values[i]) / top
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{col_w - 4:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + col_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                     f'{escape(column)}</text>')
    for s, (name, _values) in enumerate(series):
        lx, ly = 10 + (s % 3) * (width // 3), height + 4 + (s // 3) * 18
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>'
                     f'<text x="{lx + 16}" y="{ly + 10}">{escape(name)[:34]}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


CHOROPLETH_BREAKS = [5, 10, 25, 50, 100]
CHOROPLETH_COLOURS = ["#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"]


def _class_colour(value, hatch_fill: str = "url(#hatch)") -> str:
    if not isinstance(value, (int, float)):
        return hatch_fill
    for i, limit in enumerate(CHOROPLETH_BREAKS):
        if value < limit:
            return CHOROPLETH_COLOURS[i]
    return CHOROPLETH_COLOURS[-1]


def choropleth(*, shapes: list[dict], values: dict[str, object], title: str, width: int = 560,
               colour=None, missing="<5") -> str:
    """An SVG map of areas ({code, name, path, bbox}) filled by class of
    value: `colour(value)` (report counts by default); an area without a
    value is shown as `missing`."""
    if not shapes:
        return ""
    minx = min(s["bbox"][0] for s in shapes)
    miny = min(s["bbox"][1] for s in shapes)
    maxx = max(s["bbox"][2] for s in shapes)
    maxy = max(s["bbox"][3] for s in shapes)
    # the hatch in this map's units (degrees): ~1/100 of its width
    hatch_defs, hatch_fill = _hatch(key=f"map|{title}", size=(maxx - minx) / 100)
    if colour is None:
        def colour(value):
            return _class_colour(value, hatch_fill)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="{minx} {miny} {maxx - minx} {maxy - miny}" width="{width}" '
             f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">{hatch_defs}'
             f'<title>{escape(title)}</title>']
    stroke = (maxx - minx) / 600
    for s in shapes:
        value = values.get(s["code"], missing)
        parts.append(f'<path d="{s["path"]}" fill="{colour(value)}" stroke="#555" '
                     f'stroke-width="{stroke:.5f}"><title>{escape(s["name"])}: {escape(str(value))}</title></path>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def choropleth_legend() -> list[tuple[str, str]]:
    labels, low = [], 5
    for i, limit in enumerate(CHOROPLETH_BREAKS[1:], start=1):
        labels.append((CHOROPLETH_COLOURS[i], f"{low}–{limit - 1}"))
        low = limit
    labels.append((CHOROPLETH_COLOURS[-1], f"≥ {CHOROPLETH_BREAKS[-1]}"))
    return labels


# Sequential blues for published dataset values (not counts: no suppression).
VALUE_COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
NO_DATA_COLOUR = "#ffffff"


def value_classes(*, minimum, maximum) -> tuple:
    """Five equal intervals from minimum to maximum of a dataset field: the
    colour function for choropleth() and its legend [(colour, label)]."""
    if minimum is None or maximum is None:
        return (lambda value: NO_DATA_COLOUR), []
    step = (maximum - minimum) / len(VALUE_COLOURS) or 1

    def colour(value) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return NO_DATA_COLOUR
        index = min(int((value - minimum) / step), len(VALUE_COLOURS) - 1)
        return VALUE_COLOURS[max(index, 0)]

    def fmt(number) -> str:
        return f"{number:,.0f}" if abs(step) >= 10 else f"{number:,.2f}".rstrip("0").rstrip(".")

    legend = [(c, f"{fmt(minimum + i * step)}–{fmt(minimum + (i + 1) * step)}")
              for i, c in enumerate(VALUE_COLOURS)]
    return colour, legend
