// The forecast on the manager's page: per site what the daemon projects
// for the next 48 h (breaches, the first of them, the caseworker-hours a
// day that would prevent them) with its topics under it, and the open
// backlog by due day as a chart per site with the same numbers as a
// table. It reads GET /v1/reports/forecast and nothing else, fills only
// the elements of its own part of the manager section, and computes
// nothing the daemon's forecast does: it shows it. slots() is pure.
import { t, time, num, dayLabel as label } from './i18n.js';
import { api } from './api.js';
import { backlog } from './chart.js';
import { siteLabel, topicLabel } from './words.js';

const $ = (id) => document.getElementById(id);
const DAY = 86400000;
// past due days drawn one by one; older ones share the first slot
const PAST_MAX = 14;
// the forecast's simulation runs a while: on the 30 s timer only this often
const EVERY = 5 * 60000;
// the forecast's "more than it tried" (CBD_FORECAST_EXTRA_HOURS_MAX)
const EXTRA_MAX = 1000;

const dayKey = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const utc = (key) => Date.UTC(+key.slice(0, 4), +key.slice(5, 7) - 1, +key.slice(8, 10));
const key = (ms) => new Date(ms).toISOString().slice(0, 10);

// The chart's slots for the forecast's sites: a day each from the earliest
// due day (today at the latest) to the last (the horizon's end at least),
// those before today overdue, at most PAST_MAX of them (the first then
// takes all days up to it); with each site's counts per slot, summed over
// its topics. today and last: "YYYY-MM-DD".
export function slots(sites, today, last) {
  const per = sites.map((s) => {
    const m = new Map();
    for (const tp of s.topics) for (const d of tp.backlog_by_due) m.set(d.date, (m.get(d.date) ?? 0) + d.count);
    return m;
  });
  const dates = per.flatMap((m) => [...m.keys()]);
  const first = [today, ...dates].reduce((a, b) => (b < a ? b : a));
  const end = [last, ...dates].reduce((a, b) => (b > a ? b : a));
  const days = [];
  for (let ms = utc(first); ms <= utc(end); ms += DAY) days.push(key(ms));
  const past = days.filter((d) => d < today).length;
  const cut = Math.max(0, past - PAST_MAX); // days folded into the first slot
  const list = days.slice(cut).map((d, i) => ({
    from: i === 0 ? first : d, to: d, overdue: d < today,
    label: i === 0 && cut ? `\u2264 ${label(d)}` : label(d),
  }));
  return {
    slots: list,
    counts: per.map((m) => list.map((s) => [...m].reduce((n, [d, c]) => (d >= s.from && d <= s.to ? n + c : n), 0))),
  };
}

function cell(tr, text, head) {
  const c = document.createElement(head ? 'th' : 'td');
  if (head) c.scope = 'row';
  c.append(text ?? '');
  tr.append(c);
  return c;
}

const sum = (list, f) => list.reduce((n, x) => n + f(x), 0);
const firstAt = (at) => (at ? time(at) : '\u2013');
const extra = (h) => (h >= EXTRA_MAX ? `${t('more_than')} ${num(EXTRA_MAX)}` : num(h));

// A tbody per site: the site's row (marked in words when breaches are
// projected), then a row per topic.
function siteRows(s) {
  const body = document.createElement('tbody');
  body.dataset.site = s.site;
  const tr = document.createElement('tr');
  tr.className = 'site-row';
  const name = cell(tr, siteLabel(s.site), true);
  if (s.breaches > 0) {
    body.className = 'breach';
    const flag = document.createElement('span');
    flag.className = 'flag';
    flag.textContent = `\u26a0 ${t('breach_ahead')}`;
    name.append(' ', flag);
  }
  cell(tr, num(sum(s.topics, (x) => x.backlog)));
  cell(tr, num(sum(s.topics, (x) => x.retries)));
  cell(tr, num(sum(s.topics, (x) => x.arrivals)));
  cell(tr, num(sum(s.topics, (x) => x.urgent_arrivals)));
  // of them, those no staffing saves (overdue, due before it opens again)
  cell(tr, s.unavoidable ? `${num(s.breaches)} (${t('fc_unavoidable')} ${num(s.unavoidable)})` : num(s.breaches));
  cell(tr, firstAt(s.first_breach_at));
  cell(tr, extra(s.extra_hours_per_day));
  cell(tr, `${num(s.capacity_hours)} (${t(`staffing_${s.staffing}`)})`);
  body.append(tr);
  for (const tp of s.topics) {
    const r = document.createElement('tr');
    r.className = 'topic-row';
    r.dataset.topic = tp.topic;
    cell(r, topicLabel(tp.topic), true);
    for (const v of [num(tp.backlog), num(tp.retries), num(tp.arrivals), num(tp.urgent_arrivals), num(tp.breaches),
      firstAt(tp.first_breach_at), '', '']) cell(r, v);
    body.append(r);
  }
  return body;
}

// The numbers of the charts: a row per slot, a column per site.
function dueTable(fc, sl) {
  const table = $('fc-due');
  const head = document.createElement('tr');
  for (const text of [t('due_day'), ...fc.sites.map((s) => siteLabel(s.site))]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(...sl.slots.map((s, i) => {
    const tr = document.createElement('tr');
    if (s.overdue) tr.className = 'overdue';
    cell(tr, s.overdue ? `${s.label} (${t('overdue_day')})` : s.label, true);
    sl.counts.forEach((c) => cell(tr, String(c[i])));
    return tr;
  }));
}

function draw(fc) {
  $('fc-about').textContent = `${t('fc_generated')} ${time(fc.generated_at)}, ${t('fc_until')} ${time(fc.to)}; `
    + `${t('fc_history')}: ${fc.history_weeks} ${t('weeks')}`;
  const table = $('fc-sites');
  for (const b of [...table.tBodies]) b.remove();
  if (!fc.sites.length) {
    const b = document.createElement('tbody');
    const tr = document.createElement('tr');
    cell(tr, t('nothing')).colSpan = table.tHead.rows[0].cells.length;
    b.append(tr);
    table.append(b);
  }
  for (const s of fc.sites) table.append(siteRows(s));
  // the sites' own dates, not this computer's: a due day is overdue when
  // it is before the (earliest) site's today
  const today = fc.sites.reduce((a, x) => (x.today < a ? x.today : a), fc.sites[0]?.today ?? dayKey(new Date()));
  const last = fc.sites.reduce((a, x) => (x.until > a ? x.until : a), today);
  const sl = slots(fc.sites, today, last);
  $('fc-charts').replaceChildren(...fc.sites.map((s, i) => {
    const fig = document.createElement('figure');
    fig.dataset.site = s.site;
    const open = sl.counts[i].reduce((a, b) => a + b, 0);
    const late = sl.counts[i].reduce((a, b, j) => (sl.slots[j].overdue ? a + b : a), 0);
    const cap = document.createElement('figcaption');
    cap.textContent = `${siteLabel(s.site)}: ${open} ${t('open_count')}, ${late} ${t('overdue_day')}`;
    fig.append(cap, backlog(sl.slots, sl.counts[i], { label: cap.textContent, overdue: t('overdue_day') }));
    return fig;
  }));
  dueTable(fc, sl);
}

let last = 0;
// force: asked for (opened, the refresh button); else at most every EVERY
export async function refresh(force) {
  if (!force && Date.now() - last < EVERY) return;
  last = Date.now();
  try {
    draw(await api('GET', '/v1/reports/forecast?horizon=48h'));
  } catch (err) {
    last = 0; // try again on the next tick
    throw err;
  }
}
