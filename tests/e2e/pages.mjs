// callbackd's web pages in headless Chromium (Debian's, through
// playwright-core): one scenario per run, named on the command line, with
// the daemon's URL, tokens and ids in the environment (tests/e2e/run.py
// sets them). Screenshots go to $OUT. Fails on any error on the page,
// Content-Security-Policy violations included, and on anything the page
// writes to the console (so no personal data either). Every wait is bounded.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

const env = process.env;
const scenario = process.argv[2];
const WAIT = 10000;
mkdirSync(env.OUT, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error(what);
}

async function api(method, path, tok, body) {
  const res = await fetch(env.BASE + path, {
    method,
    headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

// a full-page picture of a scrolled page draws the sticky header mid-page
async function shoot(page, name) {
  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: `${env.OUT}/${name}.png`, fullPage: true });
}

async function textOf(page, sel) {
  return (await page.locator(sel).textContent()) ?? '';
}

async function waitText(page, sel, want, timeout = WAIT) {
  await page.waitForFunction(([s, w]) => (document.querySelector(s)?.textContent ?? '').includes(w),
    [sel, want], { timeout });
}

async function signIn(page, token, shot) {
  await page.goto(env.BASE + '/');
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
  if (shot) await page.screenshot({ path: `${env.OUT}/${shot}.png` });
  // by keyboard: the token field has the focus, Enter signs in
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
}

const scenarios = {
  // claims, logs no_answer: the callback is back in the queue with its back-off
  async caseworker(page) {
    await signIn(page, env.CW_TOKEN, 'signin');
    await page.locator('#next').waitFor({ state: 'visible', timeout: WAIT });
    await shoot(page, 'caseworker-empty');
    await page.click('#next');
    await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
    check((await page.getAttribute('#cb-phone', 'href')) === `tel:${env.CB_PHONE}`, 'phone is a tel: link');
    check(/\d/.test(await textOf(page, '#cb-left')), 'the time left is shown');
    check((await textOf(page, '#cb-topic')) === 'general', 'topic shown');
    check(await page.locator('#next').isDisabled(), 'one call-back at a time');
    await waitText(page, '#cb-attempts', 'keine');
    await shoot(page, 'caseworker-claimed');
    const claimed = await api('GET', `/v1/callbacks/${env.CB_ID}`, env.AGENT_TOKEN);
    check(claimed.body.state === 'claimed' && claimed.body.claimed_by === 'anna', 'claimed in the API');
    await page.fill('#attempt-note', 'Mailbox voll');
    await page.click('#results button[data-result="no_answer"]');
    await waitText(page, '#status', 'Versuch erfasst');
    check(await page.locator('#current').isHidden(), 'the callback is put away');
    const after = await api('GET', `/v1/callbacks/${env.CB_ID}`, env.AGENT_TOKEN);
    check(after.body.state === 'queued', `back in the queue, not ${after.body.state}`);
    check(Date.parse(after.body.not_before) > Date.now() + 60000, 'not before its back-off');
    check(after.body.attempts.length === 1 && after.body.attempts[0].result === 'no_answer'
      && after.body.attempts[0].note === 'Mailbox voll', 'the attempt is on record');
    await shoot(page, 'caseworker-logged');

    // the next one: the lease (6 s here) outlives twice its length while
    // the page is open, and is given back when the page is left
    await page.click('#next');
    await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
    await page.waitForTimeout(13000);
    const kept = await api('GET', `/v1/callbacks/${env.CB2_ID}`, env.AGENT_TOKEN);
    check(kept.body.state === 'claimed' && kept.body.lapsed_leases === 0, 'the lease was kept alive');
    await page.goto('about:blank');
    let back = null;
    for (let i = 0; i < 20 && back?.state !== 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      back = (await api('GET', `/v1/callbacks/${env.CB2_ID}`, env.AGENT_TOKEN)).body;
    }
    check(back.state === 'queued' && back.lapsed_leases === 0, `given back on leaving, not ${back.state}`);
  },

  // a bad phone gets the API's message at the phone field; a good one is created
  async agent(page) {
    await signIn(page, env.AGENT_TOKEN);
    await page.locator('#create').waitFor({ state: 'visible', timeout: WAIT });
    await page.fill('#f-phone', '12');
    await page.selectOption('#f-topic', 'general');
    await page.click('#create button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('.field[data-field="phone"] .error').textContent.length > 0,
      null, { timeout: WAIT });
    check(await page.locator('#f-phone').evaluate((e) => e === document.activeElement), 'focus on the phone field');
    check((await page.getAttribute('#f-phone', 'aria-invalid')) === 'true', 'marked invalid');
    await shoot(page, 'agent-bad-phone');
    await page.fill('#f-phone', '0231 5550123');
    await page.fill('#f-ref', 'KD-4711');
    await page.click('#create button[type="submit"]');
    await waitText(page, '#create-done', 'Angelegt');
    check((await textOf(page, '.field[data-field="phone"] .error')) === '', 'the message is gone');
    await page.selectOption('#s-by', 'customer_ref');
    await page.fill('#s-q', 'KD-4711');
    await page.click('#search button[type="submit"]');
    await waitText(page, '#found', 'wartet');
    await page.click('#found button');
    await page.selectOption('#aa-result', 'busy');
    await page.click('#agent-attempt button[type="submit"]');
    await waitText(page, '#status', 'Versuch erfasst');
    const found = await api('GET', '/v1/callbacks?customer_ref=KD-4711', env.AGENT_TOKEN);
    check(found.body.callbacks.length === 1 && found.body.callbacks[0].attempt_count === 1, 'attempt logged by the agent');
    await shoot(page, 'agent-created');
    // signing out leaves neither the token nor what was found behind
    await page.click('#signout');
    await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
    check(await page.evaluate(() => sessionStorage.length === 0), 'token forgotten');
    check(await page.evaluate(() => !document.body.textContent.includes('KD-4711')
      && [...document.querySelectorAll('input, textarea')].every((e) => !e.value.includes('KD-4711'))),
    'neither results nor what was typed stay behind');
    // a token refused on the way (revoked, expired) signs the page out, saying why
    await signIn(page, env.AGENT_TOKEN);
    await page.locator('#search').waitFor({ state: 'visible', timeout: WAIT });
    await page.evaluate(() => sessionStorage.setItem('callbackd.token', 'cbd_' + '0'.repeat(64)));
    await page.fill('#s-q', 'KD-4711');
    await page.click('#search button[type="submit"]');
    await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
    await waitText(page, '#signin-error', 'gilt nicht mehr');
    check(await page.evaluate(() => sessionStorage.length === 0), 'the refused token is forgotten');
  },

  // a callback with a 4 s target runs out and shows up as a breach
  async manager(page) {
    await signIn(page, env.MANAGER_TOKEN);
    await page.locator('#refresh').waitFor({ state: 'visible', timeout: WAIT });
    await page.locator('#chart svg').waitFor({ timeout: WAIT });
    let seen = false;
    for (let i = 0; i < 30 && !seen; i++) {
      await page.click('#refresh');
      await page.waitForTimeout(1000);
      seen = (await textOf(page, '#breaches')).includes('offen über die Frist');
    }
    check(seen, 'the breach is listed with its reason');
    check((await textOf(page, '#today')).includes('quick'), "today's compliance lists the topic");
    const rows = await page.evaluate(() => [...document.querySelectorAll('#today tr')]
      .map((tr) => [...tr.cells].map((td) => td.textContent).join('|')));
    check(rows.includes('soest|general|1|\u2013|0|1'),
      `an undecided row: no share (a dash), 0 breached, 1 pending (${rows.join('; ')})`);
    check(rows.includes('dortmund|quick|1|0 %|1|0'), `a decided row: 0 % (${rows.join('; ')})`);
    check((await page.locator('#chart rect').count()) === 30, 'a slot per day for 30 days');
    check((await page.locator('#chart rect.poor').count()) === 1, "today's breach in the chart");
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click('#dl-excel')]);
    check(download.suggestedFilename() === 'callbackd-sla-excel.csv', 'Excel download offered');
    const excel = readFileSync(await download.path(), 'utf8');
    check(excel.startsWith('\uFEFFsite;topic;'), 'Excel-CSV: BOM and semicolons');
    await shoot(page, 'manager');
  },

  // English labels for an English browser
  async english(page) {
    await signIn(page, env.MANAGER_TOKEN, 'english-signin');
    check((await textOf(page, 'label[for="token"]')) === 'Access token', 'English label');
    await waitText(page, '#manager', 'Breaches (7 days)');
    await page.locator('#chart svg').waitFor({ timeout: WAIT });
    await shoot(page, 'english-manager');
  },
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
let code = 0;
try {
  const context = await browser.newContext({
    locale: scenario === 'english' ? 'en-US' : 'de-DE',
    viewport: { width: 1280, height: 720 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // an API refusal (4xx) is logged by Chromium and expected; the page
  // itself logs nothing
  page.on('console', (m) => {
    if (!(m.type() === 'error' && /status of 4\d\d/.test(m.text()))) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  await scenarios[scenario](page);
  check(problems.length === 0, problems.join('; '));
} catch (err) {
  console.error(`${scenario}: ${err.message}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
