// The admin's view: caseworkers (list, add, change their site, topics and
// languages, deactivate), access tokens (make one, shown once with a copy
// button; list; revoke), the access log (who read which call-backs
// when), with its filters and pages, and the admin actions of the last
// ACTIONS_DAYS days (who made or revoked a token, saved a caseworker).
// Each change that cannot be undone
// asks first. The API's refusals are shown at the field they concern. It
// shows no caller's data: the access log names call-backs by id only.
import { t, time } from './i18n.js';
import { api, ApiError } from './api.js';
import { status, failed, fill } from './ui.js';
import { openDialog } from './dialog.js';
import { siteLabel, topicLabel, languageName } from './words.js';

const $ = (id) => document.getElementById(id);
const ROLES = ['telephony', 'agent', 'caseworker', 'manager', 'admin'];
const PAGE = 50; // access log rows a page, admin actions too
const ACTIONS_DAYS = 30;
let session = null;
let workers = [], tokens = [];
let editing = null; // the caseworker the dialog changes; null: a new one
let pending = null; // what the confirmation's yes does
let filter = '', next = null;
let nextAction = null;

const roleName = (r) => t(`role_${r}`);

function options(select, values, label = (v) => v) {
  select.replaceChildren(...values.map((v) => Object.assign(document.createElement('option'),
    { value: v, textContent: label(v) })));
}

// a button in a row; its name says which row, for a screen reader's list
function button(text, name, fn, data) {
  const b = Object.assign(document.createElement('button'), { type: 'button', textContent: text, className: 'quiet' });
  b.setAttribute('aria-label', name);
  Object.assign(b.dataset, data);
  b.addEventListener('click', fn);
  return b;
}

function clearErrors(form, line) {
  line.textContent = '';
  for (const f of form.querySelectorAll('.field')) {
    f.classList.remove('invalid');
    f.querySelector('.error').textContent = '';
    for (const i of f.querySelectorAll('input, select, textarea')) i.removeAttribute('aria-invalid');
  }
}

// An API refusal at the field of this form it names (`alias` maps codes
// that name none), else on the form's own line; a lost token or an
// unreachable service as everywhere (ui.js).
function refused(form, line, err, alias = {}) {
  if (!(err instanceof ApiError) || !err.status || err.status === 401 || err.status >= 500) {
    failed(err);
    return;
  }
  const name = err.field ?? alias[err.code];
  const field = name && form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  if (!field || field.hidden) {
    line.textContent = err.message;
    return;
  }
  field.classList.add('invalid');
  field.querySelector('.error').textContent = err.message;
  const inputs = field.querySelectorAll('input, select, textarea');
  for (const i of inputs) i.setAttribute('aria-invalid', 'true');
  inputs[0]?.focus();
}

// ---- confirmation -------------------------------------------------------

function confirm(text, yes, action, back) {
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yes;
  $('confirm-error').textContent = '';
  pending = action;
  openDialog($('confirm'), { focus: $('confirm').querySelector('[data-close]'), back });
}

async function confirmed() {
  const action = pending;
  if (!action) return;
  $('confirm-error').textContent = '';
  try {
    await action();
    pending = null;
    $('confirm').close();
  } catch (err) {
    if (err instanceof ApiError && err.status && err.status !== 401 && err.status < 500) {
      $('confirm-error').textContent = err.message;
    } else {
      pending = null;
      $('confirm').close();
      failed(err);
    }
  }
}

// ---- caseworkers --------------------------------------------------------

const rowButton = (act, id) => document.querySelector(`#cw-list button[data-act="${act}"][data-id="${CSS.escape(id)}"]`);

async function loadWorkers() {
  workers = (await api('GET', '/v1/caseworkers')).caseworkers;
  fill($('cw-list'), workers, (w) => {
    const acts = document.createElement('span');
    acts.className = 'row-actions';
    acts.append(button(t('edit'), `${t('edit')}: ${w.id}`, () => edit(w), { act: 'edit', id: w.id }));
    if (w.active) {
      acts.append(button(t('deactivate'), `${t('deactivate')}: ${w.id}`, () => deactivate(w),
        { act: 'deactivate', id: w.id }));
    }
    return [w.id, siteLabel(w.site), w.topics.map(topicLabel).join(', '), w.languages.map(languageName).join(', '),
      t(w.active ? 'active' : 'inactive'), acts];
  });
  // a caseworker token is for an active caseworker
  const keep = $('tk-caseworker').value;
  options($('tk-caseworker'), workers.filter((w) => w.active).map((w) => w.id));
  if (keep) $('tk-caseworker').value = keep;
}

