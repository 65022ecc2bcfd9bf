import { check, shoot, signIn, axe, api, WAIT, env } from '../lib.mjs';

// The manager's forecast: dortmund's backlog (nobody works there) breaches
// within 48 h and is marked in words; the table shows the forecast's
// numbers per site and topic, the chart a bar per due day with the same
// counts as its table, overdue days marked; the 8 weeks of compliance show
// the SLA report's shares, a dash where nothing was decided. Then the same
// page in English.

const DASH = '\u2013';

// The browser 14 hours ahead of the sites (24x7, UTC): from 10:00 UTC on
// its date is the sites' tomorrow; which due days are overdue is the
// sites' to say (the forecast's today), not the browser's.
export const timezoneId = 'Pacific/Kiritimati';

// what the page was answered, captured as it arrives
function answers(page) {
  const got = {};
  page.on('response', async (res) => {
    const u = new URL(res.url());
    if (res.status() !== 200) return;
    if (u.pathname === '/v1/reports/forecast') got.forecast = { url: u, body: await res.json() };
    if (u.pathname === '/v1/reports/sla' && u.searchParams.get('group_by') === 'site,week') {
      got.weeks = { url: u, body: await res.json() };
    }
  });
  return got;
}

async function until(what, fn) {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const rows = (page, sel) => page.evaluate((s) => [...document.querySelectorAll(s)]
  .map((tr) => [...tr.cells].map((c) => c.textContent.trim())), sel);

// the page's own formats, in its language and time zone
const formats = (page, values) => page.evaluate(([v, loc]) => {
  const n = new Intl.NumberFormat(loc, { maximumFractionDigits: 1 });
  const w = new Intl.DateTimeFormat(loc, { dateStyle: 'short', timeStyle: 'short' });
  return v.map(([kind, x]) => (x == null ? '\u2013' : kind === 't' ? w.format(new Date(x)) : n.format(x)));
}, [values, 'de-DE']);

const sum = (l, f) => l.reduce((a, x) => a + f(x), 0);

async function forecastTable(page, fc) {
  const dm = fc.sites.find((s) => s.site === 'dortmund');
  check(dm && dm.breaches > 0 && dm.first_breach_at, `dortmund's backlog breaches (${JSON.stringify(dm)})`);
  check(sum(dm.topics, (x) => x.backlog) === 7, 'the 7 open callbacks of dortmund are its backlog');
  check(sum(dm.topics, (x) => x.retries) === 1, 'and the one attempted already is to call again');
  check(dm.unavoidable >= 2, `dortmund's two overdue ones cannot be saved (${dm.unavoidable})`);
  const so = fc.sites.find((s) => s.site === 'soest');
  check(so && so.breaches === 0 && so.topics.find((x) => x.topic === 'general').arrivals > 0,
    `soest expects requests, none to breach (${JSON.stringify(so)})`);
  for (const s of fc.sites) {
    const [site, ...cells] = (await rows(page, `#fc-sites tbody[data-site="${s.site}"] tr.site-row`))[0];
    const want = await formats(page, [['n', sum(s.topics, (x) => x.backlog)], ['n', sum(s.topics, (x) => x.retries)],
      ['n', sum(s.topics, (x) => x.arrivals)],
      ['n', sum(s.topics, (x) => x.urgent_arrivals)], ['n', s.breaches], ['t', s.first_breach_at],
      ['n', s.extra_hours_per_day], ['n', s.capacity_hours]]);
    want[7] += s.staffing === 'plan' ? ' (laut Plan)' : ' (laut Verlauf)';
    // the breaches no staffing saves any more are said beside them
    if (s.unavoidable) want[4] += ` (nicht mehr zu verhindern: ${(await formats(page, [['n', s.unavoidable]]))[0]})`;
    check(JSON.stringify(cells) === JSON.stringify(want), `${s.site}: ${cells.join('|')} is not ${want.join('|')}`);
    // marked in words (and by its row's class) exactly when breaches are projected
    check(site.includes('Überschreitungen erwartet') === s.breaches > 0, `${s.site} marked: ${site}`);
    const marked = await page.locator(`#fc-sites tbody.breach[data-site="${s.site}"]`).count();
    check(marked === (s.breaches > 0 ? 1 : 0), `${s.site}: marked row`);
    for (const tp of s.topics) {
      const [name, ...tc] = (await rows(page, `#fc-sites tbody[data-site="${s.site}"] tr[data-topic="${tp.topic}"]`))[0];
      const tw = await formats(page, [['n', tp.backlog], ['n', tp.retries], ['n', tp.arrivals], ['n', tp.urgent_arrivals],
        ['n', tp.breaches], ['t', tp.first_breach_at]]);
      check(name === tp.topic && JSON.stringify(tc.slice(0, 6)) === JSON.stringify(tw),
        `${s.site}/${tp.topic}: ${tc.join('|')} is not ${tw.join('|')}`);
    }
  }
}

// the backlog by due day: each site's bars and the table against the
// forecast's backlog_by_due, summed over topics
async function backlogChart(page, fc) {
  check(fc.sites.every((s) => /^\d{4}-\d\d-\d\d$/.test(s.today) && s.until >= s.today), 'each site names its today');
  const now = fc.sites.reduce((a, s) => (s.today < a ? s.today : a), fc.sites[0].today);
  check(now === new Date(fc.from).toISOString().slice(0, 10), `the sites' today is UTC's (${now})`);
  const dueRows = await rows(page, '#fc-due tbody tr');
  const head = (await rows(page, '#fc-due thead tr'))[0];
  for (const [i, s] of fc.sites.entries()) {
    const per = new Map();
    for (const tp of s.topics) for (const d of tp.backlog_by_due) per.set(d.date, (per.get(d.date) ?? 0) + d.count);
    const bars = await page.evaluate((site) => [...document.querySelectorAll(`#fc-charts figure[data-site="${site}"] rect.bar`)]
      .map((r) => ({ n: +r.dataset.count, h: +r.getAttribute('height'), overdue: r.classList.contains('overdue'),
        title: r.querySelector('title').textContent })), s.site);
    const want = [...per].filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1));
    check(bars.length === want.length, `${s.site}: ${bars.length} bars for ${want.length} due days`);
    const max = Math.max(...bars.map((b) => b.h), 0), top = Math.max(...want.map(([, n]) => n), 0);
    want.forEach(([date, n], j) => {
      const b = bars[j];
      check(b.n === n, `${s.site} ${date}: bar of ${b.n}, not ${n}`);
      check(Math.abs(b.h / max - n / top) < 0.02, `${s.site} ${date}: bar height ${b.h} of ${max} for ${n} of ${top}`);
      check(b.overdue === (date < now) && b.title.includes('überfällig') === (date < now),
        `${s.site} ${date}: overdue marked ${b.overdue}`);
    });
    // the text alternative: the same counts, overdue days said in words
    check(head[i + 1] === s.site, `the table's column ${i + 1} is ${s.site}`);
    check(sum(dueRows, (r) => +r[i + 1]) === sum(want, ([, n]) => n), `${s.site}: the table adds up`);
    for (const [date, n] of want) {
      const [, m, d] = date.split('-');
      const row = dueRows.find((r) => r[0].startsWith(`${d}.${m}.`));
      check(row && +row[i + 1] === n && row[0].includes('(überfällig)') === (date < now),
        `${s.site} ${date}: table row ${row}`);
    }
    const label = await page.locator(`#fc-charts figure[data-site="${s.site}"] svg`).getAttribute('aria-label');
    check(label.startsWith(`${s.site}: ${sum(want, ([, n]) => n)} offen`), `${s.site}: the chart's name ${label}`);
  }
  const dmLate = await page.locator('#fc-charts figure[data-site="dortmund"] rect.bar.overdue').count();
  check(dmLate >= 1, 'dortmund has overdue days');
  check((await page.locator('#fc-charts figure[data-site="dortmund"] .overdue-label').textContent()) === 'überfällig',
    'the overdue days are labelled');
}

