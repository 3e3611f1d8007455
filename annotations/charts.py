"""The dashboard's SVG chart: geometry computed here, drawn by the template."""


def nice_step(peak: int, ticks: int = 4) -> int:
    """Return the smallest 1, 2 or 5 × 10ⁿ step that reaches ``peak`` in ``ticks``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * ticks >= peak:
                return step
        magnitude *= 10


def throughput_chart(days) -> dict:
    """Return the geometry of the stacked bar chart of decisions per day."""
    width, height = 720, 250
    left, right, top, bottom = 52, 12, 14, 58
    plot_width, plot_height = width - left - right, height - top - bottom
    peak = max((approved + rejected for _day, approved, rejected in days), default=0)
    step = nice_step(peak)
    scale_top = step * max(1, -(-peak // step))
    slot = plot_width / len(days)
    baseline = top + plot_height

    def y(value):
        return round(baseline - value / scale_top * plot_height, 1)

    bars = []
    for index, (day, approved, rejected) in enumerate(days):
        x = left + index * slot + slot * 0.15
        bars.append(
            {
                "day": day,
                "approved": approved,
                "rejected": rejected,
                "x": round(x, 1),
                "width": round(slot * 0.7, 1),
                "approved_y": y(approved),
                "approved_height": round(baseline - y(approved), 1),
                "rejected_y": y(approved + rejected),
                "rejected_height": round(y(approved) - y(approved + rejected), 1),
                "centre": round(x + slot * 0.35, 1),
                "labelled": index % 5 == 0 or index == len(days) - 1,
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "baseline": baseline,
        "plot_height": plot_height,
        "middle": round(top + plot_height / 2, 1),
        "centre": round(left + plot_width / 2, 1),
        "ticks": [
            {"value": value, "y": y(value)} for value in range(0, scale_top + 1, step)
        ],
        "bars": bars,
        "total_approved": sum(bar["approved"] for bar in bars),
        "total_rejected": sum(bar["rejected"] for bar in bars),
    }
