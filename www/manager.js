// The manager's view: what is at risk now (polled, see live.js), the
// forecast of the next 48 h (forecast.js), today's and this week's
// compliance per site and topic, the breaches with their reasons (each
// leading to its story), compliance per day as a chart and per site over 8
// weeks (weeks.js), and the reports as CSV. Periods
// are plain dates, days of this computer's calendar: the daemon reads them
// in the time zone sent along, from the start of the first to the end of
// the last; the reports are read again every 30 s while the tab is shown.
import { t, time, left, lang, num } from './i18n.js';
import { api, download } from './api.js';
import { failed, fill } from './ui.js';
import { compliance } from './chart.js';
import { poll } from './live.js';
import { topicLabel, siteLabel } from './words.js';
import { timelineButton } from './timeline.js';
import * as forecast from './forecast.js';
import * as weeks from './weeks.js';

const $ = (id) => document.getElementById(id);
const DAYS = 30;
// days in the report as on this computer's calendar, like "today" here
const TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;
let timer = null;
let risk = null; // the poll of the at-risk list
let lastRisk = null; // its last answer, named anew when the language changes

// local midnight, `back` days ago
function midnight(back = 0) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - back);
  return d;
}

const monday = () => midnight((new Date().getDay() + 6) % 7);
const dayKey = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const iso = (d) => new Date(d).toISOString();
// the share of what is decided; none yet (all pending) is a dash, not 0 %
const pct = (r) => (r.within_target_pct == null ? '\u2013' : `${num(r.within_target_pct)} %`);
const period = (from) => `from=${dayKey(from)}&to=${dayKey(new Date())}&tz=${encodeURIComponent(TZ)}`;
const sla = (from) => `/v1/reports/sla?${period(from)}&group_by=site,topic`;

// One row per call-back at the highest threshold it has passed, soonest
// due first, from the daemon; a row whose due time passed since the last
// answer is a breach now (listed below), not drawn. Unchanged (a 304),
// the rows are drawn again all the same: the time left goes on.
const riskPath = () => '/v1/reports/at-risk';
function showRisk(r) {
  const now = Date.now();
  lastRisk = r;
  fill($('risk'), r.callbacks.filter((c) => Date.parse(c.due_at) > now), (c) => [time(c.due_at),
    left(Date.parse(c.due_at) - now), siteLabel(c.site), topicLabel(c.topic), `${Math.round(c.threshold * 100)} %`,
    timelineButton(c.id)]);
  $('risk-more').hidden = !r.truncated;
}

// click: the refresh button's, which fetches the forecast at once too
async function refresh(click) {
  forecast.refresh(click instanceof Event).catch(failed);
  weeks.refresh(TZ).catch(failed);
  try {
    const days = Array.from({ length: DAYS }, (_, i) => dayKey(midnight(DAYS - 1 - i)));
    const [today, week, perDay, breaches] = await Promise.all([
      api('GET', sla(midnight())),
      api('GET', sla(monday())),
      api('GET', `/v1/reports/sla?${period(midnight(DAYS - 1))}&group_by=day`),
      api('GET', `/v1/reports/breaches?${period(midnight(6))}`),
    ]);
    fill($('today'), today.rows, (r) => [siteLabel(r.site), topicLabel(r.topic), r.requests, pct(r), r.breached, r.pending]);
    fill($('week'), week.rows, (r) => [siteLabel(r.site), topicLabel(r.topic), r.requests, pct(r), r.breached, r.pending]);
    $('chart').replaceChildren(compliance(perDay.rows, days,
      { label: t('per_day'), requests: t('requests'), pending: t('pending'), none: t('no_requests') }));
    fill($('breaches'), breaches.breaches, (b) => [time(b.due_at), siteLabel(b.site), topicLabel(b.topic), t(b.reason),
      b.minutes_late, timelineButton(b.id)]);
  } catch (err) {
    failed(err);
  }
}

// the reports as files, by their name in the path: the CSV's label
// columns in the page's language
const reportQuery = {
  sla: () => `${period(midnight(DAYS - 1))}&group_by=site,topic&`,
  breaches: () => `${period(midnight(DAYS - 1))}&`,
  'at-risk': () => '',
};
function report(format, name) {
  download(`/v1/reports/${name}?${reportQuery[name]()}format=${format}&lang=${lang}`,
    `callbackd-${name}${format === 'csv-excel' ? '-excel' : ''}.csv`).catch(failed);
}

let wired = false;
export function open() {
  if (!wired) {
    wired = true;
    $('refresh').addEventListener('click', (e) => {
      risk?.now();
      refresh(e);
    });
    // named anew in the page's language: read again (the chart's words too)
    document.addEventListener('langchange', () => {
      if (!timer) return;
      if (lastRisk) showRisk(lastRisk);
      refresh();
    });
    $('dl-csv').addEventListener('click', () => report('csv', 'sla'));
    $('dl-excel').addEventListener('click', () => report('csv-excel', 'sla'));
    $('dl-breaches').addEventListener('click', () => report('csv', 'breaches'));
    $('dl-breaches-excel').addEventListener('click', () => report('csv-excel', 'breaches'));
    $('dl-risk').addEventListener('click', () => report('csv', 'at-risk'));
    $('dl-risk-excel').addEventListener('click', () => report('csv-excel', 'at-risk'));
  }
  risk?.stop();
  risk = poll(riskPath, showRisk);
  refresh();
  clearInterval(timer);
  timer = setInterval(() => document.hidden || refresh(), 30000);
}

export function close() {
  clearInterval(timer);
  timer = null;
  risk?.stop();
  risk = null;
}
