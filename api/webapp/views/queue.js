// The labelling queue: the sentences the model is least sure of, one at a time, with keyboard shortcuts.
import { html, useEffect, useLayoutEffect, useRef, useState } from "../preact.js";
import { api, qs } from "../api.js";
import { ErrorBox, Loaded, useApi, useMap } from "../components.js";

import { EMOTIONS, NONE, SENTIMENTS } from "../labels.js";

const TASKS = { touchpoint: "Touchpoints", sentiment: "Sentiment", emotion: "Emotions" };

function Counts({ version }) {
  const state = useApi(`/v1/labels/counts?v=${version}`);
  if (!state.data) return null;
  const c = state.data;
  return html`<details class="counts" open>
    <summary>Touchpoint labels in force per touchpoint of ${c.journey_map.name} (of them, held out for the gate)</summary>
    <ul>${c.touchpoints.map((t) => html`<li data-touchpoint=${t.touchpoint}><span>${t.name}</span>
        <strong data-labels>${t.labels}</strong> (${t.holdout})</li>`)}
      <li data-touchpoint=${NONE}><span>none of these</span> <strong data-labels>${c.none.labels}</strong> (${c.none.holdout})</li></ul>
    <p class="meta">All tasks: ${Object.entries(c.tasks).map(([k, v]) => `${k} ${v.labels}`).join(", ")}</p>
  </details>`;
}

