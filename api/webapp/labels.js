// Correcting labels in place: sentiment, emotions and touchpoint (or "none of these") of a sentence or a
// whole comment, stored as a label with who and when (PUT .../labels).
import { html, useState } from "./preact.js";
import { api } from "./api.js";
import { ErrorBox } from "./components.js";

export const SENTIMENTS = ["negative", "neutral", "positive"];
export const EMOTIONS = [
  "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
  "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief", "joy",
  "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
];
export const NONE = "none";

export function labelUrl(responseId, index) {
  return index === null || index === undefined
    ? `/v1/responses/${responseId}/labels`
    : `/v1/responses/${responseId}/sentences/${index}/labels`;
}

// A form for one target; `current` is what the model (or an earlier label) says now.
export function CorrectForm({ responseId, index, current, touchpoints, onSaved }) {
  const [sentiment, setSentiment] = useState(current.sentiment || "");
  const [touchpoint, setTouchpoint] = useState(current.touchpoint || "");
  const [emotions, setEmotions] = useState(current.emotions || []);
  const [emotionsTouched, setEmotionsTouched] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const id = `r${responseId}-${index === null || index === undefined ? "all" : index}`;
  const submit = async (e) => {
    e.preventDefault();
    const body = {};
    if (sentiment && sentiment !== current.sentiment) body.sentiment = sentiment;
    if (touchpoint && touchpoint !== (current.touchpoint || "")) body.touchpoint = touchpoint;
    if (emotionsTouched) body.emotions = emotions.length ? emotions : ["neutral"];
    if (!Object.keys(body).length) { setError({ message: "Nothing changed: pick a different value first." }); return; }
    setError(null);
    try {
      const label = await api(labelUrl(responseId, index), { method: "PUT", body });
      setSaved(label);
      if (onSaved) onSaved(label);
    } catch (err) { setError(err); }
  };
  const toggle = (label) => {
    setEmotionsTouched(true);
    setEmotions((list) => (list.includes(label) ? list.filter((l) => l !== label) : [...list, label]));
  };
  return html`<form class="correct" onSubmit=${submit} aria-label=${`Correct ${index === null || index === undefined ? "the comment" : `sentence ${index + 1}`}`}>
    <label>Sentiment <select name="sentiment" id=${`${id}-sentiment`} value=${sentiment} onChange=${(e) => setSentiment(e.target.value)}>
      ${!current.sentiment ? html`<option value="">–</option>` : null}
      ${SENTIMENTS.map((s) => html`<option value=${s}>${s}</option>`)}
    </select></label>
    <label>Touchpoint <select name="touchpoint" value=${touchpoint} onChange=${(e) => setTouchpoint(e.target.value)}>
      <option value="">${current.touchpoint ? "–" : "(unassigned)"}</option>
      ${touchpoints.map((t) => html`<option value=${t.id}>${t.stage_name}: ${t.name}</option>`)}
      <option value=${NONE}>none of these</option>
    </select></label>
    <details><summary>Emotions (${emotions.join(", ") || "none"})</summary>
      <div class="emotion-grid">${EMOTIONS.map((label) => html`<label><input type="checkbox" name="emotion" value=${label}
        checked=${emotions.includes(label)} onChange=${() => toggle(label)} /> ${label}</label>`)}</div>
    </details>
    <button type="submit">Save label</button>
    ${saved ? html`<span class="saved" role="status">Saved: label ${saved.id} by ${saved.labelled_by}</span>` : null}
    <${ErrorBox} error=${error} />
  </form>`;
}
