// Shared pieces: data loading, charts (ECharts), filters, figures.
import { html, useEffect, useMemo, useRef, useState } from "./preact.js";
import { api, qs } from "./api.js";

export const SENTIMENT_COLORS = { negative: "#c0392b", neutral: "#8c8c8c", positive: "#1e8449" };
export const MOMENT_TEXT = {
  positive: "positive moment", negative: "negative moment", neutral: "neutral: a risk", mixed: "mixed",
};

// GET `path` whenever it changes; {data, error, loading, reload}. A newer path wins over an older answer.
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: !!path });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) { setState({ data: null, error: null, loading: false }); return undefined; }
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    api(path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [path, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Loading({ what = "Loading" }) {
  return html`<p class="loading" role="status">${what}…</p>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <strong>${error.status ? `Error ${error.status}: ` : ""}</strong>${error.message}
    ${error.details && error.details.length
      ? html`<ul>${error.details.map((d) => html`<li><code>${d.field || ""}</code> ${d.message}</li>`)}</ul>` : null}
  </div>`;
}

export function Loaded({ state, children, what }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  // While a reload runs the last answer stays on screen (a form keeps its state); only a first load waits.
  if (!state.data) return html`<${Loading} what=${what} />`;
  return children(state.data);
}

// An ECharts chart; `label` is read to screen readers, the chart's own aria describes the data.
export function Chart({ option, height = 280, label, onClick }) {
  const ref = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    chart.current = window.echarts.init(ref.current, null, { renderer: "canvas" });
    const resize = () => chart.current && chart.current.resize();
    window.addEventListener("resize", resize);
    return () => { window.removeEventListener("resize", resize); chart.current.dispose(); chart.current = null; };
  }, []);
  useEffect(() => {
    chart.current.setOption({ aria: { enabled: true }, animation: false, ...option }, true);
    chart.current.off("click");
    if (onClick) chart.current.on("click", onClick);
  }, [option, onClick]);
  return html`<div class="chart" ref=${ref} role="img" aria-label=${label} style=${`height:${height}px`}></div>`;
}

export function SentimentBar({ sentiment }) {
  const shares = ["negative", "neutral", "positive"].map((k) => [k, sentiment[`${k}_share`] || 0]);
  const text = shares.map(([k, v]) => `${Math.round(v * 100)}% ${k}`).join(", ");
  return html`<span class="split" title=${text} aria-label=${text}>
    ${shares.map(([k, v]) => html`<span class=${`split-${k}`} style=${`width:${(v * 100).toFixed(1)}%`}></span>`)}
  </span>`;
}

export function net(value) {
  if (value === null || value === undefined) return "–";
  return `${value > 0 ? "+" : ""}${Math.round(value)}`;
}

export function pct(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

export function MomentBadge({ point }) {
  if (!point.sentences) return html`<span class="badge badge-none">no sentences</span>`;
  if (!point.defining_moment) return html`<span class="badge badge-few" title="fewer than 5 sentences">too few to judge</span>`;
  return html`<span class=${`badge badge-${point.defining_moment}`}>${MOMENT_TEXT[point.defining_moment]}</span>`;
}

// The filters every view takes, kept in the URL's hash (never the key). `value` is {from, to, source, ...}.
export const FILTER_NAMES = ["from", "to", "source", "channel", "segment", "persona"];

export function apiFilters(f) {
  return {
    date_from: f.from ? `${f.from}T00:00:00Z` : "",
    date_to: f.to ? nextDay(f.to) : "",
    source: f.source, channel: f.channel, persona: f.persona,
    segment: f.segment ? f.segment.split(",").map((s) => s.trim()).filter(Boolean) : [],
  };
}

function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace(".000Z", "Z");
}

// The values a filter offers (sources, channels, personas), asked once a minute at most: every view's filter
// bar and the persona comparison want the same lists.
const GROUP_VALUES = new Map();
const GROUP_VALUES_MS = 60_000;

