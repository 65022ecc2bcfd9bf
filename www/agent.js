// The agent's view: create a call-back (the API's messages shown at the
// field they concern), find a caller's call-backs by phone or customer
// reference, and log an attempt on one of them.
import { t, time } from './i18n.js';
import { api, ApiError } from './api.js';
import { status, failed, fill } from './ui.js';
import { timelineButton } from './timeline.js';
import { watchPhone } from './openwarn.js';

const $ = (id) => document.getElementById(id);
let chosen = null;

function options(select, values) {
  select.replaceChildren(...values.map((v) => Object.assign(document.createElement('option'), { value: v, textContent: v })));
}

function clearErrors() {
  for (const f of document.querySelectorAll('#create .field')) {
    f.classList.remove('invalid');
    f.querySelector('.error').textContent = '';
    f.querySelector('input, select, textarea')?.removeAttribute('aria-invalid');
  }
}

async function create(e) {
  e.preventDefault();
  clearErrors();
  $('create-done').textContent = '';
  const f = e.target.elements;
  const body = { phone: f.phone.value, topic: f.topic.value, site: f.site.value };
  for (const k of ['name', 'customer_ref', 'language', 'note']) if (f[k].value.trim()) body[k] = f[k].value.trim();
  if (f.urgent.checked) body.urgent = true;
  try {
    const cb = await api('POST', '/v1/callbacks', body);
    $('create-done').textContent = `${cb.merged ? t('merged') : t('created')} ${t('due')}: ${time(cb.due_at)}`;
    e.target.reset();
    f.language.value = 'de';
    f.phone.focus();
  } catch (err) {
    const field = err instanceof ApiError && err.field && document.querySelector(`#create .field[data-field="${CSS.escape(err.field)}"]`);
    if (field) {
      field.classList.add('invalid');
      field.querySelector('.error').textContent = err.message;
      const input = field.querySelector('input, select, textarea');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } else {
      failed(err);
    }
  }
}

async function search(e) {
  e?.preventDefault();
  $('s-error').textContent = '';
  const by = $('s-by').value, q = $('s-q').value.trim();
  if (!q) return;
  try {
    const r = await api('GET', `/v1/callbacks?${by}=${encodeURIComponent(q)}&limit=50`);
    fill($('found'), r.callbacks, (cb) => [cb.phone, cb.name, t(cb.state), cb.topic, cb.site, time(cb.due_at),
      cb.attempt_count, actions(cb)]);
  } catch (err) {
    if (err instanceof ApiError && err.field) $('s-error').textContent = err.message;
    else failed(err);
  }
}

// a queued row takes an attempt; each row leads to its story
function actions(cb) {
  const cell = document.createElement('span');
  cell.className = 'bar';
  if (cb.state === 'queued') cell.append(attemptButton(cb));
  cell.append(timelineButton(cb.id));
  return cell;
}

// agents log attempts on queued call-backs only (a claimed one is a
// caseworker's, under a lease)
function attemptButton(cb) {
  const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t('log_attempt') });
  b.addEventListener('click', () => choose(cb));
  return b;
}

function choose(cb) {
  chosen = cb;
  $('aa-which').textContent = `${cb.phone || ''} · ${cb.topic} · ${cb.site}`;
  $('agent-attempt').hidden = false;
  $('aa-result').focus();
}

async function logAttempt(e) {
  e.preventDefault();
  $('aa-error').textContent = '';
  const note = $('aa-note').value.trim();
  try {
    await api('POST', `/v1/callbacks/${chosen.id}/attempts`, { result: $('aa-result').value, ...(note ? { note } : {}) });
    $('agent-attempt').hidden = true;
    $('aa-note').value = '';
    status(t('logged'));
    search();
  } catch (err) {
    if (err instanceof ApiError && err.status < 500 && err.status) $('aa-error').textContent = err.message;
    else failed(err);
  }
}

let wired = false;
export function open(session) {
  options($('f-topic'), session.topics);
  options($('f-site'), session.sites);
  if (!wired) {
    wired = true;
    // the API's results; callback_later needs a time, which this form does not ask
    const results = session.attempt_results.filter((r) => r !== 'callback_later');
    $('aa-result').replaceChildren(...results.map((r) => Object.assign(document.createElement('option'), { value: r, textContent: t(r) })));
    $('create').addEventListener('submit', create);
    watchPhone($('create'));
    $('search').addEventListener('submit', search);
    $('agent-attempt').addEventListener('submit', logAttempt);
  }
  $('f-phone').focus();
}
