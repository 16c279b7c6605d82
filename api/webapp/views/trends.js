// Trends per stage over time, with the periods that stand out marked.
import { html, useMemo } from "../preact.js";
import { qs } from "../api.js";
import { Chart, Filters, Loaded, apiFilters, net, pct, useApi, useMap } from "../components.js";
import { filtersOf, go } from "../main.js";

// The spike alerts' rule (vocengine.alerts.evaluate): a period stands out when its negative share is at least
// Z standard deviations from the stage's other periods (the deviation floored at 5 points), with at least
// MIN_SENTENCES sentences in the period and 3 other periods to compare with.
const Z = 2;
const SD_FLOOR = 0.05;
const MIN_SENTENCES = 5;

// Without a start date the trend covers the last 26 weeks (or 60 days by day): a service years old would
// otherwise send every week it ever saw.
export function recent(filters, interval) {
  if (filters.from) return {};
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  start.setUTCDate(start.getUTCDate() - (interval === "day" ? 60 : 26 * 7));
  return { date_from: start.toISOString().replace(".000Z", "Z") };
}

export function standOut(rows) {
  const marks = [];
  rows.forEach((row, i) => {
    if (row.sentences < MIN_SENTENCES) return;
    const others = rows.filter((r, j) => j !== i && r.sentences > 0).map((r) => r.negative / r.sentences);
    if (others.length < 3) return;
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    const sd = Math.sqrt(others.reduce((a, b) => a + (b - mean) ** 2, 0) / (others.length - 1));
    const z = (row.negative / row.sentences - mean) / Math.max(sd, SD_FLOOR);
    if (Math.abs(z) >= Z) marks.push({ ...row, z, share: row.negative / row.sentences, mean });
  });
  return marks;
}

function byStage(points, order) {
  const periods = [...new Set(points.map((p) => p.period_start))].sort();
  const stages = order.filter((id) => points.some((p) => p.stage === id));
  const rows = {};
  for (const stage of stages) {
    rows[stage] = periods.map((period) => {
      const p = points.find((x) => x.period_start === period && x.stage === stage);
      return p ? { period, sentences: p.sentences, negative: p.sentiment.negative, net: p.net_sentiment }
        : { period, sentences: 0, negative: 0, net: null };
    });
  }
  return { periods, stages, rows };
}

export function TrendsView({ params }) {
  const map = useMap();
  const filters = filtersOf(params);
  const interval = params.interval === "day" ? "day" : "week";
  const state = useApi(`/v1/trends${qs({ ...apiFilters(filters), ...recent(filters, interval), interval })}`);
  const data = useMemo(() => (state.data && map
    ? byStage(state.data.points, map.definition.stages.map((s) => s.id)) : null), [state.data, map]);
  const marks = useMemo(() => (data ? data.stages.flatMap((s) => standOut(data.rows[s]).map((m) => ({ ...m, stage: s }))) : []), [data]);
  const option = useMemo(() => data && {
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 48, right: 24, top: 40, bottom: 32 },
    xAxis: { type: "category", data: data.periods },
    yAxis: { type: "value", name: "net", min: -100, max: 100 },
    series: data.stages.map((s) => ({
      name: map.names[s], type: "line", connectNulls: true,
      data: data.rows[s].map((r) => (r.sentences >= MIN_SENTENCES && r.net !== null ? Math.round(r.net) : null)),
      markPoint: { symbol: "pin", symbolSize: 36, data: marks.filter((m) => m.stage === s && m.net !== null)
        .map((m) => ({ coord: [m.period, Math.round(m.net)], value: "!", name: "stands out" })) },
    })),
  }, [data, marks]);
  return html`<h1>Trends</h1>
    <p class="lede">Net sentiment per stage by ${interval}${filters.from ? "" : interval === "day" ? " over the last 60 days" : " over the last 26 weeks"}; a pin marks a period whose negative share stands out
      from the stage's other periods (the spike alerts' rule: ${Z} standard deviations, at least ${MIN_SENTENCES} sentences).</p>
    <${Filters} value=${filters} onChange=${(f) => go("trends", { ...f, interval })} />
    <p><button type="button" class="link" onClick=${() => go("trends", { ...filters, interval: interval === "day" ? "week" : "day" })}>
      Show by ${interval === "day" ? "week" : "day"}</button></p>
    <${Loaded} state=${state} what="Loading trends">${() => (data && data.periods.length ? html`
      <${Chart} option=${option} height=${320} label=${`Net sentiment per stage by ${interval}`} />
      <h2>Periods that stand out</h2>
      ${marks.length ? html`<ul class="marks">${marks.map((m) => html`<li>
        <a href=${`#/drill${qs({ ...filters, stage: m.stage, interval })}`}>${map.names[m.stage]}, ${interval} of ${m.period}</a>:
        ${pct(m.share)} negative against ${pct(m.mean)} in its other periods (${m.sentences} sentences, net ${net(m.net)})</li>`)}</ul>`
        : html`<p>None: every period is within ${Z} standard deviations of its stage's others.</p>`}`
      : html`<p class="notice">No dated, scored sentences under these filters.</p>`)}<//>`;
}
