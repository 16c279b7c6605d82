"""The journey report as one HTML file: everything inline (styles, the vendored ECharts, the data), nothing
fetched, so it opens offline by double-click and can be mailed on. A Content-Security-Policy in the page lets
only its own scripts (by hash) run and lets the page reach nothing at all.

The cards and tables are written here, in HTML, so the numbers read without scripts (and in a mail preview);
the script only draws the charts from the data block.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

MOMENT_TEXT = {
    "positive": "Moment of delight",
    "negative": "Pain point",
    "neutral": "Flat: a risk, nothing here wins loyalty",
    "mixed": "Mixed",
}


@cache
def asset(name: str) -> str:
    return resources.files("vocengine.report").joinpath("assets", name).read_text(encoding="utf-8")


@cache
def manifest() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(asset("MANIFEST.json"))
    return result


def write_report(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    vendored = manifest()["vendored"][0]
    library = asset(vendored["file"])
    script = asset("report.js")
    csp = "; ".join([
        "default-src 'none'", f"script-src {_hash(library)} {_hash(script)}", "style-src 'unsafe-inline'",
        "img-src data:", "base-uri 'none'", "form-action 'none'",
    ])  # fmt: skip
    title = f"{data['journey']}: how customers feel along the journey"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{asset('report.css')}</style>",
        "</head><body>",
        _header(data, title),
        _curve(),
        _journey_map(data),
        _personas(data),
        _moments(data),
        _trends(data),
        f"<footer>Written by vocengine. Charts drawn by {escape(vendored['package'])} {escape(vendored['version'])} "
        f"({escape(vendored['license'])}), inlined in this file; its licence is in the vocengine package, "
        "vocengine/report/assets.</footer>",
        f'<script type="application/json" id="report-data">{_json(data)}</script>',
        f"<script>{library}</script>",
        f"<script>{script}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _json(data: dict[str, Any]) -> str:
    """JSON that cannot end its script element or open a comment inside it."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _header(data: dict[str, Any], title: str) -> str:
    t = data["totals"]
    return (
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="muted">{t["rows"]} comments from {escape(data["source"] or "the input")}: {t["analysed"]} '
        f"analysed, {t['not_scored']} not scored, {t['errors']} unreadable; {t['sentences']} scored sentences, "
        f"{t['unassigned_sentences']} of them matching no touchpoint. Net sentiment is % positive − % negative "
        f"sentences; a stage or touchpoint with fewer than {data['min_sentences']} sentences is not judged. "
        f"Texts are redacted. Written {escape(data['generated_at'])}.</p></header>"
    )


def _curve() -> str:
    return (
        '<section id="curve"><h2>The curve: peaks and valleys across the journey</h2>'
        '<div class="chart" id="curve-chart" role="img" aria-label="net sentiment per stage"></div></section>'
    )


def _moment(point: dict[str, Any], minimum: int) -> str:
    moment = point["moment"]
    if moment is None:
        return f'<span class="moment moment-none">too few to judge (under {minimum} sentences)</span>'
    return f'<span class="moment moment-{moment}">{MOMENT_TEXT[moment]}</span>'


def _net(point: dict[str, Any]) -> str:
    if point["moment"] is None:
        return ""
    return f'<span class="net">net {point["net_sentiment"]:+.0f}</span> '


def _split(point: dict[str, Any]) -> str:
    s = point["sentiment"]
    widths = [(k[:3], 100 * s[f"{k}_share"]) for k in ("negative", "neutral", "positive")]
    bars = "".join(f'<span class="{cls}" style="width:{w:.1f}%"></span>' for cls, w in widths if w)
    title = f"negative {s['negative']}, neutral {s['neutral']}, positive {s['positive']}"
    return f'<div class="split" title="{title}">{bars}</div>'


def _emotions(point: dict[str, Any]) -> str:
    if not point["top_emotions"]:
        return ""
    names = ", ".join(f"{escape(e['label'])} {e['mean']:.2f}" for e in point["top_emotions"])
    return f'<div class="emotions muted">top emotions: {names}</div>'


