// The agent's view: create a call-back (the API's messages shown at the
// field they concern), find a caller's call-backs by phone or customer
// reference, and log an attempt on one of them.
import { t, time } from './i18n.js';
import { api, ApiError } from './api.js';
import { status, failed, fill } from './ui.js';
import { topicLabel, siteLabel, languages, languageOption, phoneText, phoneLink } from './words.js';
import { timelineButton } from './timeline.js';
import { watchPhone } from './openwarn.js';

const $ = (id) => document.getElementById(id);
let chosen = null;
let found = []; // the last search's call-backs, named anew when the language changes

// identifiers as values, labels as text; the choice stays when they are named anew
function options(select, values, label) {
  const was = select.value;
  select.replaceChildren(...values.map((v) => Object.assign(document.createElement('option'), { value: v, textContent: label(v) })));
  if (values.includes(was)) select.value = was;
}

// the languages in their own words, the config's first (the default) chosen
function languageOptions(select) {
  const was = select.value;
  select.replaceChildren(...languages().map(languageOption));
  if (select.options[0]) select.options[0].defaultSelected = true;
  if (languages().includes(was)) select.value = was;
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
    found = r.callbacks;
    showFound();
  } catch (err) {
    if (err instanceof ApiError && err.field) $('s-error').textContent = err.message;
    else failed(err);
  }
}

function showFound() {
  fill($('found'), found, (cb) => [phoneLink(cb.phone), cb.name, t(cb.state), topicLabel(cb.topic), siteLabel(cb.site),
    time(cb.due_at), cb.attempt_count, actions(cb)]);
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

const which = (cb) => `${phoneText(cb.phone)} · ${topicLabel(cb.topic)} · ${siteLabel(cb.site)}`;

function choose(cb) {
  chosen = cb;
  $('aa-which').textContent = which(cb);
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

// everything this view names, in the page's language now
function relabel(session) {
  options($('f-topic'), session.topics, topicLabel);
  options($('f-site'), session.sites, siteLabel);
  languageOptions($('f-language'));
  // the API's results; callback_later needs a time, which this form does not ask
  options($('aa-result'), session.attempt_results.filter((r) => r !== 'callback_later'), t);
  if (found.length) showFound();
  if (chosen) $('aa-which').textContent = which(chosen);
}

let wired = false;
export function open(session) {
  relabel(session);
  if (!wired) {
    wired = true;
    document.addEventListener('langchange', () => relabel(session));
    $('create').addEventListener('submit', create);
    watchPhone($('create'));
    $('search').addEventListener('submit', search);
    $('agent-attempt').addEventListener('submit', logAttempt);
  }
  $('f-phone').focus();
}
