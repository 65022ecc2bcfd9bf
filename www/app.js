// callbackd's web page: sign in with a token, then the view of its role.
import { t, applyLabels } from './i18n.js';
import { api, setToken, token, ApiError } from './api.js';
import * as caseworker from './caseworker.js';
import * as agent from './agent.js';
import * as manager from './manager.js';

const views = { caseworker, agent, manager };
const $ = (id) => document.getElementById(id);

// One line at the bottom says what just happened, or went wrong.
export function status(text, bad = false) {
  $('status').textContent = text;
  $('status').classList.toggle('bad', bad);
}

export function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut();
    return;
  }
  status(err instanceof ApiError && (err.status === 0 || err.status === 503)
    ? t('unavailable') : err.message, true);
}

function show(id) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== id;
}

async function start() {
  if (!token()) {
    show('signin');
    $('signout').hidden = true;
    $('token').focus();
    return;
  }
  let session;
  try {
    session = await api('GET', '/v1/session');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setToken(null);
      show('signin');
      $('signin-error').textContent = t('bad_token');
    } else {
      failed(err);
    }
    return;
  }
  const view = views[session.role];
  $('signout').hidden = false;
  $('who').textContent = session.caseworker || session.role;
  if (!view) {
    show('signin');
    $('signin-error').textContent = t('no_view');
    return;
  }
  show(session.role);
  view.open(session);
}

async function signOut() {
  for (const v of Object.values(views)) await v.close?.();
  setToken(null);
  $('who').textContent = '';
  status('');
  start();
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  $('signin-error').textContent = '';
  setToken($('token').value.trim());
  $('token').value = '';
  start();
});
$('signout').addEventListener('click', signOut);

applyLabels();
start();
