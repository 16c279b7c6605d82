// B2B accounts by health. An account is only as good as its worst contact: the page names that contact, shows
// their comments, and says whether a contact may be asked for a review now.
import { html, useState } from "../preact.js";
import { api, qs } from "../api.js";
import { ErrorBox, Filters, Loaded, apiFilters, net, pct, useApi, when } from "../components.js";
import { filtersOf, go } from "../main.js";
import { CommentList } from "./drill.js";

const PAGE = 50;  // accounts per page: a portfolio of thousands stays out of the page until asked for
const STATUS_TEXT = { at_risk: "at risk", quiet_risk: "quiet risk", mixed: "mixed", healthy: "healthy" };

export function AccountsView({ params }) {
  const filters = filtersOf(params);
  const limit = Number(params.limit) || PAGE;
  const state = useApi(`/v1/accounts${qs({ ...apiFilters(filters), status: params.status, limit })}`);
  return html`<h1>Accounts</h1>
    <p class="lede">Worst first. An account is as good as its worst contact: <em>at risk</em> when a contact is negative,
      <em>quiet risk</em> when a contact is mostly neutral where the journey map expects delight.</p>
    <${Filters} value=${filters} onChange=${(f) => go("accounts", { ...f, status: params.status })} />
    <label>Status <select name="status" value=${params.status || ""} onChange=${(e) => go("accounts", { ...filters, status: e.target.value })}>
      <option value="">all</option>${Object.entries(STATUS_TEXT).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
    </select></label>
    <${Loaded} state=${state} what="Loading accounts">${(report) => (report.accounts.length ? html`
      <div class="table-wrap"><table class="accounts">
        <caption>Accounts from ${report.date_from.slice(0, 10)} to ${report.date_to.slice(0, 10)}</caption>
        <thead><tr><th scope="col">Account</th><th scope="col">Status</th><th scope="col">Contacts at risk</th>
          <th scope="col">Quiet risk</th><th scope="col">Sentences</th><th scope="col">Worst contact</th></tr></thead>
        <tbody>${report.accounts.map((a) => html`<tr data-account=${a.account_id}>
          <td><a href=${`#/account${qs({ ...filters, id: a.account_id })}`}>${a.account_id}</a></td>
          <td><span class=${`status status-${a.status}`}>${STATUS_TEXT[a.status] || a.status}</span></td>
          <td>${a.at_risk_contacts}</td><td>${a.quiet_risk_contacts}</td><td>${a.sentences}</td>
          <td>${a.contacts.length ? `${a.contacts[0].contact_id} (net ${net(a.contacts[0].net_sentiment)})` : "–"}</td>
        </tr>`)}</tbody></table></div>
      <p>${report.accounts.length} of ${report.total} accounts, worst first.
        ${report.total > report.accounts.length ? html` <button type="button"
          onClick=${() => go("accounts", { ...filters, status: params.status, limit: limit + PAGE })}>Show ${PAGE} more</button>` : null}</p>`
      : html`<p class="notice">No account has comments in this period.</p>`)}<//>`;
}

function Eligibility({ account, contact }) {
  const [state, setState] = useState(null);
  const ask = () => api(`/v1/accounts/${encodeURIComponent(account)}/contacts/${encodeURIComponent(contact)}/review-eligibility`)
    .then((data) => setState({ data }), (error) => setState({ error }));
  if (!state) return html`<button type="button" onClick=${ask}>May we ask for a review?</button>`;
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  return html`<div class=${state.data.eligible ? "eligible" : "not-eligible"} role="status">
    <strong>${state.data.eligible ? "Yes, ask now" : "Not now"}</strong>
    <ul>${state.data.reasons.map((r) => html`<li>${r}</li>`)}</ul></div>`;
}

export function AccountView({ params }) {
  const filters = filtersOf(params);
  const state = useApi(params.id ? `/v1/accounts/${encodeURIComponent(params.id)}${qs(apiFilters(filters))}` : null);
  const [open, setOpen] = useState(null);
  return html`<p class="crumbs"><a href=${`#/accounts${qs(filters)}`}>Accounts</a></p>
    <${Loaded} state=${state} what="Loading the account">${(a) => html`
      <h1>Account ${a.account_id} <span class=${`status status-${a.status}`}>${STATUS_TEXT[a.status] || a.status}</span></h1>
      <p class="why">${a.status === "at_risk"
        ? html`At risk because of <strong>${a.worst_contact_id}</strong>, net ${net(a.worst_contact_net_sentiment)}: the account is as good as its worst contact.`
        : html`${a.comments} comments, net ${net(a.net_sentiment)}; worst contact ${a.worst_contact_id || "–"} (net ${net(a.worst_contact_net_sentiment)}).`}</p>
      <div class="table-wrap"><table>
        <caption>Contacts, worst first</caption>
        <thead><tr><th scope="col">Contact</th><th scope="col">Status</th><th scope="col">Comments</th><th scope="col">Net</th>
          <th scope="col">Negative</th><th scope="col">Last comment</th><th scope="col">Review</th></tr></thead>
        <tbody>${a.contacts.map((c) => html`<tr data-contact=${c.contact_id}>
          <td><button type="button" class="link" aria-expanded=${open === c.contact_id}
            onClick=${() => setOpen(open === c.contact_id ? null : c.contact_id)}>${c.contact_id}</button></td>
          <td><span class=${`status status-${c.status}`}>${STATUS_TEXT[c.status] || c.status}</span></td>
          <td>${c.comments}</td><td>${net(c.net_sentiment)}</td><td>${pct(c.negative_share)}</td><td>${when(c.last_occurred_at)}</td>
          <td><${Eligibility} account=${a.account_id} contact=${c.contact_id} /></td>
        </tr>`)}</tbody></table></div>
      <h2>${open ? `Comments of ${open}` : `Comments of ${a.worst_contact_id || "the account"}`}</h2>
      <${CommentList} params=${{ ...apiFilters(filters), account_id: a.account_id, contact_id: open || a.worst_contact_id || undefined }} />`}<//>`;
}
