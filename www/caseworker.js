// The caseworker's view: claim the next call-back, log what came of the
// call, keep the lease alive while the page is open, give it back on
// leaving; their own queue below, in claim order.
import { t, time, left } from './i18n.js';
import { api, token } from './api.js';
import { status, failed, fill } from './ui.js';
import { topicLabel, siteLabel, languageText, phoneLink } from './words.js';

const $ = (id) => document.getElementById(id);
let held = null;      // { callback, lease }
let beat = null, tick = null;
// what is shown, kept to be named anew when the language changes
let attempts = null, queue = [];

// Puts the call-back away; one at a time, so "next" only without one.
function drop() {
  held = null;
  attempts = null;
  clearTimeout(beat);
  clearInterval(tick);
  beat = tick = null;
  $('current').hidden = true;
  $('next').disabled = false;
}

// The lease is gone (lapsed, taken over) or the call-back closed by
// someone else: nothing more to do with it here.
function lost(err) {
  drop();
  if (err.code?.startsWith('lease') || err.code === 'wrong_state') status(t('lease_lost'), true);
  else failed(err);
}

// A heartbeat well before the lease runs out: after a third of what is
// left, at most a minute. While the service is unreachable it tries again
// (ever sooner) until the lease has lapsed, which the answer then says.
function keepAlive() {
  clearTimeout(beat);
  const wait = Math.min(60000, Math.max(1000, (Date.parse(held.lease.until) - Date.now()) / 3));
  beat = setTimeout(async () => {
    const id = held.callback.id;
    try {
      const r = await api('POST', `/v1/callbacks/${id}/heartbeat`, { lease: held.lease.token });
      if (held?.callback.id !== id) return; // logged or given back meanwhile
      held.lease = r.lease;
      keepAlive();
    } catch (err) {
      if (held?.callback.id !== id) return;
      if (err.status === 0 || err.status === 503) {
        failed(err);
        keepAlive();
      } else {
        lost(err);
      }
    }
  }, wait);
}

function countdown() {
  const due = Date.parse(held.callback.due_at);
  const el = $('cb-left');
  el.textContent = left(due - Date.now());
  el.classList.toggle('bad', due < Date.now());
}

// the call-back in hand, in words: grouped number (tel: as stored), labels
function nameCurrent() {
  const cb = held.callback;
  phoneLink(cb.phone, $('cb-phone'));
  $('cb-topic').textContent = topicLabel(cb.topic);
  $('cb-site').textContent = siteLabel(cb.site);
  $('cb-language').replaceChildren(languageText(cb.language));
  if (attempts) {
    const lines = attempts.map((a) => `${time(a.at)}: ${t(a.result)}${a.note ? ` – ${a.note}` : ''}`);
    $('cb-attempts').replaceChildren(...(lines.length ? lines : [t('nothing')])
      .map((text) => Object.assign(document.createElement('li'), { textContent: text })));
  }
}

async function showCurrent() {
  const cb = held.callback;
  attempts = null;
  nameCurrent();
  $('cb-urgent').hidden = !cb.urgent;
  $('cb-name').textContent = cb.name || '';
  $('cb-note').textContent = cb.note || '';
  $('attempt-note').value = '';
  $('later').value = '';
  $('current').hidden = false;
  countdown();
  tick = setInterval(countdown, 1000);
  $('cb-attempts').replaceChildren();
  const full = await api('GET', `/v1/callbacks/${cb.id}`);
  if (held?.callback.id !== cb.id) return;
  attempts = full.attempts;
  nameCurrent();
  $('cb-phone').focus();
}

async function next() {
  $('next-none').hidden = true;
  try {
    const r = await api('POST', '/v1/queue/claim');
    if (!r) {
      $('next-none').hidden = false;
      return;
    }
    held = r;
    $('next').disabled = true;
    keepAlive();
    await showCurrent();
    await refreshQueue();
  } catch (err) {
    failed(err);
  }
}

async function attempt(result, extra = {}) {
  if (!held) return;
  const note = $('attempt-note').value.trim();
  try {
    await api('POST', `/v1/callbacks/${held.callback.id}/attempts`,
      { lease: held.lease.token, result, ...(note ? { note } : {}), ...extra });
    drop();
    status(t('logged'));
    $('next').focus();
    await refreshQueue();
  } catch (err) {
    // a bad time for "call later" keeps the call-back here to correct it
    if (err.status === 403 || err.status === 409) lost(err);
    else failed(err);
  }
}

// leaving: the page goes away (or signs out), so the request must outlive
// it and nobody is there to read a failure
async function release(leaving = false) {
  if (!held) return;
  const id = held.callback.id, lease = held.lease.token;
  drop();
  try {
    await api('POST', `/v1/callbacks/${id}/release`, { lease }, leaving ? { keepalive: true } : {});
    if (!leaving) await refreshQueue();
  } catch (err) {
    if (!leaving) failed(err);
  }
}

function showQueue() {
  fill($('queue'), queue, (cb) => [time(cb.due_at), topicLabel(cb.topic), siteLabel(cb.site), languageText(cb.language),
    cb.urgent ? t('urgent') : '']);
}

async function refreshQueue() {
  try {
    queue = (await api('GET', '/v1/queue')).callbacks;
    showQueue();
  } catch (err) {
    failed(err);
  }
}

let wired = false;
export function open(session) {
  if (!wired) {
    wired = true;
    const bar = $('results');
    // the API's results; callback_later has its own control, with its time
    for (const r of session.attempt_results.filter((x) => x !== 'callback_later')) {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t(r) });
      b.dataset.result = r;
      b.addEventListener('click', () => attempt(r));
      bar.append(b);
    }
    document.addEventListener('langchange', () => {
      for (const b of bar.querySelectorAll('button')) b.textContent = t(b.dataset.result);
      if (held) nameCurrent();
      showQueue();
    });
    $('next').addEventListener('click', next);
    $('release').addEventListener('click', () => release());
    $('later-go').addEventListener('click', () => {
      const v = $('later').value;
      if (!v) {
        status(t('later_needs_time'), true);
        $('later').focus();
        return;
      }
      attempt('callback_later', { not_before: new Date(v).toISOString() });
    });
    addEventListener('pagehide', () => {
      if (held && token()) release(true);
    });
  }
  refreshQueue();
  $('next').focus();
}

export async function close() {
  await release(true);
}
