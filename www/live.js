// What keeps a view current without a reload, and says when it cannot:
// a poll of one API path asked again with the ETag of its last answer (a
// 304 costs no body and changes nothing here), paused while the tab is
// hidden, slower after each failure; and the banner that says the service
// cannot be reached, shown while any call fails for want of it and gone
// with the first answer. It imports no view and not app.js.
import { t } from './i18n.js';
import { conditional, onReach, ApiError } from './api.js';
import { failed } from './ui.js';

const $ = (id) => document.getElementById(id);
export const EVERY_MS = 5000;
const BACKOFF_MAX_MS = 60000;

// ---- the service cannot be reached --------------------------------------

let down = false;
const backOnline = new Set();

function reachable(ok) {
  if (down === !ok) return;
  down = !ok;
  const el = $('offline');
  if (down) $('offline-text').textContent = t('offline');
  el.hidden = !down;
}
onReach(reachable);
addEventListener('offline', () => reachable(false));
// the banner goes with the first answer, not with the browser's word:
// the views ask again at once, and a view that polls nothing has the
// daemon's /healthz asked
addEventListener('online', () => {
  for (const fn of backOnline) fn();
  if (!backOnline.size) fetch('/healthz', { cache: 'no-store' }).then((r) => reachable(r.ok), () => {});
});
if (navigator.onLine === false) reachable(false);

export const isDown = () => down;

// fn runs as soon as the browser is online again; the returned function
// stops that
export function onOnline(fn) {
  backOnline.add(fn);
  return () => backOnline.delete(fn);
}

// ---- polls ----------------------------------------------------------------

// Asks path (a string, or a function that makes it) every `every` ms
// while the tab is shown, and calls show(data, changed): with the new
// answer after a 200, with the last one after a 304. A failure waits
// twice as long each time, at most a minute; a 401 signs out (ui.js).
// Returns { now(): ask at once, stop() }.
export function poll(path, show, every = EVERY_MS) {
  let etag = null, last = null, timer = null, errors = 0;
  let busy = false, again = false, stopped = false;

  async function ask() {
    clearTimeout(timer);
    timer = null;
    if (stopped || document.hidden) return;
    if (busy) {
      again = true; // an answer on its way may predate what asked now
      return;
    }
    busy = true;
    let wait = every;
    try {
      const r = await conditional(typeof path === 'function' ? path() : path, etag);
      errors = 0;
      if (r.status !== 304) {
        etag = r.etag;
        last = r.data;
      }
      if (!stopped && last) show(last, r.status !== 304);
    } catch (err) {
      errors++;
      wait = Math.min(BACKOFF_MAX_MS, every * 2 ** errors);
      if (!(err instanceof ApiError && (err.status === 0 || err.status === 503))) failed(err);
      if (err instanceof ApiError && err.status === 401) stopped = true;
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      wait = 0;
    }
    if (!stopped && !document.hidden) timer = setTimeout(ask, wait);
  }

  const visibility = () => (document.hidden ? (clearTimeout(timer), (timer = null)) : ask());
  document.addEventListener('visibilitychange', visibility);
  const offOnline = onOnline(ask);
  ask();
  return {
    now: ask,
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visibility);
      offOnline();
    },
  };
}
