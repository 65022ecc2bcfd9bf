// The caseworker's view: claim the next call-back, log what came of the
// call (a button per result, or its key), keep the lease alive while the
// page is open, also across a network drop while the lease lasts, give it
// back on leaving; their own queue below, in claim order, polled, with a
// banner (and, when allowed, a notification naming only the topic) for an
// urgent call-back that enters it.
import { t, time, left, lang } from './i18n.js';
import { api, token } from './api.js';
import { status, failed, fill } from './ui.js';
import { poll, onOnline, isDown } from './live.js';
import { topicLabel, siteLabel, languageText, phoneLink } from './words.js';

const $ = (id) => document.getElementById(id);
let held = null;      // { callback, lease }
let beat = null, tick = null;
let misses = 0;       // heartbeats in a row that found no service
let beating = null;   // the lease whose heartbeat is on its way
let logging = false;
let queue = null;     // the poll of the queue
const seen = new Set();      // urgent call-backs met in the queue
const announced = new Set(); // those the banner names
let first = true;            // the queue as it was at sign-in is no news
// what is shown, kept to be named anew when the language changes
let attempts = null, shownQueue = null;

// Puts the call-back away; one at a time, so "next" only without one.
function drop() {
  held = null;
  attempts = null;
  clearTimeout(beat);
  clearInterval(tick);
  beat = tick = null;
  misses = 0;
  $('current').hidden = true;
  $('next').disabled = false;
  leaseLine();
}

// The lease is gone (lapsed, taken over) or the call-back closed by
// someone else: nothing more to do with it here, and the page says so
// where it stays in view until the next claim.
function lost(err) {
  const wasDown = misses > 0 || isDown();
  drop();
  if (err.code?.startsWith('lease') || err.code === 'wrong_state') {
    status(t('lease_lost'), true);
    $('lease-gone').textContent = t(wasDown && err.code === 'lease_lost' ? 'lease_lapsed' : 'lease_lost');
    $('lease-gone').hidden = false;
    $('next').focus();
    queue?.now();
  } else {
    failed(err);
  }
}

const leaseLeft = () => Date.parse(held.lease.until) - Date.now();
// the lease's end to the second: a lease may be short
const clock = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'de-DE', { timeStyle: 'medium' });

// The banner of an unreachable service says how long the lease lasts;
// set only when it changes, as the banner is read out on each change.
function leaseLine() {
  let text = '';
  if (held) text = t(leaseLeft() > 0 ? 'offline_lease' : 'offline_lapsed').replace('{until}', clock.format(new Date(held.lease.until)));
  if ($('offline-lease').textContent !== text) $('offline-lease').textContent = text;
}

// A heartbeat well before the lease runs out: after a third of what is
// left, at most a minute.
function keepAlive(wait = Math.min(60000, Math.max(1000, leaseLeft() / 3))) {
  clearTimeout(beat);
  beat = setTimeout(heartbeat, wait);
}

// While the service is unreachable the heartbeat is tried again after 1,
// 2, 4 ... s (at most 30), never later than a second before the lease
// runs out, and at once when the browser is online again; once the
// service answers, the answer says whether the lease was kept.
async function heartbeat() {
  clearTimeout(beat);
  beat = null;
  if (!held || beating === held.lease.token) return; // that one sets the next
  const id = held.callback.id, lease = held.lease.token;
  // an answer for a lease no longer in hand (logged, given back, claimed anew) is no news
  const current = () => held?.lease.token === lease;
  beating = lease;
  try {
    const r = await api('POST', `/v1/callbacks/${id}/heartbeat`, { lease });
    if (!current()) return;
    held.lease = r.lease;
    misses = 0;
    leaseLine();
    keepAlive();
  } catch (err) {
    if (!current()) return;
    if (err.status === 0 || err.status === 503) {
      misses++;
      const backoff = Math.min(30000, 1000 * 2 ** (misses - 1)), rest = leaseLeft();
      keepAlive(rest > 0 ? Math.min(backoff, Math.max(500, rest - 1000)) : backoff);
      leaseLine();
    } else {
      lost(err);
    }
  } finally {
    if (beating === lease) beating = null;
  }
}

function countdown() {
  const due = Date.parse(held.callback.due_at);
  const el = $('cb-left');
  el.textContent = left(due - Date.now());
  el.classList.toggle('bad', due < Date.now());
  leaseLine();
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
  $('lease-gone').hidden = true;
  try {
    const r = await api('POST', '/v1/queue/claim');
    if (!r) {
      $('next-none').hidden = false;
      return;
    }
    held = r;
    $('next').disabled = true;
    keepAlive();
    queue?.now();
    await showCurrent();
  } catch (err) {
    failed(err);
  }
}

