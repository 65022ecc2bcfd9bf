// A callback's story (GET /v1/callbacks/{id}/events) in a dialog: what
// happened to it, oldest first, in this computer's local time. Opened by
// the button timelineButton() makes (the agent's search results, the
// manager's breaches); Escape or the close button shuts it and the focus
// goes back to that button. The story holds nothing of the caller; the
// attempts' notes only when the daemon sends them.
import { t, lang } from './i18n.js';
import { api } from './api.js';
import { failed } from './ui.js';
import { siteLabel, topicLabel } from './words.js';

// to the second: events a moment apart stay apart
const stamp = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'de-DE',
  { dateStyle: 'short', timeStyle: 'medium' });
const when = (iso) => (iso ? stamp.format(new Date(iso)) : '');

let dialog = null;
let opener = null;

function build() {
  dialog = document.createElement('dialog');
  dialog.id = 'timeline';
  dialog.setAttribute('aria-labelledby', 'tl-title');
  const title = Object.assign(document.createElement('h2'), { id: 'tl-title', textContent: t('story') });
  const what = Object.assign(document.createElement('p'), { id: 'tl-what' });
  const list = Object.assign(document.createElement('ol'), { id: 'tl-list' });
  const cut = Object.assign(document.createElement('p'), { id: 'tl-cut', textContent: t('story_cut') });
  const close = Object.assign(document.createElement('button'), { type: 'button', id: 'tl-close', textContent: t('close') });
  close.addEventListener('click', () => dialog.close());
  // Escape closes a modal dialog by itself; either way the focus goes back,
  // to the same callback's button if a refresh has drawn the rows anew
  dialog.addEventListener('close', () => {
    const id = opener?.dataset.timeline;
    const again = id ? document.querySelector(`button[data-timeline="${CSS.escape(id)}"]`) : null;
    (opener?.isConnected ? opener : again)?.focus();
    opener = null;
  });
  dialog.append(title, what, list, cut, close);
  document.body.append(dialog);
}

// the words for one entry's data
function details(e) {
  const d = e.data || {};
  const parts = [];
  switch (e.kind) {
    case 'created':
      parts.push(`${t('topic')} ${topicLabel(d.topic)}`, `${t('site')} ${siteLabel(d.site)}`, `${t('due')} ${when(d.due_at)}`);
      if (d.urgent) parts.push(t('urgent'));
      break;
    case 'merged':
      parts.push(`${t('request_no')} ${d.request_count}`);
      if (d.urgency_raised) parts.push(t('urgency_raised'));
      if (d.changed?.length) parts.push(`${t('changed')}: ${d.changed.map((f) => t(f)).join(', ')}`);
      break;
    case 'due_moved':
      parts.push(`${t('due')} ${when(d.due_at)}`, `${t('was')} ${when(d.was)}`);
      break;
    case 'alert':
      parts.push(`${t(d.level)}${d.level === 'at_risk' ? ` ${Math.round(d.threshold * 100)} %` : ''}`);
      if (d.reason) parts.push(t(d.reason));
      parts.push(d.sent_at ? `${t('sent')} ${when(d.sent_at)}` : t('not_sent'));
      break;
    case 'claimed':
      parts.push(`${t('lease_until')} ${when(d.lease_until)}`);
      break;
    case 'lease_expired':
      parts.push(`${t('lapses')}: ${d.lapsed_leases}`);
      if (d.flagged) parts.push(t('flagged'));
      break;
    case 'attempt':
      parts.push(t(d.result), `${t('state')}: ${t(d.state)}`);
      if (d.duration_s != null) parts.push(`${d.duration_s} s`);
      if (d.note) parts.push(`${t('note')}: ${d.note}`);
      break;
    case 'expired':
      if (d.reason) parts.push(t(d.reason));
      break;
    default:
      break;
  }
  return parts.join(' · ');
}

function entry(e) {
  const li = document.createElement('li');
  const at = Object.assign(document.createElement('time'), { dateTime: e.at, textContent: when(e.at) });
  const kind = Object.assign(document.createElement('strong'), { textContent: t(`ev_${e.kind}`) });
  const who = Object.assign(document.createElement('span'), { className: 'actor',
    textContent: `${t('by')} ${e.actor === 'callbackd' ? t('system') : e.actor}` });
  const more = Object.assign(document.createElement('span'), { className: 'details', textContent: details(e) });
  li.append(at, ' ', kind, ' ', who, more.textContent ? ' \u2013 ' : '', more);
  return li;
}

export async function showTimeline(id, from) {
  try {
    const story = await api('GET', `/v1/callbacks/${encodeURIComponent(id)}/events`);
    if (!dialog) build();
    const cb = story.callback;
    dialog.querySelector('#tl-what').textContent = `${topicLabel(cb.topic)} · ${siteLabel(cb.site)} · ${t(cb.state)} · ${t('due')} ${when(cb.due_at)}`;
    dialog.querySelector('#tl-list').replaceChildren(...story.events.map(entry));
    dialog.querySelector('#tl-cut').hidden = !story.truncated;
    opener = from ?? document.activeElement;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector('#tl-close').focus();
  } catch (err) {
    failed(err);
  }
}

// The one click that leads to a callback's story.
export function timelineButton(id) {
  const b = Object.assign(document.createElement('button'), { type: 'button', className: 'quiet', textContent: t('story') });
  b.dataset.timeline = id;
  b.addEventListener('click', () => showTimeline(id, b));
  return b;
}
