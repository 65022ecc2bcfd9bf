// The API of the daemon that served this page, with the token kept for
// this tab only (sessionStorage). Failures become ApiError with the
// API's code, field and message.
const KEY = 'callbackd.token';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || null;
  }
}

// told of every call whether the service answered (false: no answer, or 503)
let reach = () => {};
export function onReach(fn) {
  reach = fn;
}

export const token = () => sessionStorage.getItem(KEY);
export const setToken = (tok) => (tok ? sessionStorage.setItem(KEY, tok) : sessionStorage.removeItem(KEY));

export async function api(method, path, body, options = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), ...options,
    });
  } catch {
    reach(false);
    throw new ApiError(0, null);
  }
  reach(res.status !== 503);
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  if (!type.startsWith('application/json')) {
    if (!res.ok) throw new ApiError(res.status, null);
    return res.blob();
  }
  const data = await res.json();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Saves what a GET answers (CSV) as a file, with the token in the header.
export async function download(path, name) {
  const blob = await api('GET', path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// A GET asked again with the ETag of its last answer: { status: 304 }
// while that is unchanged, else { status, etag, data }. The tag is sent
// by hand, so the browser's cache stays out of it and a 304 reaches here.
export async function conditional(path, etag) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (etag) headers['If-None-Match'] = etag;
  let res;
  try {
    res = await fetch(path, { headers, cache: 'no-store' });
  } catch {
    reach(false);
    throw new ApiError(0, null);
  }
  reach(res.status !== 503);
  if (res.status === 304) return { status: 304, etag };
  const json = (res.headers.get('Content-Type') || '').startsWith('application/json');
  const data = json ? await res.json() : null;
  if (!res.ok || !json) throw new ApiError(res.status, data);
  return { status: res.status, etag: res.headers.get('ETag'), data };
}
