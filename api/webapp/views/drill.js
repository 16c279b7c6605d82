// Drill-down into a stage or a touchpoint: its trend by day or week, its emotions, and the comments behind
// it with the sentence that put each one here highlighted.
import { html, useEffect, useMemo, useState } from "../preact.js";
import { api, qs } from "../api.js";
import {
  Chart, ErrorBox, Filters, Highlighted, Loaded, SENTIMENT_COLORS, apiFilters, net, pct, scoresText, statusText,
  useApi, useMap,
} from "../components.js";
import { filtersOf, go } from "../main.js";
import { recent } from "./trends.js";

export function trendSeries(points) {
  // Points come per (period, stage); a touchpoint's or stage's trend sums its stages per period.
  const periods = new Map();
  for (const p of points) {
    const t = periods.get(p.period_start) || { period: p.period_start, sentences: 0, negative: 0, neutral: 0, positive: 0 };
    t.sentences += p.sentences;
    for (const k of ["negative", "neutral", "positive"]) t[k] += p.sentiment[k];
    periods.set(p.period_start, t);
  }
  return [...periods.values()].sort((a, b) => (a.period < b.period ? -1 : 1)).map((t) => ({
    ...t, net: t.sentences ? ((t.positive - t.negative) / t.sentences) * 100 : null,
  }));
}

function trendOption(series) {
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 36, bottom: 32 },
    xAxis: { type: "category", data: series.map((t) => t.period) },
    yAxis: [{ type: "value", name: "sentences", minInterval: 1 }, { type: "value", name: "net", min: -100, max: 100 }],
    series: [
      { name: "negative", type: "bar", stack: "v", itemStyle: { color: SENTIMENT_COLORS.negative }, data: series.map((t) => t.negative) },
      { name: "neutral", type: "bar", stack: "v", itemStyle: { color: SENTIMENT_COLORS.neutral }, data: series.map((t) => t.neutral) },
      { name: "positive", type: "bar", stack: "v", itemStyle: { color: SENTIMENT_COLORS.positive }, data: series.map((t) => t.positive) },
      { name: "net sentiment", type: "line", yAxisIndex: 1, itemStyle: { color: "#1f3a93" }, data: series.map((t) => (t.net === null ? null : Math.round(t.net))) },
    ],
  };
}

function emotionsOption(group) {
  const top = Object.entries(group.emotions).filter(([k]) => k !== "neutral").sort((a, b) => b[1] - a[1]).slice(0, 8).reverse();
  return {
    tooltip: {},
    grid: { left: 110, right: 24, top: 8, bottom: 24 },
    xAxis: { type: "value", name: "mean probability" },
    yAxis: { type: "category", data: top.map(([k]) => k) },
    series: [{ type: "bar", itemStyle: { color: "#7d3c98" }, data: top.map(([, v]) => Math.round(v * 1000) / 1000) }],
  };
}

