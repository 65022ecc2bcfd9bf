// Compliance per site and week over the last 8 weeks (this one included)
// on the manager's page: a row per site, a column per week (Monday to
// Sunday on this computer's calendar), each cell the share within target
// of what is decided, as the SLA report gives it. A week with nothing
// decided (no requests, or none due yet) is a dash, never 0 %. It reads
// only GET /v1/reports/sla and fills only its own table.
import { t, num, dayLabel } from './i18n.js';
import { api } from './api.js';
import { siteLabel } from './words.js';

const $ = (id) => document.getElementById(id);
const WEEKS = 8;
const DAY = 86400000;

const dayKey = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

// local midnight of the Monday `back` weeks before this week's
function monday(back) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - (d.getDay() + 6) % 7 - 7 * back);
  return d;
}

// ISO 8601 week number of a date "YYYY-MM-DD": its Thursday's year counts
export function isoWeek(k) {
  const d = Date.UTC(+k.slice(0, 4), +k.slice(5, 7) - 1, +k.slice(8, 10));
  const thu = d + (3 - (new Date(d).getUTCDay() + 6) % 7) * DAY;
  const jan1 = Date.UTC(new Date(thu).getUTCFullYear(), 0, 1);
  return 1 + Math.floor((thu - jan1) / (7 * DAY));
}

function th(text, scope) {
  const c = document.createElement('th');
  c.scope = scope;
  c.textContent = text;
  return c;
}

// One cell: the share, or a dash with what it stands for in its title.
function share(r) {
  const td = document.createElement('td');
  if (!r || r.within_target_pct == null) {
    td.textContent = '\u2013';
    td.className = 'undecided';
    td.title = r ? `${r.requests} ${t('requests')}, ${t('undecided')}` : t('no_requests');
    return td;
  }
  const p = Number(r.within_target_pct);
  td.textContent = `${num(p)} %`;
  td.className = p >= 95 ? 'good' : p >= 80 ? 'fair' : 'poor';
  td.title = `${r.within_target} ${t('within')}, ${r.breached} ${t('breached')}, ${r.pending} ${t('pending')}`;
  return td;
}

// tz: the time zone the weeks are days of (this computer's)
export async function refresh(tz) {
  const weeks = Array.from({ length: WEEKS }, (_, i) => dayKey(monday(WEEKS - 1 - i)));
  const rep = await api('GET', `/v1/reports/sla?from=${weeks[0]}&to=${dayKey(new Date())}`
    + `&tz=${encodeURIComponent(tz)}&group_by=site,week`);
  const cells = new Map(rep.rows.map((r) => [`${r.site}|${r.week}`, r]));
  const sites = [...new Set(rep.rows.map((r) => r.site))].sort();
  const table = $('weeks');
  const head = document.createElement('tr');
  head.append(th(t('site'), 'col'), ...weeks.map((w) => {
    const c = th(`${t('week_no')} ${isoWeek(w)}`, 'col');
    c.dataset.week = w;
    const from = document.createElement('small');
    from.textContent = dayLabel(w);
    c.append(document.createElement('br'), from);
    return c;
  }));
  table.tHead.replaceChildren(head);
  if (!sites.length) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = WEEKS + 1;
    td.textContent = t('nothing');
    tr.append(td);
    table.tBodies[0].replaceChildren(tr);
    return;
  }
  table.tBodies[0].replaceChildren(...sites.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.site = s;
    tr.append(th(siteLabel(s), 'row'), ...weeks.map((w) => share(cells.get(`${s}|${w}`))));
    return tr;
  }));
}
