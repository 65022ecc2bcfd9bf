// The caseworker's view: claim the next call-back, log what came of the
// call, keep the lease alive while the page is open, give it back on
// leaving; their own queue below, in claim order.
import { t, time, left } from './i18n.js';
import { api, token } from './api.js';
import { status, failed } from './app.js';

const $ = (id) => document.getElementById(id);
const RESULTS = ['reached', 'no_answer', 'busy', 'voicemail', 'wrong_number'];
let held = null;      // { callback, lease }
let beat = null, tick = null;

function stopTimers() {
  clearTimeout(beat);
  clearInterval(tick);
  beat = tick = null;
}

// A heartbeat well before the lease runs out: a third of what is left,
// at most a minute.
function keepAlive() {
  clearTimeout(beat);
  if (!held) return;
  const wait = Math.min(60000, Math.max(1000, (Date.parse(held.lease.until) - Date.now()) / 3));
  beat = setTimeout(async () => {
    try {
      const r = await api('POST', `/v1/callbacks/${held.callback.id}/heartbeat`, { lease: held.lease.token });
      held.lease = r.lease;
      keepAlive();
    } catch (err) {
      drop();
      failed(err);
    }
  }, wait);
}

function drop() {
  held = null;
  stopTimers();
  $('current').hidden = true;
}

function countdown() {
  const due = Date.parse(held.callback.due_at);
  const el = $('cb-left');
  el.textContent = left(due - Date.now());
  el.classList.toggle('bad', due < Date.now());
}

async function showCurrent() {
  const cb = held.callback;
  $('cb-phone').textContent = cb.phone || '';
  $('cb-phone').href = `tel:${cb.phone || ''}`;
  $('cb-urgent').hidden = !cb.urgent;
  $('cb-topic').textContent = cb.topic;
  $('cb-site').textContent = cb.site;
  $('cb-language').textContent = cb.language;
  $('cb-name').textContent = cb.name || '';
  $('cb-note').textContent = cb.note || '';
  $('attempt-note').value = '';
  $('later').value = '';
  $('current').hidden = false;
  countdown();
  tick = setInterval(countdown, 1000);
  const list = $('cb-attempts');
  list.replaceChildren();
  const full = await api('GET', `/v1/callbacks/${cb.id}`);
  for (const a of full.attempts) {
    const li = document.createElement('li');
    li.textContent = `${time(a.at)}: ${t(a.result)}${a.note ? ` – ${a.note}` : ''}`;
    list.append(li);
  }
  if (!full.attempts.length) list.append(Object.assign(document.createElement('li'), { textContent: t('nothing') }));
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
    if (err.code?.startsWith('lease')) {
      drop();
      status(t('lease_lost'), true);
    } else {
      failed(err);
    }
  }
}

async function release(keepalive = false) {
  if (!held) return;
  const id = held.callback.id, lease = held.lease.token;
  drop();
  try {
    await api('POST', `/v1/callbacks/${id}/release`, { lease }, keepalive ? { keepalive: true } : {});
  } catch (err) {
    if (!keepalive) failed(err);
  }
}

async function refreshQueue() {
  try {
    const r = await api('GET', '/v1/queue');
    const body = $('queue');
    body.replaceChildren();
    for (const cb of r.callbacks) {
      const tr = document.createElement('tr');
      for (const v of [time(cb.due_at), cb.topic, cb.site, cb.language, cb.urgent ? t('urgent') : '']) {
        tr.append(Object.assign(document.createElement('td'), { textContent: v }));
      }
      body.append(tr);
    }
  } catch (err) {
    failed(err);
  }
}

let wired = false;
export function open() {
  if (!wired) {
    wired = true;
    const bar = $('results');
    for (const r of RESULTS) {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t(r) });
      b.dataset.result = r;
      b.addEventListener('click', () => attempt(r));
      bar.append(b);
    }
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
    // leaving the page gives the callback back; the request outlives the page
    addEventListener('pagehide', () => {
      if (held && token()) release(true);
    });
  }
  refreshQueue();
  $('next').focus();
}

export async function close() {
  await release();
}
