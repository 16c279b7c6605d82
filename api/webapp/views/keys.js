// API keys (admin): every key without its secret, a new key shown once, revoking after a confirmation.
import { html, useState } from "../preact.js";
import { api } from "../api.js";
import { ErrorBox, Loaded, useApi, when } from "../components.js";
import { Confirm } from "./models.js";

const SCOPES = { ingest: "push responses", read: "read the views", label: "correct labels", admin: "everything" };

export function KeysView({ me }) {
  const state = useApi("/v1/keys");
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState(["read"]);
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    setError(null); setCreated(null);
    try {
      setCreated(await api("/v1/keys", { method: "POST", body: { name, scopes } }));
      setName(""); state.reload();
    } catch (err) { setError(err); }
  };
  const revoke = async () => {
    const prefix = revoking.prefix;
    setRevoking(null); setError(null);
    try { await api(`/v1/keys/${prefix}`, { method: "DELETE" }); state.reload(); } catch (err) { setError(err); }
  };
  const toggle = (s) => setScopes((list) => (list.includes(s) ? list.filter((x) => x !== s) : [...list, s]));
  return html`<h1>API keys</h1>
    <form class="key-create" onSubmit=${create} aria-label="Make a key">
      <label>Name <input name="name" value=${name} maxlength="200" placeholder="who or what it is for"
        onInput=${(e) => setName(e.target.value)} /></label>
      <fieldset><legend>Scopes</legend>${Object.entries(SCOPES).map(([s, what]) => html`<label>
        <input type="checkbox" name="scope" value=${s} checked=${scopes.includes(s)} onChange=${() => toggle(s)} /> ${s} (${what})</label>`)}</fieldset>
      <button type="submit" class="primary" disabled=${!scopes.length}>Make a key</button>
    </form>
    ${created ? html`<div class="notice new-key" role="status">
      <p>Key <strong>${created.name}</strong> (${created.scopes.join(", ")}). Copy it now: it is shown this once, only its hash is stored.</p>
      <p><input class="secret" readonly value=${created.key} aria-label="The new key" onFocus=${(e) => e.target.select()} /></p>
    </div>` : null}
    <${ErrorBox} error=${error} />
    <${Loaded} state=${state} what="Loading keys">${(keys) => html`<div class="table-wrap"><table>
      <caption>Keys, oldest first</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Made</th><th scope="col">State</th><th scope="col"></th></tr></thead>
      <tbody>${keys.map((k) => html`<tr data-key=${k.prefix}>
        <td>${k.name}${k.prefix === me.prefix ? " (this session)" : ""}</td><td><code>${k.prefix}</code></td><td>${k.scopes.join(", ")}</td>
        <td>${when(k.created_at)}</td><td>${k.revoked_at ? `revoked ${when(k.revoked_at)}` : "active"}</td>
        <td>${k.revoked_at ? null : html`<button type="button" onClick=${() => setRevoking(k)}>Revoke…</button>`}</td>
      </tr>`)}</tbody></table></div>`}<//>
    <${Confirm} open=${!!revoking} title="Revoke" onConfirm=${revoke} onCancel=${() => setRevoking(null)}>
      <p>${revoking ? `Revoke ${revoking.name} (${revoking.prefix})? Every request with it is refused from now on.${revoking.prefix === me.prefix ? " It is the key of this session: you will be signed out." : ""}` : ""}</p>
    <//>`;
}