// 8 weeks, one column each, the SLA report's shares; dashes where nothing is decided
async function weekTable(page, weeks) {
  const hist = JSON.parse(env.HISTORY_WEEKS); // Mondays 1..7 weeks back
  const cols = await page.evaluate(() => [...document.querySelectorAll('#weeks thead th[data-week]')].map((c) => c.dataset.week));
  check(cols.length === 8, `8 weeks: ${cols}`);
  check(weeks.url.searchParams.get('from') === cols[0], `the report starts with the first week (${weeks.url})`);
  const cells = {};
  for (const r of await rows(page, '#weeks tbody tr')) cells[r[0]] = Object.fromEntries(cols.map((w, i) => [w, r[i + 1]]));
  const api = new Map(weeks.body.rows.map((r) => [`${r.site}|${r.week}`, r]));
  for (const site of ['dortmund', 'soest']) {
    for (const w of cols) {
      const r = api.get(`${site}|${w}`);
      const want = !r || r.within_target_pct == null ? DASH : `${(await formats(page, [['n', r.within_target_pct]]))[0]} %`;
      check(cells[site][w] === want, `${site}, week of ${w}: ${cells[site][w]}, the report ${JSON.stringify(r)}`);
    }
  }
  // by hand: dortmund 4 of 5, 6 of 7, 3 of 5 (last week's takes in the
  // open backlog, overdue since); soest 3 of 3, then a week of requests
  // all cancelled before they were due, and one with none at all
  const want = [['dortmund', 1, '80 %'], ['dortmund', 2, '85,7 %'], ['dortmund', 3, '60 %'],
    ['soest', 0, '100 %'], ['soest', 2, DASH], ['soest', 4, DASH]];
  for (const [site, k, text] of want) {
    if (!cols.includes(hist[k])) continue; // the browser's week is not UTC's
    check(cells[site][hist[k]] === text, `${site}, week of ${hist[k]}: ${cells[site][hist[k]]}, not ${text}`);
  }
  const undecided = api.get(`soest|${env.UNDECIDED_WEEK}`);
  check(undecided && undecided.requests === 2 && undecided.within_target_pct === null,
    `the report has soest's undecided week (${JSON.stringify(undecided)})`);
  check(cells.soest[env.UNDECIDED_WEEK] === DASH, 'a week with requests but nothing decided is a dash, not 0 %');
}

