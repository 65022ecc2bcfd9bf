// callbackd's web pages in headless Chromium (Debian's, through
// playwright-core): one scenario per run, named on the command line, with
// the daemon's URL, tokens and ids in the environment (tests/e2e/run.py
// sets them). Screenshots go to $OUT. Fails on any error on the page,
// Content-Security-Policy violations included. Every wait is bounded.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

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

async function textOf(page, sel) {
  return (await page.locator(sel).textContent()) ?? '';
}

async function waitText(page, sel, want, timeout = WAIT) {
  await page.waitForFunction(([s, w]) => (document.querySelector(s)?.textContent ?? '').includes(w),
    [sel, want], { timeout });
}

async function signIn(page, token) {
  await page.goto(env.BASE + '/');
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
  // by keyboard: the token field has the focus, Enter signs in
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
}

const scenarios = {
  // claims, logs no_answer: the callback is back in the queue with its back-off
  async caseworker(page) {
    await signIn(page, env.CW_TOKEN);
    await page.locator('#next').waitFor({ state: 'visible', timeout: WAIT });
    await page.screenshot({ path: `${env.OUT}/caseworker-empty.png`, fullPage: true });
    await page.click('#next');
    await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
    check((await page.getAttribute('#cb-phone', 'href')) === `tel:${env.CB_PHONE}`, 'phone is a tel: link');
    check(/\d/.test(await textOf(page, '#cb-left')), 'the time left is shown');
    check((await textOf(page, '#cb-topic')) === 'general', 'topic shown');
    await waitText(page, '#cb-attempts', 'keine');
    await page.screenshot({ path: `${env.OUT}/caseworker-claimed.png`, fullPage: true });
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
    await page.screenshot({ path: `${env.OUT}/caseworker-logged.png`, fullPage: true });

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
    await page.screenshot({ path: `${env.OUT}/agent-bad-phone.png`, fullPage: true });
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
    await page.screenshot({ path: `${env.OUT}/agent-created.png`, fullPage: true });
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
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click('#dl-excel')]);
    check(download.suggestedFilename() === 'callbackd-sla-excel.csv', 'Excel download offered');
    await page.screenshot({ path: `${env.OUT}/manager.png`, fullPage: true });
  },

  // English labels for an English browser
  async english(page) {
    await page.goto(env.BASE + '/');
    await waitText(page, 'h1', 'Call-backs');
    check((await textOf(page, 'label[for="token"]')) === 'Access token', 'English label');
    await page.screenshot({ path: `${env.OUT}/english-signin.png` });
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
  // an API refusal (4xx) is logged by Chromium and expected; anything else is not
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
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
