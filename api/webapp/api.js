// The API client: every call sends the signed-in key as X-API-Key. The key lives in sessionStorage only
// (gone when the tab closes), never in a URL, a cookie or a log line.
const STORE = "vocengine.key";

export const session = {
  key: () => sessionStorage.getItem(STORE),
  save: (key) => sessionStorage.setItem(STORE, key),
  clear: () => sessionStorage.removeItem(STORE),
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error ? body.error : null;
    super(error ? error.message : `The service answered ${status}`);
    this.status = status;
    this.details = error && error.details ? error.details : [];
  }
}

export async function api(path, { method = "GET", body, key } = {}) {
  const headers = { Accept: "application/json", "X-API-Key": key || session.key() || "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let reply;
  try {
    reply = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, { error: { message: "The service cannot be reached: is vocengine serve running?" } });
  }
  const text = await reply.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (reply.status === 401 && !key) window.dispatchEvent(new CustomEvent("vocengine:signed-out"));
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

// A query string from `params`, leaving out empty values; arrays repeat the name (segment=a:b&segment=c:d).
export function qs(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) if (v !== "") search.append(name, v);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