function choices(box, name, values, chosen, word = (v) => v) {
  box.replaceChildren(...values.map((v) => {
    const label = document.createElement('label');
    label.append(Object.assign(document.createElement('input'),
      { type: 'checkbox', name, value: v, checked: chosen.includes(v) }), ` ${word(v)}`);
    return label;
  }));
}

function edit(w) {
  editing = w;
  const f = $('cw-form');
  clearErrors(f, $('cw-error'));
  $('cw-dialog-title').textContent = w ? `${t('cw_edit_title')} ${w.id}` : t('cw_new_title');
  $('cw-id').value = w ? w.id : '';
  $('cw-id').readOnly = !!w; // the id is the path: it stays
  options($('cw-site'), session.sites, siteLabel);
  $('cw-site').value = w ? w.site : session.sites[0];
  choices($('cw-topics'), 'topics', session.topics, w ? w.topics : [], topicLabel);
  choices($('cw-languages'), 'languages', session.languages, w ? w.languages : session.languages.slice(0, 1),
    languageName);
  openDialog($('cw-dialog'), { focus: w ? $('cw-site') : $('cw-id'),
    back: () => (w && rowButton('edit', w.id)) || $('cw-new') });
}

async function save(e) {
  e.preventDefault();
  const f = e.target;
  clearErrors(f, $('cw-error'));
  const picked = (name) => [...f.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const body = { site: $('cw-site').value, topics: picked('topics'), languages: picked('languages') };
  let id;
  try {
    if (editing) {
      // a change keeps the caseworker active or not, as they are
      id = (await api('PUT', `/v1/caseworkers/${encodeURIComponent(editing.id)}`,
        { ...body, active: editing.active })).id;
    } else {
      id = (await api('POST', '/v1/caseworkers', { id: $('cw-id').value.trim(), ...body })).id;
    }
  } catch (err) {
    refused(f, $('cw-error'), err, { exists: 'id' });
    return;
  }
  status(t('cw_saved'));
  await loadWorkers().then(() => loadActions()).catch(failed);
  // back to the row's button, drawn anew, or to "add" for a new one
  if (!editing) $('cw-dialog').returnTo = () => rowButton('edit', id) || $('cw-new');
  $('cw-dialog').close();
}

function deactivate(w) {
  confirm(t('deactivate_q').replace('{id}', w.id), t('deactivate'), async () => {
    await api('POST', `/v1/caseworkers/${encodeURIComponent(w.id)}/deactivate`);
    status(t('cw_deactivated'));
    await loadWorkers().then(loadTokens).then(() => loadActions()).catch(failed);
  }, () => rowButton('edit', w.id) || $('cw-new'));
}

// ---- tokens -------------------------------------------------------------

const lapsed = (k) => k.expires_at && Date.parse(k.expires_at) <= Date.now();
// refused while its caseworker is not active (or gone)
const inactive = (k) => k.caseworker && !workers.some((w) => w.id === k.caseworker && w.active);

async function loadTokens() {
  tokens = (await api('GET', '/v1/tokens')).tokens;
  fill($('tk-list'), tokens, (k) => [String(k.id), roleName(k.role), k.caseworker ?? '', k.label ?? '',
    time(k.created_at), k.expires_at ? time(k.expires_at) : t('never'),
    k.revoked_at ? `${t('revoked')} ${time(k.revoked_at)}` : t(lapsed(k) ? 'lapsed' : inactive(k) ? 'cw_off' : 'valid'),
    k.revoked_at || lapsed(k) ? ''
      : button(t('revoke'), `${t('revoke')}: ${t('number')} ${k.id}`, () => revoke(k), { act: 'revoke', id: String(k.id) })]);
}

function roleChanged() {
  $('tk-cw-field').hidden = $('tk-role').value !== 'caseworker';
}

async function make(e) {
  e.preventDefault();
  const f = e.target;
  clearErrors(f, $('tk-error'));
  const body = { role: $('tk-role').value };
  if (body.role === 'caseworker') body.caseworker = $('tk-caseworker').value;
  const label = $('tk-label').value.trim();
  if (label) body.label = label;
  // valid through the day chosen, to its end on this computer's calendar
  if ($('tk-expires').value) body.expires_at = new Date(`${$('tk-expires').value}T23:59:59.999`).toISOString();
  let made;
  try {
    made = await api('POST', '/v1/tokens', body);
  } catch (err) {
    refused(f, $('tk-error'), err);
    return;
  }
  f.reset();
  roleChanged();
  $('tk-value').value = made.token;
  $('tk-copied').textContent = '';
  openDialog($('tk-shown'), { focus: $('tk-copy'), back: () => $('tk-role') });
  await loadTokens().then(() => loadActions()).catch(failed);
}

async function copy() {
  try {
    await navigator.clipboard.writeText($('tk-value').value);
    $('tk-copied').textContent = t('copied');
  } catch {
    $('tk-value').select();
    $('tk-copied').textContent = t('copy_failed');
  }
}

function revoke(k) {
  confirm(t('revoke_q').replace('{id}', k.id), t('revoke'), async () => {
    await api('POST', `/v1/tokens/${k.id}/revoke`);
    status(t('tk_revoked'));
    await loadTokens().then(() => loadActions()).catch(failed);
  }, () => $('tk-list').querySelector('button') || $('tk-role'));
}

// ---- access log ---------------------------------------------------------

function tokenName(id) {
  const k = tokens.find((x) => x.id === id);
  return [`${t('number')} ${id}`, k && roleName(k.role), k?.label].filter(Boolean).join(' · ');
}

function ids(list) {
  if (list.length === 1) return list[0];
  const d = document.createElement('details');
  d.append(Object.assign(document.createElement('summary'), { textContent: `${list.length} ${t('callbacks')}` }),
    ...list.map((id) => Object.assign(document.createElement('div'), { textContent: id })));
  return d;
}

// one page, from the start of the filtered log or after `cursor`
async function loadAccess(cursor = null) {
  const q = new URLSearchParams(filter);
  q.set('limit', PAGE);
  if (cursor) q.set('cursor', cursor);
  const r = await api('GET', `/v1/access?${q}`);
  fill($('ac-list'), r.access, (a) => [time(a.at), tokenName(a.token_id), a.caseworker ?? '', a.route, ids(a.callback_ids)]);
  next = r.next_cursor;
  $('ac-next').disabled = !next;
  $('ac-first').disabled = !cursor;
}

async function filtered(e) {
  e?.preventDefault();
  const f = $('ac-filter');
  clearErrors(f, $('ac-error'));
  const q = new URLSearchParams();
  if ($('ac-callback').value.trim()) q.set('callback', $('ac-callback').value.trim());
  if ($('ac-token').value.trim()) q.set('token', $('ac-token').value.trim());
  if ($('ac-since').value) q.set('since', new Date($('ac-since').value).toISOString());
  filter = q.toString();
  try {
    await loadAccess();
  } catch (err) {
    refused(f, $('ac-error'), err);
  }
}

// a page of a log (load: loadAccess or loadActions)
function page(load, cursor, focus) {
  load(cursor).then(() => {
    // a button that went disabled gives the focus on to the other
    if (document.activeElement?.disabled || document.activeElement === document.body) focus().focus();
  }).catch(failed);
}

// ---- admin actions ------------------------------------------------------

// the token that acted, or the server's command line (the first token)
const actor = (a) => (a.startsWith('token:') ? tokenName(Number(a.slice(6))) : t('command_line'));
// what the action was about: a token by its number, a caseworker by id
const subject = (d) => (d.token != null ? `${t('number')} ${d.token}` : d.caseworker ?? '');

// one page of the last ACTIONS_DAYS days, from their start or after `cursor`
async function loadActions(cursor = null) {
  const q = new URLSearchParams({ since: new Date(Date.now() - ACTIONS_DAYS * 86400000).toISOString(), limit: PAGE });
  if (cursor) q.set('cursor', cursor);
  const r = await api('GET', `/v1/admin-events?${q}`);
  fill($('ae-list'), r.admin_events, (e) => [time(e.at), actor(e.actor), t(`ae_${e.kind}`), subject(e.data)]);
  nextAction = r.next_cursor;
  $('ae-next').disabled = !nextAction;
  $('ae-first').disabled = !cursor;
}

let wired = false;
export function open(s) {
  session = s;
  if (!wired) {
    wired = true;
    options($('tk-role'), ROLES, roleName);
    $('tk-role').addEventListener('change', roleChanged);
    $('cw-new').addEventListener('click', () => edit(null));
    $('cw-form').addEventListener('submit', save);
    $('confirm-yes').addEventListener('click', confirmed);
    $('tk-create').addEventListener('submit', make);
    $('tk-copy').addEventListener('click', copy);
    // the token is shown once: gone from the page when its dialog closes
    $('tk-shown').addEventListener('close', () => {
      $('tk-value').value = '';
    });
    $('ac-filter').addEventListener('submit', filtered);
    $('ac-first').addEventListener('click', () => page(loadAccess, null, () => $('ac-next')));
    $('ac-next').addEventListener('click', () => page(loadAccess, next, () => $('ac-first')));
    $('ae-first').addEventListener('click', () => page(loadActions, null, () => $('ae-next')));
    $('ae-next').addEventListener('click', () => page(loadActions, nextAction, () => $('ae-first')));
  }
  roleChanged();
  (async () => {
    try {
      await loadWorkers();
      await loadTokens();
      await filtered();
      await loadActions();
    } catch (err) {
      failed(err);
    }
  })();
  $('cw-new').focus();
}
