// callbackd's web page: sign in with a token, then the view of its role.
import { t, applyLabels, lang, setLang } from './i18n.js';
import { learn } from './words.js';
import { api, setToken, token, ApiError } from './api.js';
import { failed, onExpired } from './ui.js';
import * as caseworker from './caseworker.js';
import * as agent from './agent.js';
import * as manager from './manager.js';
import * as admin from './admin.js';

const views = { caseworker, agent, manager, admin };
const NOTE = 'callbackd.note'; // why the last sign-out happened, for the next page
const $ = (id) => document.getElementById(id);

function show(id) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== id;
}

// why signing in did not work, by its key: the switch names it anew
function refused(key) {
  const el = $('signin-error');
  if (key) el.dataset.t = key;
  else delete el.dataset.t;
  el.textContent = t(key);
}

async function start() {
  if (!token()) {
    show('signin');
    $('signout').hidden = true;
    refused(sessionStorage.getItem(NOTE) ?? '');
    sessionStorage.removeItem(NOTE);
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
      refused('bad_token');
    } else {
      failed(err);
    }
    return;
  }
  const view = views[session.role];
  $('signout').hidden = false;
  signedIn = session;
  who();
  if (!view) {
    show('signin');
    refused('no_view');
    return;
  }
  show(session.role);
  learn(session);
  view.open(session);
}

async function signOut(note) {
  for (const v of Object.values(views)) await v.close?.();
  setToken(null);
  if (note) sessionStorage.setItem(NOTE, note);
  // a fresh page: nothing of the last user's (numbers, names) stays behind
  location.reload();
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  refused('');
  setToken($('token').value.trim());
  $('token').value = '';
  start();
});
$('signout').addEventListener('click', () => signOut());
$('lang-switch').addEventListener('click', () => setLang(lang === 'en' ? 'de' : 'en'));
onExpired(signOut);

// who is signed in: the caseworker's id, or the role in the page's words
let signedIn = null;
function who() {
  if (signedIn) $('who').textContent = signedIn.caseworker || t(`role_${signedIn.role}`);
}
document.addEventListener('langchange', who);

applyLabels();
start();