async function attempt(result, extra = {}) {
  if (!held || logging) return; // one at a time: a key pressed twice logs once
  const note = $('attempt-note').value.trim();
  logging = true;
  try {
    await api('POST', `/v1/callbacks/${held.callback.id}/attempts`,
      { lease: held.lease.token, result, ...(note ? { note } : {}), ...extra });
    drop();
    status(t('logged'));
    $('next').focus();
    queue?.now();
  } catch (err) {
    // a bad time for "call later" keeps the call-back here to correct it
    if (err.status === 403 || err.status === 409) lost(err);
    else failed(err);
  } finally {
    logging = false;
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
    if (!leaving) queue?.now();
  } catch (err) {
    if (!leaving) failed(err);
  }
}

// An urgent call-back new in the queue: the banner, and a notification
// when the caseworker allowed them, naming the topic and nothing else
// (the queue carries nothing of the caller anyway).
function announce(list) {
  for (const cb of list) announced.add(cb.id);
  const topics = [...new Set(list.map((cb) => topicLabel(cb.topic)))].join(', ');
  $('urgent-text').textContent = `${t('urgent_new')}: ${t('topic')} ${topics}`;
  $('urgent-banner').hidden = false;
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(t('urgent_title'), { body: `${t('topic')}: ${topics}`, tag: 'callbackd-urgent', lang: document.documentElement.lang });
      n.addEventListener('click', () => {
        window.focus();
        $('next').focus();
      });
    } catch {
      // a browser that shows them only from a service worker: the banner says it
    }
  }
}

function showQueue(r, changed) {
  if (!changed) return;
  shownQueue = r;
  fill($('queue'), r.callbacks, (cb) => [time(cb.due_at), topicLabel(cb.topic), siteLabel(cb.site), languageText(cb.language),
    cb.urgent ? t('urgent') : '']);
  const urgent = r.callbacks.filter((cb) => cb.urgent);
  const fresh = urgent.filter((cb) => !seen.has(cb.id));
  for (const cb of urgent) seen.add(cb.id);
  if (!first && fresh.length) announce(fresh);
  first = false;
  // the banner goes once what it named has left the queue (claimed)
  if (!$('urgent-banner').hidden && !urgent.some((cb) => announced.has(cb.id))) $('urgent-banner').hidden = true;
}

// The browser asks only when the caseworker presses the button.
function offerNotifications() {
  $('notify').hidden = !('Notification' in window) || Notification.permission !== 'default';
}

// A result's key logs it, unless the caseworker is typing (the note, the
// time of "call later") or holds a modifier.
function shortcut(e) {
  if (!held || $('caseworker').hidden || e.ctrlKey || e.metaKey || e.altKey || e.repeat || e.isComposing) return;
  if (e.target instanceof Element && e.target.closest('input, textarea, select, [contenteditable]')) return;
  const b = $('results').querySelector(`button[data-key="${CSS.escape(e.key)}"]`);
  if (!b) return;
  e.preventDefault();
  b.click();
}

let wired = false;
export function open(session) {
  if (!wired) {
    wired = true;
    const bar = $('results');
    // the API's results; callback_later has its own control, with its time
    const results = session.attempt_results.filter((x) => x !== 'callback_later');
    results.forEach((r, i) => {
      const b = Object.assign(document.createElement('button'), { type: 'button' });
      b.dataset.result = r;
      if (i < 9) {
        // the key on the button, for the eye; aria-keyshortcuts, for the ear
        const key = String(i + 1);
        b.dataset.key = key;
        b.setAttribute('aria-keyshortcuts', key);
        const kbd = Object.assign(document.createElement('kbd'), { textContent: key });
        kbd.setAttribute('aria-hidden', 'true');
        b.append(kbd);
      }
      b.append(t(r));
      b.addEventListener('click', () => attempt(r));
      bar.append(b);
    });
    const hint = () => t('keys_hint').replace('{n}', String(Math.min(9, results.length)));
    $('keys-hint').textContent = hint();
    // the result's word is each button's last child, after its key
    document.addEventListener('langchange', () => {
      for (const b of bar.querySelectorAll('button')) b.lastChild.textContent = t(b.dataset.result);
      $('keys-hint').textContent = hint();
      if (held) nameCurrent();
      if (shownQueue) showQueue(shownQueue, true);
    });
    document.addEventListener('keydown', shortcut);
    $('urgent-dismiss').addEventListener('click', () => {
      $('urgent-banner').hidden = true;
      $('next').focus();
    });
    $('notify').addEventListener('click', async () => {
      const p = await Notification.requestPermission();
      offerNotifications();
      status(t(p === 'granted' ? 'notify_on' : 'notify_off'), p !== 'granted');
      $('next').focus();
    });
    onOnline(() => heartbeat());
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
  offerNotifications();
  queue?.stop();
  first = true;
  queue = poll('/v1/queue', showQueue);
  $('next').focus();
}

export async function close() {
  queue?.stop();
  queue = null;
  await release(true);
}