def _journey_map(data: dict[str, Any]) -> str:
    minimum = data["min_sentences"]
    cards = []
    for stage in data["stages"]:
        touchpoints = []
        for tp in stage["touchpoints"]:
            quotes = "".join(
                f'<blockquote class="{escape(e["sentiment"])}">{escape(e["text"])}</blockquote>' for e in tp["examples"]
            )
            examples = (
                f"<details><summary>{len(tp['examples'])} example(s)</summary>{quotes}</details>" if quotes else ""
            )
            touchpoints.append(
                f'<li class="touchpoint" data-touchpoint="{escape(tp["id"])}"><span class="name">{escape(tp["name"])}'
                f'</span> <span class="muted">{tp["sentences"]} sentences</span><br>{_net(tp)}'
                f"{_moment(tp, minimum)}{_split(tp) if tp['sentences'] else ''}{_emotions(tp)}{examples}</li>"
            )
        cards.append(
            f'<article class="stage" data-stage="{escape(stage["id"])}"><h3>{escape(stage["name"])}</h3>'
            f'<div class="volume"><span class="n">{stage["sentences"]}</span> sentences, {stage["comments"]} comments'
            f"</div>{_split(stage)}{_net(stage)}{_moment(stage, minimum)}{_emotions(stage)}"
            f'<ul class="touchpoints">{"".join(touchpoints)}</ul></article>'
        )
    return (
        '<section id="journey-map"><h2>The journey map</h2><p class="muted">Stages in journey order, each with its '
        'touchpoints: volume, sentiment split (<span class="moment moment-negative">negative</span> '
        '<span class="moment moment-mixed">neutral</span> <span class="moment moment-positive">positive</span>), '
        f'net sentiment, top emotions and the defining moment.</p><div class="stages">{"".join(cards)}</div></section>'
    )


def _personas(data: dict[str, Any]) -> str:
    if not data["personas"]:
        return ""
    minimum = data["min_sentences"]
    columns = []
    for persona in data["personas"]:
        items = "".join(
            f"<li>{escape(s['name'])}: {s['sentences']} sentences {_net(s)}{_moment(s, minimum)}</li>"
            for s in persona["stages"]
        )
        columns.append(
            f'<div class="persona" data-persona="{escape(persona["persona"])}"><h3>{escape(persona["persona"])}</h3>'
            f'<div class="muted">{persona["sentences"]} sentences</div><ol>{items}</ol></div>'
        )
    return (
        '<section id="personas"><h2>One map per persona</h2>'
        '<div class="chart" id="persona-chart" role="img" aria-label="net sentiment per stage and persona"></div>'
        f'<div class="personas">{"".join(columns)}</div></section>'
    )


def _moments(data: dict[str, Any]) -> str:
    minimum = data["min_sentences"]
    rows = "".join(
        f"<tr><td class=num>{i}</td><td>{escape(m['touchpoint_name'])}</td><td>{escape(m['stage_name'])}</td>"
        f"<td class=num>{m['sentences']}</td><td class=num>{m['impact']}</td><td class=num>{m['neutral_risk']}</td>"
        f"<td>{_net(m)}{_moment(m, minimum)}</td></tr>"
        for i, m in enumerate(data["moments"], start=1)
    )
    return (
        '<section id="moments"><h2>Moments that matter</h2><p class="muted">Touchpoints ranked by impact: the number '
        "of negative sentences there (volume × negative share); neutral risk is the number of flat ones.</p>"
        "<table><thead><tr><th class=num>#</th><th>touchpoint</th><th>stage</th><th class=num>sentences</th>"
        "<th class=num>impact</th><th class=num>neutral risk</th><th>defining moment</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _trends(data: dict[str, Any]) -> str:
    if not data["trends"]:
        return ""
    return (
        f'<section id="trends"><h2>Over time (by {data["trends"]["interval"]})</h2>'
        '<div class="chart" id="trend-chart" role="img" aria-label="net sentiment per stage over time"></div>'
        "</section>"
    )
