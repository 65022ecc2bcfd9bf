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
    throw new ApiError(0, null);
  }
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