export function CommentCard({ item }) {
  return html`<li class="comment" data-response=${item.id}>
    <p class="text"><${Highlighted} text=${item.text} sentences=${item.about || []} /></p>
    <p class="meta">
      <span class=${`sentiment sentiment-${item.sentiment}`}>${item.sentiment || statusText(item)}</span>
      ${(item.about || []).map((s) => html` <span class="score">“${s.text.slice(0, 40)}${s.text.length > 40 ? "…" : ""}”: ${s.sentiment}
        (${scoresText(s)}), touchpoint ${s.touchpoint || "none"} ${s.touchpoint_score === null ? "" : s.touchpoint_score.toFixed(2)}</span>`)}
      · ${item.source}${item.persona ? ` · ${item.persona}` : ""}${item.account_id ? ` · ${item.account_id}` : ""}
      · ${(item.submitted_at || item.received_at).slice(0, 10)}
      · <a href=${`#/comment?id=${item.id}`}>full comment</a>
    </p>
  </li>`;
}

export function CommentList({ params: listParams }) {
  const [pages, setPages] = useState({ items: [], next: null, error: null, loading: true });
  const base = `/v1/responses${qs({ ...listParams, limit: 20 })}`;
  const load = (cursor) => {
    setPages((p) => ({ ...p, loading: true }));
    api(`${base}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`).then(
      (page) => setPages((p) => ({ items: cursor ? [...p.items, ...page.items] : page.items, next: page.next_cursor, error: null, loading: false })),
      (error) => setPages((p) => ({ ...p, error, loading: false })),
    );
  };
  useEffect(() => load(null), [base]);
  return html`<div>
    <${ErrorBox} error=${pages.error} />
    ${!pages.loading && !pages.items.length && !pages.error ? html`<p class="notice">No comments here.</p>` : null}
    <ol class="comments">${pages.items.map((item) => html`<${CommentCard} item=${item} />`)}</ol>
    ${pages.loading ? html`<p class="loading">Loading comments…</p>` : null}
    ${pages.next && !pages.loading ? html`<button type="button" onClick=${() => load(pages.next)}>More comments</button>` : null}
  </div>`;
}

export function DrillView({ params }) {
  const map = useMap();
  const filters = filtersOf(params);
  const about = params.touchpoint ? { touchpoint: params.touchpoint } : { stage: params.stage };
  const interval = params.interval === "day" ? "day" : "week";
  const f = apiFilters(filters);
  const trends = useApi(`/v1/trends${qs({ ...f, ...recent(filters, interval), ...about, interval })}`);
  const emotions = useApi(`/v1/emotions${qs({ ...f, ...about, group_by: "stage" })}`);
  const series = useMemo(() => (trends.data ? trendSeries(trends.data.points) : []), [trends.data]);
  const trendChart = useMemo(() => trendOption(series), [series]);
  const merged = useMemo(() => {
    if (!emotions.data || !emotions.data.groups.length) return null;
    // A touchpoint lies in one stage; a stage is one group: either way the first group with the most sentences.
    return [...emotions.data.groups].sort((a, b) => b.sentences - a.sentences)[0];
  }, [emotions.data]);
  const id = params.touchpoint || params.stage;
  const name = (map && map.names[id]) || id;
  const stageId = params.touchpoint && map ? map.stageOf[params.touchpoint] : params.stage;
  return html`
    <p class="crumbs"><a href=${`#/journey${qs(filters)}`}>Journey map</a>
      ${params.touchpoint && stageId ? html` › <a href=${`#/drill${qs({ ...filters, stage: stageId })}`}>${map.names[stageId]}</a>` : null}</p>
    <h1>${params.touchpoint ? "Touchpoint" : "Stage"}: ${name}</h1>
    <${Filters} value=${filters} onChange=${(next) => go("drill", { ...next, ...about, interval })} />
    <section aria-label="Trend">
      <h2>Trend by ${interval}${filters.from ? "" : interval === "day" ? ", last 60 days" : ", last 26 weeks"}
        <button type="button" class="link" onClick=${() => go("drill", { ...filters, ...about, interval: interval === "day" ? "week" : "day" })}>
          show by ${interval === "day" ? "week" : "day"}</button></h2>
      <${Loaded} state=${trends} what="Loading the trend">${() => (series.length
        ? html`<${Chart} option=${trendChart} height=${240} label=${`Sentences and net sentiment by ${interval}`} />`
        : html`<p class="notice">No dated sentences here.</p>`)}<//>
    </section>
    <section aria-label="Emotions">
      <h2>Emotions</h2>
      <${Loaded} state=${emotions} what="Loading emotions">${() => (merged
        ? html`<p>${merged.sentences} sentences in ${merged.comments} comments · net ${net(merged.net_sentiment)}
            · ${pct(merged.sentiment.negative_share)} negative, ${pct(merged.sentiment.neutral_share)} neutral</p>
            <${Chart} option=${emotionsOption(merged)} height=${220} label="Mean probability of the strongest emotions" />`
        : html`<p class="notice">No scored sentences here.</p>`)}<//>
    </section>
    <section aria-label="Comments">
      <h2>Comments</h2>
      <${CommentList} params=${{ ...f, ...about }} />
    </section>`;
}
