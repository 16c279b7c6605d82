// The home page: the journey map, stages in journey order with their touchpoints, the curve of peaks and
// valleys, per persona or personas side by side.
import { html, useMemo } from "../preact.js";
import { qs } from "../api.js";
import {
  Chart, Filters, Loaded, MomentBadge, SENTIMENT_COLORS, SentimentBar, apiFilters, net, useApi, usePersonas,
} from "../components.js";
import { filtersOf, go } from "../main.js";

function curveOption(report) {
  const narrow = window.innerWidth < 700;
  // A stage too thin to judge gets no point on the curve (a gap), not a confident one.
  const judged = (s) => s.sentences > 0 && s.defining_moment !== null;
  const bar = (label) => ({
    name: label, type: "bar", stack: "share", yAxisIndex: 0, barMaxWidth: 42,
    itemStyle: { color: SENTIMENT_COLORS[label], opacity: 0.75 },
    data: report.stages.map((s) => Math.round((s.sentiment[`${label}_share`] || 0) * 100)),
  });
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    // On a narrow screen the stage names slant more and the legend gets a row of its own above the axes.
    grid: { left: 48, right: 48, top: narrow ? 56 : 40, bottom: narrow ? 84 : 56 },
    xAxis: {
      type: "category", data: report.stages.map((s) => s.name),
      axisLabel: { interval: 0, rotate: narrow ? 45 : report.stages.length > 5 ? 20 : 0 },
    },
    yAxis: [
      { type: "value", name: "% of sentences", max: 100, min: 0 },
      { type: "value", name: "net", min: -100, max: 100 },
    ],
    series: [
      bar("negative"), bar("neutral"), bar("positive"),
      {
        name: "net sentiment", type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 10,
        lineStyle: { width: 3, color: "#1f3a93" }, itemStyle: { color: "#1f3a93" },
        label: { show: true, formatter: (p) => (p.value === null ? "" : net(p.value)) },
        data: report.stages.map((s) => (judged(s) ? s.net_sentiment : null)),
      },
    ],
  };
}

function StageCard({ stage, filters, persona }) {
  const drill = (extra) => () => go("drill", { ...filters, ...(persona ? { persona } : {}), ...extra });
  return html`<section class="stage" aria-label=${`Stage ${stage.name}`} data-stage=${stage.id}>
    <h3><button type="button" class="link" onClick=${drill({ stage: stage.id })}>${stage.name}</button></h3>
    <p class="volume"><span data-sentences>${stage.sentences}</span> sentences · ${stage.comments} comments</p>
    ${stage.sentences ? html`<${SentimentBar} sentiment=${stage.sentiment} />` : null}
    <p>net <strong>${stage.defining_moment === null ? "–" : net(stage.net_sentiment)}</strong>
      <${MomentBadge} point=${stage} /></p>
    ${stage.top_emotions.length
      ? html`<p class="emotions">${stage.top_emotions.map((e) => e.label).join(", ")}</p>` : null}
    <ul class="touchpoints">
      ${stage.touchpoints.map((t) => html`<li data-touchpoint=${t.id}>
        <button type="button" class="touchpoint" onClick=${drill({ touchpoint: t.id })}>
          <span class="name">${t.name}</span>
          <span class="figures">${t.sentences} · net ${t.defining_moment === null ? "–" : net(t.net_sentiment)}</span>
          ${t.sentences ? html`<${SentimentBar} sentiment=${t.sentiment} />` : null}
          <${MomentBadge} point=${t} />
          ${t.top_emotions.length ? html`<span class="emotions">${t.top_emotions[0].label}</span>` : null}
        </button>
      </li>`)}
    </ul>
  </section>`;
}

function JourneyMap({ filters, persona }) {
  const path = `/v1/journey${qs({ ...apiFilters(filters), persona: persona || filters.persona })}`;
  const state = useApi(path);
  const option = useMemo(() => (state.data ? curveOption(state.data) : null), [state.data]);
  const onClick = (e) => {
    const stage = state.data.stages[e.dataIndex];
    if (stage) go("drill", { ...filters, ...(persona ? { persona } : {}), stage: stage.id });
  };
  return html`<${Loaded} state=${state} what="Loading the journey">${(report) => html`
    <div class="journey" data-persona=${persona || filters.persona || ""}>
      ${report.stages.every((s) => !s.sentences)
        ? html`<p class="notice">No scored sentences match these filters yet.</p>` : null}
      <${Chart} option=${option} height=${300} onClick=${onClick}
        label=${`Sentiment by stage, ${report.stages.map((s) => `${s.name} net ${net(s.net_sentiment)}`).join("; ")}`} />
      <div class="stages">
        ${report.stages.map((s) => html`<${StageCard} stage=${s} filters=${filters} persona=${persona} />`)}
      </div>
    </div>`}<//>`;
}

export function JourneyView({ params }) {
  const filters = filtersOf(params);
  const personas = usePersonas();
  const compare = params.compare ? params.compare.split(",").filter(Boolean) : [];
  const setFilters = (f) => go("journey", { ...f, compare: params.compare });
  const toggle = (p) => {
    const next = compare.includes(p) ? compare.filter((c) => c !== p) : [...compare, p];
    go("journey", { ...filters, persona: undefined, compare: next.join(",") });
  };
  return html`
    <h1>Journey map</h1>
    <${Filters} value=${filters} onChange=${setFilters} persona=${!compare.length} />
    ${personas.length > 1 ? html`<fieldset class="compare">
      <legend>Compare personas side by side</legend>
      ${personas.map((p) => html`<label><input type="checkbox" name="compare" value=${p}
        checked=${compare.includes(p)} onChange=${() => toggle(p)} /> ${p}</label>`)}
    </fieldset>` : null}
    ${compare.length
      ? html`<div class="side-by-side">${compare.map((p) => html`<section class="persona-map" aria-label=${`Persona ${p}`}>
          <h2>${p}</h2><${JourneyMap} filters=${filters} persona=${p} /></section>`)}</div>`
      : html`<${JourneyMap} filters=${filters} />`}`;
}
