// The manager's view: what is at risk now (refreshed every 30 s), today's
// and this week's compliance per site and topic, the breaches with their
// reasons, compliance per day as a chart, and the reports as CSV.
import { t, time } from './i18n.js';
import { api, download } from './api.js';
import { failed } from './app.js';
import { compliance } from './chart.js';

const $ = (id) => document.getElementById(id);
const DAY = 86400000;
let timer = null;

function rows(tbody, list, cells) {
  tbody.replaceChildren();
  for (const item of list) {
    const tr = document.createElement('tr');
    for (const v of cells(item)) tr.append(Object.assign(document.createElement('td'), { textContent: v ?? '' }));
    tbody.append(tr);
  }
  if (!list.length) {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('td'), { textContent: t('nothing'), colSpan: 9 }));
    tbody.append(tr);
  }
}

function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

function startOfWeek() {
  const d = startOfToday();
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7)); // Monday
  return d;
}

const iso = (d) => new Date(d).toISOString();
const pct = (r) => (r.within_target_pct == null ? '' : `${r.within_target_pct} %`);
const sla = (from) => `/v1/reports/sla?from=${iso(from)}&to=${iso(Date.now() + 1000)}&group_by=site,topic`;

async function refresh() {
  try {
    const now = Date.now();
    const [risk, today, week, days, breaches] = await Promise.all([
      api('GET', `/v1/alerts?level=at_risk&waiting=true&since=${iso(now - DAY)}`),
      api('GET', sla(startOfToday())),
      api('GET', sla(startOfWeek())),
      api('GET', `/v1/reports/sla?from=${iso(now - 30 * DAY)}&to=${iso(now + 1000)}&group_by=day`),
      api('GET', `/v1/reports/breaches?from=${iso(now - 7 * DAY)}&to=${iso(now + 1000)}`),
    ]);
    // still waiting for a first attempt, and not yet past its deadline
    const open = risk.alerts.filter((a) => Date.parse(a.due_at) > now);
    rows($('risk'), open, (a) => [time(a.due_at), a.site, a.topic, `${Math.round(a.threshold * 100)} %`]);
    rows($('today'), today.rows, (r) => [r.site, r.topic, r.requests, pct(r), r.breached]);
    rows($('week'), week.rows, (r) => [r.site, r.topic, r.requests, pct(r), r.breached]);
    $('chart').replaceChildren(compliance(days.rows, t('per_day')));
    rows($('breaches'), breaches.breaches, (b) => [time(b.due_at), b.site, b.topic, t(b.reason), b.minutes_late]);
  } catch (err) {
    failed(err);
  }
}

function report(format, breaches) {
  const now = Date.now();
  const path = breaches
    ? `/v1/reports/breaches?from=${iso(now - 30 * DAY)}&to=${iso(now + 1000)}&format=${format}`
    : `/v1/reports/sla?from=${iso(now - 30 * DAY)}&to=${iso(now + 1000)}&group_by=site,topic&format=${format}`;
  download(path, `callbackd-${breaches ? 'breaches' : 'sla'}${format === 'csv-excel' ? '-excel' : ''}.csv`).catch(failed);
}

let wired = false;
export function open() {
  if (!wired) {
    wired = true;
    $('refresh').addEventListener('click', refresh);
    $('dl-csv').addEventListener('click', () => report('csv', false));
    $('dl-excel').addEventListener('click', () => report('csv-excel', false));
    $('dl-breaches').addEventListener('click', () => report('csv', true));
  }
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, 30000);
}

export function close() {
  clearInterval(timer);
  timer = null;
}
