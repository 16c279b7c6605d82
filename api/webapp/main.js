// The vocengine web app: sign in with an API key, then the views the key's scopes allow.
import { html, render, useEffect, useState } from "./preact.js";
import { api, session } from "./api.js";
import { ErrorBox, FILTER_NAMES } from "./components.js";
import { JourneyView } from "./views/journey.js";
import { DrillView } from "./views/drill.js";
import { CommentView } from "./views/comment.js";
import { MomentsView } from "./views/moments.js";
import { TrendsView } from "./views/trends.js";
import { AccountsView, AccountView } from "./views/accounts.js";
import { QueueView } from "./views/queue.js";
import { ModelsView } from "./views/models.js";
import { MapsView } from "./views/maps.js";
import { KeysView } from "./views/keys.js";

// path → [title, scope it needs, view, in the navigation]
const ROUTES = {
  journey: ["Journey map", "read", JourneyView, true],
  moments: ["Moments", "read", MomentsView, true],
  trends: ["Trends", "read", TrendsView, true],
  accounts: ["Accounts", "read", AccountsView, true],
  queue: ["Label queue", "label", QueueView, true],
  models: ["Models", "admin", ModelsView, true],
  maps: ["Journey maps", "admin", MapsView, true],
  keys: ["API keys", "admin", KeysView, true],
  drill: ["Drill-down", "read", DrillView, false],
  comment: ["Comment", "read", CommentView, false],
  account: ["Account", "read", AccountView, false],
};

function parseHash() {
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const params = Object.fromEntries(new URLSearchParams(search || ""));
  return { path: ROUTES[path] ? path : "journey", params };
}

export function go(path, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== "")).toString();
  location.hash = `#/${path}${search ? `?${search}` : ""}`;
}

// The filters of the current route, to carry from one view to the next.
export function filtersOf(params) {
  return Object.fromEntries(FILTER_NAMES.filter((n) => params[n]).map((n) => [n, params[n]]));
}

function SignIn({ onSignedIn, reason }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api("/v1/keys/me", { key: key.trim() });
      session.save(key.trim());
      onSignedIn(me);
    } catch (err) {
      setError(err.status === 401 ? { message: "That key was refused: it is not valid or was revoked." } : err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>vocengine</h1>
    <p>Sign in with an API key. <code>vocengine keys create --scope read</code> makes one; <code>make serve</code>
      shows the first admin key on its terminal.</p>
    ${reason ? html`<p class="notice" role="status">${reason}</p>` : null}
    <form onSubmit=${submit}>
      <label for="key">API key</label>
      <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required
        value=${key} onInput=${(e) => setKey(e.target.value)} />
      <button type="submit" disabled=${busy || !key.trim()}>Sign in</button>
    </form>
    <${ErrorBox} error=${error} />
  </main>`;
}

function App() {
  const [me, setMe] = useState(null);
  const [checking, setChecking] = useState(!!session.key());
  const [reason, setReason] = useState(null);
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    const onSignedOut = () => { session.clear(); setMe(null); setReason("The key was refused; sign in again."); };
    window.addEventListener("hashchange", onHash);
    window.addEventListener("vocengine:signed-out", onSignedOut);
    if (session.key()) {
      api("/v1/keys/me").then(setMe, () => session.clear()).finally(() => setChecking(false));
    }
    return () => {
      window.removeEventListener("hashchange", onHash);
      window.removeEventListener("vocengine:signed-out", onSignedOut);
    };
  }, []);
  useEffect(() => {
    const [title] = ROUTES[route.path];
    document.title = `${title} · vocengine`;
  }, [route.path]);
  if (checking) return html`<p class="loading">Signing in…</p>`;
  if (!me) return html`<${SignIn} reason=${reason} onSignedIn=${(m) => { setReason(null); setMe(m); }} />`;
  const [title, scope, View] = ROUTES[route.path];
  const allowed = me.can.includes(scope);
  const signOut = () => { session.clear(); setMe(null); };
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">vocengine</span>
      <nav aria-label="Views">
        ${Object.entries(ROUTES).filter(([, r]) => r[3] && me.can.includes(r[1])).map(([path, [name]]) => html`
          <a href=${`#/${path}`} aria-current=${route.path === path ? "page" : undefined}>${name}</a>`)}
      </nav>
      <span class="who" title=${`scopes: ${me.scopes.join(", ")}`}>${me.name} · ${me.scopes.join(", ")}</span>
      <button type="button" class="link" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">
      ${allowed
        ? html`<${View} params=${route.params} me=${me} key=${route.path} />`
        : html`<h1>${title}</h1><p class="error" role="alert">This key has scopes ${me.scopes.join(", ")}; this page needs ${scope}.</p>`}
    </main>`;
}

render(html`<${App} />`, document.getElementById("app"));
