// Defining moments: touchpoints ranked by impact (negative sentences), volume beside it, and the neutral
// share as a risk of its own (customers who feel nothing where the map wants delight).
import { html, useMemo } from "../preact.js";
import { qs } from "../api.js";
import { Chart, Filters, Loaded, SENTIMENT_COLORS, apiFilters, net, pct, useApi } from "../components.js";
import { filtersOf, go } from "../main.js";

function option(moments) {
  const rows = [...moments].reverse();
  const label = (m) => `${m.touchpoint_name}`;
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 190, right: 24, top: 32, bottom: 24 },
    xAxis: { type: "value", name: "sentences" },
    yAxis: { type: "category", data: rows.map(label) },
    series: [
      { name: "impact (negative)", type: "bar", stack: "s", itemStyle: { color: SENTIMENT_COLORS.negative }, data: rows.map((m) => m.impact) },
      { name: "neutral risk", type: "bar", stack: "s", itemStyle: { color: SENTIMENT_COLORS.neutral }, data: rows.map((m) => m.neutral_risk) },
      { name: "positive", type: "bar", stack: "s", itemStyle: { color: SENTIMENT_COLORS.positive },
        data: rows.map((m) => Math.round(m.sentences * m.positive_share)) },
    ],
  };
}

export function MomentsView({ params }) {
  const filters = filtersOf(params);
  const state = useApi(`/v1/moments${qs({ ...apiFilters(filters), limit: 15, examples: 2 })}`);
  const chart = useMemo(() => (state.data ? option(state.data.moments) : null), [state.data]);
  return html`<h1>Defining moments</h1>
    <p class="lede">Touchpoints ranked by impact: the number of negative sentences. A large neutral share is a risk
      of its own where customers should be delighted.</p>
    <${Filters} value=${filters} onChange=${(f) => go("moments", f)} />
    <${Loaded} state=${state} what="Loading moments">${(report) => (report.moments.length ? html`
      <${Chart} option=${chart} height=${Math.max(200, 28 * report.moments.length + 60)}
        label="Touchpoints by impact, with neutral risk and positive sentences" />
      <div class="table-wrap"><table class="moments">
        <caption>Touchpoints by impact</caption>
        <thead><tr><th scope="col">#</th><th scope="col">Touchpoint</th><th scope="col">Stage</th><th scope="col">Impact</th>
          <th scope="col">Sentences</th><th scope="col">Negative</th><th scope="col">Neutral (risk)</th><th scope="col">Net</th><th scope="col">Example</th></tr></thead>
        <tbody>${report.moments.map((m, i) => html`<tr data-touchpoint=${m.touchpoint}>
          <td>${i + 1}</td>
          <td><a href=${`#/drill${qs({ ...filters, touchpoint: m.touchpoint })}`}>${m.touchpoint_name}</a></td>
          <td>${m.stage_name}</td><td>${m.impact}</td><td>${m.sentences}</td><td>${pct(m.negative_share)}</td>
          <td class=${m.neutral_share >= 0.4 ? "risk" : ""}>${pct(m.neutral_share)}${m.neutral_share >= 0.4 ? " ⚠" : ""}</td>
          <td>${net(m.net_sentiment)}</td>
          <td class="example">${m.examples.length ? html`<a href=${`#/comment?id=${m.examples[0].response_id}`}>${m.examples[0].text}</a>` : "–"}</td>
        </tr>`)}</tbody>
      </table></div>` : html`<p class="notice">No touchpoint has scored sentences under these filters.</p>`)}<//>`;
}