function Item({ item, task, map, onDone, onSkip, onBack }) {
  const [touchpoint, setTouchpoint] = useState(item.touchpoint || "");
  const [emotions, setEmotions] = useState([]);
  const [error, setError] = useState(null);
  const first = useRef(null);
  useLayoutEffect(() => { if (first.current) first.current.focus(); }, [item]);
  const save = async (body) => {
    setError(null);
    try { await api(item.label_url, { method: "PUT", body }); onDone(); } catch (err) { setError(err); }
  };
  const saveTouchpoint = (value) => (value ? save({ touchpoint: value }) : setError({ message: "Pick a touchpoint or none of these." }));
  // Layout effect: the new sentence listens from the moment it is drawn, so a fast second key is not lost
  // between one sentence and the next (a plain effect waits for the next frame).
  useLayoutEffect(() => {
    const onKey = (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const typing = e.target.tagName === "INPUT" && e.target.type !== "checkbox";
      if (typing) return;
      const k = e.key.toLowerCase();
      if (k === "s" || k === "arrowright") { e.preventDefault(); onSkip(); return; }
      if (k === "b" || k === "arrowleft") { e.preventDefault(); onBack(); return; }
      if (task === "sentiment" && ["1", "2", "3"].includes(k)) { e.preventDefault(); save({ sentiment: SENTIMENTS[Number(k) - 1] }); }
      if (task === "touchpoint" && k === "0") { e.preventDefault(); save({ touchpoint: NONE }); }
      if (task === "touchpoint" && k === "enter" && e.target.tagName !== "BUTTON") { e.preventDefault(); saveTouchpoint(touchpoint); }
      if (task === "emotion" && k === "enter" && e.target.tagName !== "BUTTON") { e.preventDefault(); save({ emotions: emotions.length ? emotions : ["neutral"] }); }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });
  return html`<article class="queue-item" aria-label="Sentence to label">
    <blockquote class="sentence">${item.text}</blockquote>
    <p class="meta">The model says: ${item.touchpoint ? `${map ? map.names[item.touchpoint] : item.touchpoint}` : "no touchpoint"}
      · ${item.reason} · <a href=${`#/comment?id=${item.response_id}`}>full comment</a></p>
    ${task === "sentiment" ? html`<div class="choices" role="group" aria-label="Sentiment">
      ${SENTIMENTS.map((s, i) => html`<button type="button" ref=${i === 0 ? first : null} class=${`choice sentiment-${s}`}
        onClick=${() => save({ sentiment: s })}><kbd>${i + 1}</kbd> ${s}</button>`)}</div>` : null}
    ${task === "touchpoint" ? html`<div class="choices">
      <label>Touchpoint <select ref=${first} name="touchpoint" value=${touchpoint} onChange=${(e) => setTouchpoint(e.target.value)}>
        <option value="">choose…</option>
        ${(map ? map.touchpoints : []).map((t) => html`<option value=${t.id}>${t.stage_name}: ${t.name}</option>`)}
      </select></label>
      <button type="button" onClick=${() => saveTouchpoint(touchpoint)}><kbd>Enter</kbd> Save</button>
      <button type="button" onClick=${() => save({ touchpoint: NONE })}><kbd>0</kbd> None of these</button></div>` : null}
    ${task === "emotion" ? html`<fieldset class="emotion-grid"><legend>Emotions that apply</legend>
      ${EMOTIONS.map((label, i) => html`<label><input type="checkbox" ref=${i === 0 ? first : null} checked=${emotions.includes(label)}
        onChange=${() => setEmotions((l) => (l.includes(label) ? l.filter((x) => x !== label) : [...l, label]))} /> ${label}</label>`)}
      <button type="button" onClick=${() => save({ emotions: emotions.length ? emotions : ["neutral"] })}><kbd>Enter</kbd> Save</button>
    </fieldset>` : null}
    <p class="nav-keys">
      <button type="button" onClick=${onBack}><kbd>B</kbd> Back</button>
      <button type="button" onClick=${onSkip}><kbd>S</kbd> Skip</button>
    </p>
    <${ErrorBox} error=${error} />
  </article>`;
}

export function QueueView({ params }) {
  const task = TASKS[params.task] ? params.task : "touchpoint";
  const map = useMap();
  const [version, setVersion] = useState(0);
  const state = useApi(`/v1/labels/queue${qs({ task, limit: 50 })}&v=${version}`);
  const [at, setAt] = useState(0);
  const [labelled, setLabelled] = useState(0);
  useEffect(() => setAt(0), [state.data]);
  return html`<h1>Label queue</h1>
    <p class="lede">The sentences the model is least sure of, one at a time. Keys: ${task === "sentiment" ? html`<kbd>1</kbd> <kbd>2</kbd> <kbd>3</kbd> sentiment, ` : null}
      ${task === "touchpoint" ? html`<kbd>Enter</kbd> save the chosen touchpoint, <kbd>0</kbd> none of these, ` : null}
      ${task === "emotion" ? html`<kbd>Space</kbd> tick, <kbd>Enter</kbd> save, ` : null}
      <kbd>S</kbd> skip, <kbd>B</kbd> back.</p>
    <nav class="tabs" aria-label="Task">${Object.entries(TASKS).map(([k, v]) => html`<a href=${`#/queue?task=${k}`}
      aria-current=${k === task ? "page" : undefined}>${v}</a>`)}</nav>
    <p role="status" class="queue-status">${labelled ? `${labelled} labelled in this session. ` : ""}</p>
    <${Loaded} state=${state} what="Loading the queue">${(queue) => {
      if (!queue.items.length) return html`<p class="notice">Nothing to label for ${TASKS[task].toLowerCase()}: every scored sentence is labelled or sure.</p>`;
      if (at >= queue.items.length) {
        return html`<p class="notice">End of this batch.</p><button type="button" onClick=${() => setVersion((v) => v + 1)}>Load the next sentences</button>`;
      }
      return html`<p>Sentence ${at + 1} of ${queue.items.length}</p>
        <${Item} key=${`${task}-${at}`} item=${queue.items[at]} task=${task} map=${map}
          onDone=${() => { setLabelled((n) => n + 1); setAt((i) => i + 1); }}
          onSkip=${() => setAt((i) => i + 1)} onBack=${() => setAt((i) => Math.max(0, i - 1))} />`;
    }}<//>
    ${task === "touchpoint" ? html`<${Counts} version=${labelled} />` : null}`;
}
