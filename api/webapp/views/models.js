// Models (admin): versions with their gate reports, promote and rollback with a confirmation, rescoring
// progress, and a training run started here that the worker runs as a background job.
import { html, useEffect, useRef, useState } from "../preact.js";
import { api } from "../api.js";
import { ErrorBox, Loaded, Progress, useApi, when } from "../components.js";

const RUNNING = ["queued", "pending", "running"];

// A job that is still running is asked again every 2 s until it ends.
function usePolled(path, isRunning) {
  const state = useApi(path);
  useEffect(() => {
    if (!state.data || !isRunning(state.data)) return undefined;
    const timer = setTimeout(state.reload, 2000);
    return () => clearTimeout(timer);
  }, [state.data]);
  return state;
}

export function Confirm({ open, title, children, onConfirm, onCancel }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`<dialog ref=${ref} onClose=${onCancel} aria-label=${title}>
    <h2>${title}</h2>${children}
    <p class="dialog-buttons"><button type="button" onClick=${onCancel}>Cancel</button>
      <button type="button" class="primary" onClick=${onConfirm}>${title}</button></p>
  </dialog>`;
}

function Figures({ value }) {
  if (!value || typeof value !== "object") return html`<span>${value === null || value === undefined ? "–" : String(value)}</span>`;
  return html`<dl class="figures">${Object.entries(value).map(([k, v]) => html`<dt>${k}</dt><dd>${
    typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(4)) : typeof v === "object" && v !== null ? html`<${Figures} value=${v} />` : String(v)}</dd>`)}</dl>`;
}

function Version({ v, onAction }) {
  const [open, setOpen] = useState(false);
  const detail = useApi(open ? `/v1/models/${encodeURIComponent(v.id)}` : null);
  return html`<li class=${`version version-${v.status}`} data-version=${v.id}>
    <h3>${v.id} <span class=${`status status-${v.status}`}>${v.status}</span></h3>
    <p class="meta">made ${when(v.created_at)}${v.promoted_at ? ` · promoted ${when(v.promoted_at)}` : ""}
      · rests on ${v.labels_used} labels${v.parent_id ? ` · from ${v.parent_id}` : ""}</p>
    ${v.gate ? html`<div class="gate"><h4>Gate: ${v.gate.verdict || v.gate.decision || (v.gate.passed ? "passed" : "not passed")}</h4>
      <${Figures} value=${v.gate} /></div>` : null}
    <details><summary>Metrics</summary><${Figures} value=${v.metrics} /></details>
    <p>
      <button type="button" class="link" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? "Hide" : "Show"} the evaluation report</button>
      ${v.status !== "active" ? html` <button type="button" onClick=${() => onAction("promote", v)}>Promote…</button>` : null}
    </p>
    ${open ? html`<${Loaded} state=${detail} what="Loading the report">${(d) => (d.report
      ? html`<${Figures} value=${d.report} />` : html`<p>No evaluation report (the shipped model).</p>`)}<//>` : null}
  </li>`;
}

// The gate's verdict on a training run: promoted or not, why, and the held-out figures it rests on.
function Verdict({ result }) {
  const decision = result.decision || {};
  return html`<div class="verdict" role="status">
    <h3>Verdict: ${result.promoted ? "promoted" : result.status} (${result.version})</h3>
    <p>Rests on ${result.labels ? `${result.labels.train} training and ${result.labels.holdout} held-out labels` : "–"}.</p>
    <ul>${(decision.reasons || []).map((r) => html`<li>${r}</li>`)}</ul>
    <details><summary>Held-out figures, active model against the candidate</summary>
      <div class="two"><div><h4>Active</h4><${Figures} value=${result.current && result.current.holdout} /></div>
        <div><h4>Candidate</h4><${Figures} value=${result.candidate && result.candidate.holdout} /></div></div></details>
  </div>`;
}

function Training() {
  const jobs = usePolled("/v1/jobs?kind=train&limit=1", (list) => list.length && RUNNING.includes(list[0].status));
  const [error, setError] = useState(null);
  const start = async () => {
    setError(null);
    try { await api("/v1/models/train", { method: "POST", body: {} }); jobs.reload(); } catch (err) { setError(err); }
  };
  const job = jobs.data && jobs.data[0];
  const running = job && RUNNING.includes(job.status);
  return html`<section aria-label="Training"><h2>Training</h2>
    <p>Retrains on the labels stored so far; the gate promotes the new version only if it measurably beats the active one.
      The worker runs it in the background, one run at a time.</p>
    <button type="button" onClick=${start} disabled=${running}>Start a training run</button>
    <${ErrorBox} error=${error} />
    ${job ? html`<div class="job" data-job=${job.id}>Run ${job.id} (${when(job.created_at)}): <${Progress} job=${job} />
      ${job.error ? html`<p class="error">${job.error}</p>` : null}
      ${job.result ? html`<${Verdict} result=${job.result} />` : null}</div>` : null}
  </section>`;
}

export function ModelsView() {
  const state = useApi("/v1/models");
  const rescore = usePolled("/v1/models/rescore", (list) => list.some((j) => RUNNING.includes(j.status)));
  const [pending, setPending] = useState(null);
  const [error, setError] = useState(null);
  const act = async () => {
    const { action, v } = pending;
    setPending(null);
    setError(null);
    try {
      await api(action === "promote" ? `/v1/models/${encodeURIComponent(v.id)}/promote` : "/v1/models/rollback", { method: "POST" });
      state.reload();
      rescore.reload();
    } catch (err) { setError(err); }
  };
  return html`<h1>Models</h1>
    <${ErrorBox} error=${error} />
    <${Loaded} state=${state} what="Loading models">${(list) => html`
      <p>Active: <strong>${list.active ? list.active.id : "none"}</strong>
        ${list.versions.some((v) => v.status === "retired") ? html` <button type="button" onClick=${() => setPending({ action: "rollback" })}>Roll back…</button>` : null}</p>
      <ol class="versions">${list.versions.map((v) => html`<${Version} v=${v} onAction=${(action, version) => setPending({ action, v: version })} />`)}</ol>`}<//>
    <section aria-label="Rescoring"><h2>Rescoring</h2>
      <${Loaded} state=${rescore} what="Loading rescoring">${(list) => (list.length
        ? html`<ul>${list.slice(0, 5).map((j) => html`<li>${j.model_version}: <${Progress} job=${{ ...j, kind: "rescore", progress: { percent: j.percent, done: j.done, total: j.total } }} /></li>`)}</ul>`
        : html`<p>No rescoring yet.</p>`)}<//>
    </section>
    <${Training} />
    <${Confirm} open=${!!pending} title=${pending && pending.action === "promote" ? "Promote" : "Roll back"}
      onConfirm=${act} onCancel=${() => setPending(null)}>
      <p>${pending && pending.action === "promote"
        ? `Promote ${pending.v.id}? It scores every new response from now on, and stored responses are rescored in the background.`
        : "Roll back to the version that was active before? Stored responses are rescored in the background."}</p>
    <//>`;
}
