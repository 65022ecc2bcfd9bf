// What every view of the web page shares: the status line, how a failed
// call is shown, rows of a table. It imports no view and not app.js, which
// import it.
import { t } from './i18n.js';
import { ApiError } from './api.js';

const $ = (id) => document.getElementById(id);

// One line in the header says what just happened, or went wrong.
export function status(text, bad = false) {
  $('status').textContent = text;
  $('status').classList.toggle('bad', bad);
}

// What a token refused on the way (401) leads to: app.js signs out.
let expired = () => {};
export function onExpired(fn) {
  expired = fn;
}

export function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    expired('token_expired');
    return;
  }
  status(err instanceof ApiError && (err.status === 0 || err.status === 503)
    ? t('unavailable') : err.message, true);
}

// Rows of a table from a list; a cell is text or an element (a button).
export function fill(tbody, list, cells) {
  const row = (values) => {
    const tr = document.createElement('tr');
    for (const v of values) {
      const td = document.createElement('td');
      td.append(v ?? '');
      tr.append(td);
    }
    return tr;
  };
  if (list.length) {
    tbody.replaceChildren(...list.map((item) => row(cells(item))));
  } else {
    tbody.replaceChildren(row([t('nothing')]));
    tbody.querySelector('td').colSpan = tbody.parentElement.tHead.rows[0].cells.length;
  }
}
