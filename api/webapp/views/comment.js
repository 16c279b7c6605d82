// One comment with all its sentences, their scores and touchpoints; label-scope keys correct them in place.
import { html } from "../preact.js";
import { Loaded, scoresText, statusText, useApi, useMap, when } from "../components.js";
import { CorrectForm } from "../labels.js";

export function CommentView({ params, me }) {
  const state = useApi(params.id ? `/v1/responses/${encodeURIComponent(params.id)}` : null);
  const map = useMap();
  const canLabel = me.can.includes("label");
  return html`<p class="crumbs"><button type="button" class="link" onClick=${() => history.back()}>← Back</button></p>
    <${Loaded} state=${state} what="Loading the comment">${(r) => {
      const labels = Object.fromEntries((r.labels || []).map((l) => [l.sentence_index === null ? "all" : l.sentence_index, l]));
      const a = r.analysis;
      return html`
        <h1>Comment ${r.id}</h1>
        <blockquote class="full-text">${r.text}</blockquote>
        <dl class="meta-grid">
          <dt>Source</dt><dd>${r.source} (${r.external_id})</dd>
          <dt>When</dt><dd>${when(r.submitted_at || r.received_at)}</dd>
          <dt>Persona</dt><dd>${r.persona || "–"}</dd>
          <dt>Account</dt><dd>${r.account_id ? html`<a href=${`#/account?id=${encodeURIComponent(r.account_id)}`}>${r.account_id}</a>` : "–"}${r.contact_id ? ` / ${r.contact_id}` : ""}</dd>
          <dt>Sentiment</dt><dd>${r.sentiment || statusText(r)}${a && a.sentiment ? ` (${scoresText(a)})` : ""}</dd>
          <dt>Emotions</dt><dd>${a && a.top_emotions && a.top_emotions.length ? a.top_emotions.join(", ") : "–"}</dd>
        </dl>
        ${!a ? html`<p class="notice">Not scored yet (${r.status}).</p>` : html`
          <h2>Sentences</h2>
          <ol class="sentences">${a.sentences.map((s, i) => html`<li data-sentence=${i}>
            <p><mark class=${`mark-${s.sentiment ? s.sentiment.label : "none"}`}>${s.text}</mark></p>
            <p class="meta">${s.sentiment ? `${s.sentiment.label} (${scoresText(s)})` : "not scored"}
              · touchpoint ${s.touchpoint ? `${map ? map.names[s.touchpoint] || s.touchpoint : s.touchpoint} (${(s.touchpoint_score || 0).toFixed(2)})` : "none"}
              · ${(s.top_emotions || []).join(", ") || "no emotion"}
              ${labels[i] ? html` · <strong>labelled</strong>: ${[labels[i].sentiment, labels[i].touchpoint, (labels[i].emotions || []).join("+")].filter(Boolean).join(", ")}` : null}</p>
            ${canLabel && map ? html`<${CorrectForm} responseId=${r.id} index=${i} touchpoints=${map.touchpoints}
              current=${{ sentiment: labels[i]?.sentiment || s.sentiment?.label, touchpoint: labels[i]?.touchpoint || s.touchpoint, emotions: labels[i]?.emotions || s.top_emotions || [] }}
              onSaved=${state.reload} />` : null}
          </li>`)}</ol>
          ${canLabel && map ? html`<h2>The whole comment</h2>
            <${CorrectForm} responseId=${r.id} index=${null} touchpoints=${map.touchpoints}
              current=${{ sentiment: labels.all?.sentiment || a.sentiment?.label, touchpoint: labels.all?.touchpoint || a.primary_touchpoint?.touchpoint, emotions: labels.all?.emotions || a.top_emotions || [] }}
              onSaved=${state.reload} />` : null}`}`;
    }}<//>`;
}
