"""The journey curve as a standalone SVG: net sentiment per stage, in journey order, over volume bars.

Plain SVG text, so it needs no plotting library and opens in any browser.
"""

from __future__ import annotations

from html import escape

from vocengine.io.summary import RunSummary

WIDTH, HEIGHT = 960, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 30, 50, 110


def _y(net: float) -> float:
    """Net sentiment (-100..100) to a vertical pixel position."""
    return TOP + (100 - net) / 200 * (HEIGHT - TOP - BOTTOM)


def journey_curve_svg(summary: RunSummary) -> str:
    stages = list(summary.journey.stages)
    step = (WIDTH - LEFT - RIGHT) / max(len(stages), 1)
    volumes = [summary.stages[s.id].sentences if s.id in summary.stages else 0 for s in stages]
    most = max(volumes + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{escape(summary.journey.name)}: net sentiment by stage</text>',
        f'<text x="{LEFT}" y="40" fill="#666">% positive minus % negative sentences; bars show sentence volume; '
        f"{summary.rows} comments</text>",
    ]
    for tick in (-100, -50, 0, 50, 100):
        y = _y(tick)
        colour = "#999" if tick == 0 else "#e5e5e5"
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{colour}"/>')
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{tick:+d}</text>'.replace(
                ">+0<", ">0<"
            )
        )
    points = []
    for i, (stage, volume) in enumerate(zip(stages, volumes, strict=True)):
        x = LEFT + step * (i + 0.5)
        bar = volume / most * 60
        base = HEIGHT - BOTTOM
        parts.append(
            f'<rect x="{x - step * 0.3:.1f}" y="{base - bar:.1f}" width="{step * 0.6:.1f}" height="{bar:.1f}" fill="#dde6f0"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle" font-weight="bold">{escape(stage.name)}</text>'
        )
        parts.append(f'<text x="{x:.1f}" y="{base + 34}" text-anchor="middle" fill="#666">{volume} sentences</text>')
        tally = summary.stages.get(stage.id)
        if not tally or not tally.sentences:
            continue
        n = tally.sentences
        net = 100 * (tally.sentiment["positive"] - tally.sentiment["negative"]) / n
        means = {k: v / n for k, v in tally.emotion_sum.items() if k != "neutral"}
        top = max(means, key=lambda k: means[k]) if means else ""
        parts.append(f'<text x="{x:.1f}" y="{base + 50}" text-anchor="middle" fill="#666">{escape(top)}</text>')
        points.append((x, _y(net), net))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#345" stroke-width="2.5"/>')
        for x, y, net in points:
            colour = "#2a9d5b" if net > 10 else "#d1495b" if net < -10 else "#e0a030"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 11:.1f}" text-anchor="middle" font-weight="bold">{net:+.0f}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
