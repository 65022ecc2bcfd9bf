// The agent's form says, before anything is created, whether the number
// typed has an open call-back (queued or in progress): its state, topic
// and due time, and whether this request would merge into it (the same
// number and topic, the daemon's merge rule). It asks the API
// (GET /v1/callbacks?phone=) only once the number looks complete (what
// the daemon would accept, with enough digits for a whole number), a
// pause after the last keystroke, at most once per number, and drops an
// answer that a newer number has overtaken.
import { t, time } from './i18n.js';
import { api } from './api.js';
import { failed } from './ui.js';
import { topicLabel } from './words.js';

export const PAUSE_MS = 400;

// Whether a typed number is worth asking about: only digits, spaces and
// - / . ( ) after a leading + or 00, as the daemon takes them; national
// (a single leading 0) with 8 digits or more, international with 9 or
// more. The digits, or null.
export function completeNumber(typed) {
  const s = typed.trim();
  if (!/^(\+|00)?[0-9 ()/.-]+$/.test(s)) return null;
  const intl = s.startsWith('+') || s.startsWith('00');
  const digits = s.replace(/^\+|^00/, '').replace(/[^0-9]/g, '');
  if (intl) return digits.length >= 9 && digits.length <= 15 && digits[0] !== '0' ? `+${digits}` : null;
  return /^0[1-9]/.test(digits) && digits.length >= 8 && digits.length <= 16 ? digits : null;
}

export function watchPhone(form) {
  const phone = form.elements.phone, topic = form.elements.topic;
  const box = document.getElementById('f-open');
  let timer = null, asked = null, found = [], ctl = null;

  const show = () => {
    if (!found.length) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    const items = found.map((cb) => {
      const li = document.createElement('li');
      const merge = cb.topic === topic.value;
      li.textContent = `${t(cb.state)} · ${topicLabel(cb.topic)} · ${t('due')} ${time(cb.due_at)} \u2013 ${merge ? t('would_merge') : t('other_topic')}`;
      if (merge) li.className = 'merge';
      return li;
    });
    const ul = document.createElement('ul');
    ul.append(...items);
    box.replaceChildren(Object.assign(document.createElement('strong'), { textContent: t('open_exists') }), ul);
    box.hidden = false;
  };

  const clear = () => {
    clearTimeout(timer);
    ctl?.abort();
    asked = null;
    found = [];
    show();
  };

  async function ask(number) {
    ctl?.abort();
    ctl = new AbortController();
    const signal = ctl.signal;
    asked = number;
    try {
      const q = `/v1/callbacks?phone=${encodeURIComponent(number)}&limit=50`;
      const [queued, claimed] = await Promise.all([
        api('GET', `${q}&state=queued`, undefined, { signal }),
        api('GET', `${q}&state=claimed`, undefined, { signal }),
      ]);
      if (signal.aborted) return;
      found = [...queued.callbacks, ...claimed.callbacks];
      show();
    } catch (err) {
      if (signal.aborted) return;
      asked = null;
      found = [];
      show();
      // a number the daemon refuses is said at the field on creating
      if (err.status !== 422) failed(err);
    }
  }

  phone.addEventListener('input', () => {
    clearTimeout(timer);
    const number = completeNumber(phone.value);
    if (!number) {
      clear();
      return;
    }
    if (number === asked) return;
    // what was shown is another number's: gone until this one's answer
    found = [];
    show();
    timer = setTimeout(() => ask(number), PAUSE_MS);
  });
  // which of them this request would merge into follows the topic chosen
  topic.addEventListener('change', show);
  form.addEventListener('reset', clear);
}