function groupValues(group) {
  const cached = GROUP_VALUES.get(group);
  if (cached && Date.now() - cached.at < GROUP_VALUES_MS) return cached.values;
  const values = api(`/v1/emotions${qs({ group_by: group })}`).then(
    (report) => report.groups.map((g) => g.key[group]).filter((v) => v !== null).sort(),
    (error) => { GROUP_VALUES.delete(group); throw error; },
  );
  GROUP_VALUES.set(group, { at: Date.now(), values });
  return values;
}

function useGroups(group) {
  const [values, setValues] = useState([]);
  useEffect(() => {
    let live = true;
    groupValues(group).then((v) => live && setValues(v), () => live && setValues([]));
    return () => { live = false; };
  }, [group]);
  return values;
}

export function Filters({ value, onChange, persona = true }) {
  const sources = useGroups("source");
  const channels = useGroups("channel");
  const personas = useGroups("persona");
  const set = (name) => (e) => onChange({ ...value, [name]: e.target.value });
  const select = (name, label, options) => html`<label>${label}
    <select name=${name} value=${value[name] || ""} onChange=${set(name)}>
      <option value="">all</option>
      ${options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select></label>`;
  return html`<form class="filters" aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
    <label>From <input type="date" name="from" value=${value.from || ""} onChange=${set("from")} /></label>
    <label>To <input type="date" name="to" value=${value.to || ""} onChange=${set("to")} /></label>
    ${select("source", "Source", sources)}
    ${select("channel", "Channel", channels)}
    <label>Segment <input name="segment" placeholder="region:EMEA" value=${value.segment || ""}
      onChange=${set("segment")} /></label>
    ${persona ? select("persona", "Persona", personas) : null}
    ${FILTER_NAMES.some((n) => value[n])
      ? html`<button type="button" class="link" onClick=${() => onChange({})}>Clear filters</button>` : null}
  </form>`;
}

export function usePersonas() {
  return useGroups("persona");
}

export function Progress({ job }) {
  if (!job) return null;
  const p = job.progress || {};
  const percent = p.percent === null || p.percent === undefined ? null : p.percent;
  return html`<span class="progress">
    <progress max="100" value=${percent === null ? undefined : percent} aria-label=${`${job.kind} progress`}></progress>
    ${job.status}${percent === null ? "" : ` ${percent}%`}${p.total ? ` (${p.done} of ${p.total})` : ""}
  </span>`;
}

export function when(iso) {
  if (!iso) return "–";
  return iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
}

// The active journey map's definition: stage and touchpoint names by id, touchpoints in map order.
export function useMap() {
  const state = useApi("/v1/journey-maps");
  return useMemo(() => {
    if (!state.data) return null;
    const definition = state.data.active.definition;
    const names = {};
    const touchpoints = [];
    for (const stage of definition.stages) {
      names[stage.id] = stage.name;
      for (const t of stage.touchpoints) {
        names[t.id] = t.name;
        touchpoints.push({ ...t, stage: stage.id, stage_name: stage.name });
      }
    }
    return { definition, names, touchpoints, stageOf: Object.fromEntries(touchpoints.map((t) => [t.id, t.stage])) };
  }, [state.data]);
}

// `text` with each of `sentences` (by their text) wrapped in <mark>; sentences not found are left out here.
export function Highlighted({ text, sentences }) {
  const parts = [];
  let at = 0;
  const found = sentences
    .map((s) => ({ s, start: text.indexOf(s.text) }))
    .filter((x) => x.start >= 0)
    .sort((a, b) => a.start - b.start);
  for (const { s, start } of found) {
    if (start < at) continue;
    parts.push(text.slice(at, start));
    parts.push(html`<mark class=${`mark-${s.sentiment}`} title=${scoresText(s)}>${s.text}</mark>`);
    at = start + s.text.length;
  }
  parts.push(text.slice(at));
  return html`<span>${parts}</span>`;
}

export function scoresText(s) {
  const scores = s.scores || (s.sentiment && s.sentiment.scores) || {};
  return Object.entries(scores).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
}

// A response without a sentiment: still queued or failed, or scored but not read (the models read English).
export function statusText(r) {
  if (r.status === "done") return `not scored${r.language ? ` (language ${r.language})` : ""}`;
  return r.status;
}
