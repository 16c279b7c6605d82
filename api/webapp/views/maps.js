// Journey maps (admin): the versions with their re-assignment progress, and an editor that uploads or edits a
// map; the service's validation errors are shown at the field they name.
import { html, useEffect, useState } from "../preact.js";
import { api } from "../api.js";
import { ErrorBox, Loaded, Progress, useApi, when } from "../components.js";

const copy = (value) => JSON.parse(JSON.stringify(value));

function Field({ label, path, value, errors, onChange, multiline = false, required = false }) {
  const key = path.join(".");
  const error = errors[key];
  const id = `f-${key}`;
  const input = multiline
    ? html`<textarea id=${id} name=${key} value=${value || ""} aria-invalid=${!!error} aria-describedby=${error ? `${id}-err` : undefined}
        onInput=${(e) => onChange(path, e.target.value)} rows="2"></textarea>`
    : html`<input id=${id} name=${key} value=${value || ""} required=${required} aria-invalid=${!!error}
        aria-describedby=${error ? `${id}-err` : undefined} onInput=${(e) => onChange(path, e.target.value)} />`;
  return html`<div class=${`field${error ? " invalid" : ""}`}><label for=${id}>${label}</label>${input}
    ${error ? html`<span class="field-error" id=${`${id}-err`} role="alert">${error}</span>` : null}</div>`;
}

function set(definition, path, value) {
  const next = copy(definition);
  let at = next;
  for (const p of path.slice(0, -1)) at = at[p];
  at[path[path.length - 1]] = value;
  return next;
}

function Editor({ initial, onSaved }) {
  const [definition, setDefinition] = useState(copy(initial));
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  useEffect(() => setDefinition(copy(initial)), [initial]);
  const change = (path, value) => setDefinition((d) => set(d, path, value));
  const changeExamples = (path, text) => setDefinition((d) => set(d, path, text.split("\n").filter((l) => l.trim())));
  const f = (label, path, opts = {}) => html`<${Field} label=${label} path=${path} errors=${errors} onChange=${change}
    value=${path.reduce((o, p) => (o ? o[p] : undefined), definition)} ...${opts} />`;
  const upload = async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try { setDefinition(JSON.parse(await file.text())); setError(null); } catch (err) {
      setError({ message: `${file.name} is not JSON: ${err.message}` });
    }
  };
  const save = async (e) => {
    e.preventDefault();
    setErrors({}); setError(null); setSaved(null);
    try {
      const version = await api("/v1/journey-maps", { method: "PUT", body: definition });
      setSaved(version); onSaved();
    } catch (err) {
      setError(err);
      setErrors(Object.fromEntries(err.details.filter((d) => d.field).map((d) => [d.field, d.message])));
    }
  };
  const stages = definition.stages || [];
  const addStage = () => setDefinition((d) => ({ ...d, stages: [...(d.stages || []), { id: "", name: "", touchpoints: [{ id: "", name: "", description: "", examples: [] }] }] }));
  const addTouchpoint = (s) => setDefinition((d) => set(d, ["stages", s, "touchpoints"], [...d.stages[s].touchpoints, { id: "", name: "", description: "", examples: [] }]));
  const remove = (path) => setDefinition((d) => {
    const next = copy(d);
    let at = next;
    for (const p of path.slice(0, -1)) at = at[p];
    at.splice(path[path.length - 1], 1);
    return next;
  });
  return html`<form class="map-editor" onSubmit=${save} aria-label="Edit the journey map" novalidate>
    <p><label>Upload a map (JSON) <input type="file" accept=".json,application/json" onChange=${upload} /></label></p>
    ${f("Map name", ["name"], { required: true })}
    ${f("Description", ["description"], { multiline: true })}
    ${errors.stages ? html`<p class="field-error" role="alert">${errors.stages}</p>` : null}
    ${stages.map((stage, s) => html`<fieldset class="stage-edit"><legend>Stage ${s + 1}</legend>
      ${f("Stage id", ["stages", s, "id"], { required: true })}
      ${f("Stage name", ["stages", s, "name"], { required: true })}
      ${stage.touchpoints.map((t, i) => html`<fieldset class="touchpoint-edit"><legend>Touchpoint ${s + 1}.${i + 1}</legend>
        ${f("Touchpoint id", ["stages", s, "touchpoints", i, "id"], { required: true })}
        ${f("Touchpoint name", ["stages", s, "touchpoints", i, "name"], { required: true })}
        ${f("Description", ["stages", s, "touchpoints", i, "description"], { multiline: true })}
        <${Field} label="Examples (one per line)" path=${["stages", s, "touchpoints", i, "examples"]} errors=${errors} multiline=${true}
          value=${(t.examples || []).join("\n")} onChange=${changeExamples} />
        <button type="button" class="link" onClick=${() => remove(["stages", s, "touchpoints", i])}>Remove touchpoint</button>
      </fieldset>`)}
      <button type="button" onClick=${() => addTouchpoint(s)}>Add a touchpoint</button>
      <button type="button" class="link" onClick=${() => remove(["stages", s])}>Remove stage</button>
    </fieldset>`)}
    <p><button type="button" onClick=${addStage}>Add a stage</button>
      <button type="submit" class="primary">Save as a new version</button></p>
    <${ErrorBox} error=${error} />
    ${saved ? html`<p class="saved" role="status">Saved as version ${saved.id}: stored sentences are being re-assigned.</p>` : null}
  </form>`;
}

export function MapsView() {
  const state = useApi("/v1/journey-maps");
  const running = state.data && state.data.versions.some((v) => ["queued", "pending", "running"].includes(v.reassign_status));
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(state.reload, 2000);
    return () => clearTimeout(timer);
  }, [state.data]);
  return html`<h1>Journey maps</h1>
    <${Loaded} state=${state} what="Loading journey maps">${(list) => html`
      <div class="table-wrap"><table><caption>Versions, newest first</caption>
        <thead><tr><th scope="col">Version</th><th scope="col">Name</th><th scope="col">Made</th><th scope="col">Re-assignment</th></tr></thead>
        <tbody>${list.versions.map((v) => html`<tr data-map=${v.id}><td>${v.id}${v.active ? " (active)" : ""}</td><td>${v.name}</td>
          <td>${when(v.created_at)}</td><td>${v.reassign_job_id
            ? html`<${Progress} job=${{ kind: "re-assignment", status: v.reassign_status, progress: { done: v.reassigned_sentences } }} />`
            : v.reassign_status}</td></tr>`)}</tbody></table></div>
      <h2>Edit the active map</h2>
      ${list.active ? html`<${Editor} initial=${list.active.definition} onSaved=${state.reload} />` : html`<p>No active map.</p>`}`}<//>`;
}