export default async function (page) {
  const got = answers(page);
  await signIn(page, env.MANAGER_TOKEN);
  await page.locator('#fc-sites tbody[data-site="dortmund"]').waitFor({ timeout: WAIT });
  await page.locator('#weeks tbody tr[data-site]').first().waitFor({ timeout: WAIT });
  await page.locator('#fc-charts svg').first().waitFor({ timeout: WAIT });
  const fc = await until('the forecast', () => got.forecast);
  const weeks = await until('the weekly report', () => got.weeks);
  check(fc.url.searchParams.get('horizon') === '48h', 'a 48 h horizon');
  // the page's numbers are the API's: the same again beside the page
  const again = await api('GET', '/v1/reports/forecast?horizon=48h', env.MANAGER_TOKEN);
  check(again.status === 200 && JSON.stringify(again.body.sites.map((s) => [s.site, s.breaches]))
    === JSON.stringify(fc.body.sites.map((s) => [s.site, s.breaches])), 'the forecast beside the page agrees');
  await forecastTable(page, fc.body);
  await backlogChart(page, fc.body);
  await weekTable(page, weeks);
  await axe(page, 'manager with forecast');
  await shoot(page, 'forecast');

  // the refresh button fetches the forecast again at once
  got.forecast = null;
  await page.click('#refresh');
  await until('the forecast again', () => got.forecast);
  await page.locator('#fc-sites tbody[data-site="dortmund"]').waitFor({ timeout: WAIT });
  await axe(page, 'manager with forecast, refreshed');

  // in English
  const en = await page.context().browser().newContext({ locale: 'en-GB', viewport: { width: 1280, height: 720 } });
  try {
    const p = await en.newPage();
    const problems = [];
    p.on('pageerror', (e) => problems.push(e.message));
    await signIn(p, env.MANAGER_TOKEN);
    await p.locator('#fc-sites tbody[data-site="dortmund"] .flag').waitFor({ timeout: WAIT });
    await p.locator('#weeks thead th[data-week]').first().waitFor({ timeout: WAIT });
    const text = await p.locator('#manager').textContent();
    for (const s of ['Forecast: breaches expected (48 h)', 'breaches expected', 'Open call-backs by due day',
      'Compliance per week (8 weeks)', 'Wk ', 'Extra caseworker-hours a day needed', 'nothing decided']) {
      check(text.includes(s), `English: ${s}`);
    }
    check(!/Überschreitungen erwartet|Fällig am|KW /.test(text), 'English: no German left');
    await axe(p, 'manager with forecast, English');
    await shoot(p, 'forecast-english');
    check(problems.length === 0, problems.join('; '));
  } finally {
    await en.close();
  }
}
