import { check, api, shoot, textOf, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

// The pages that update themselves (README, "Pages that update
// themselves"): the caseworker's queue polled with its ETag, an urgent
// callback announced in a banner and a notification without personal
// data, the attempt results by key, a network drop within the lease and
// one past it; the manager's at-risk list polled with its ETag.
export const permissions = ['notifications'];

const URGENT = { phone: '0231 5557777', name: 'Erika Muster', topic: 'housing_approval', site: 'dortmund', urgent: true };

// a condition of the page or of the API, asked every 100 ms, for a bounded time
async function until(what, fn, timeout = WAIT) {
  for (const end = Date.now() + timeout; Date.now() < end;) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const callback = async (id) => (await api('GET', `/v1/callbacks/${id}`, env.AGENT_TOKEN)).body;

export default async function (page) {
  const context = page.context();
  // every notification the page makes, and every request for permission
  await page.addInitScript(() => {
    const Real = window.Notification;
    window.notes = [];
    window.asked = 0;
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.notes.push({ title, body: options?.body ?? '' });
      }

      static requestPermission(...args) {
        window.asked++;
        return Real.requestPermission(...args);
      }
    };
  });
  const answers = []; // [path, status, etag]
  const beats = { failed: 0, ok: 0 };
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    answers.push([path, r.status(), r.headers().etag]);
    if (path.endsWith('/heartbeat') && r.status() === 200) beats.ok++;
  });
  page.on('requestfailed', (r) => {
    if (new URL(r.url()).pathname.endsWith('/heartbeat')) beats.failed++;
  });
  const seen = (path, status) => answers.filter((a) => a[0] === path && a[1] === status);

  // signed in, the queue as it is; polled again, unchanged: a 304
  await signIn(page, env.CW_TOKEN);
  await page.locator('#next').waitFor({ state: 'visible', timeout: WAIT });
  await waitText(page, '#queue', 'general');
  check(await page.locator('#notify').isHidden(), 'no button to ask: notifications are allowed already');
  check((await page.evaluate(() => window.asked)) === 0, 'the page never asks on its own');
  await until('a 304 of the unchanged queue', () => seen('/v1/queue', 304).length > 0, 15000);
  const first = seen('/v1/queue', 200)[0];
  check(first && /^"[0-9a-f]{32}"$/.test(first[2]), `the queue came with its ETag: ${first}`);
  await axe(page, 'caseworker, queue polled');
  await page.evaluate(() => { window.sameDocument = true; });

  // an urgent callback filed while the page is open
  const filed = await api('POST', '/v1/callbacks', env.TELEPHONY_TOKEN, URGENT);
  check(filed.status === 201, `filed: ${filed.status}`);
  await page.locator('#urgent-banner').waitFor({ state: 'visible', timeout: 15000 });
  check((await page.getAttribute('#urgent-banner', 'role')) === 'alert', 'the banner is an alert');
  const banner = await textOf(page, '#urgent-banner');
  check(banner.includes('dringender') && banner.includes('housing_approval'), `banner: ${banner}`);
  check((await page.locator('#queue tr').count()) === 2, 'both in the queue');
  await waitText(page, '#queue', 'dringend');
  check(await page.evaluate(() => window.sameDocument === true), 'without a reload');
  const changed = seen('/v1/queue', 200).at(-1);
  check(changed[2] !== first[2], 'a new ETag for the changed queue');
  const notes = await page.evaluate(() => window.notes);
  check(notes.length === 1, `one notification, not ${notes.length}`);
  const note = notes[0].title + ' ' + notes[0].body;
  check(note.includes('Dringender Rückruf') && note.includes('housing_approval'), `notification: ${note}`);
  check(!/5557777|Erika|Muster/.test(note), `no personal data in the notification: ${note}`);
  await shoot(page, 'live-urgent');
  await axe(page, 'caseworker, urgent call-back announced');

  // claimed by keyboard: the urgent one comes first, and the banner goes
  await page.focus('#next');
  await page.keyboard.press('Enter');
  await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, '#cb-topic')) === 'housing_approval', 'the urgent one first');
  await page.locator('#urgent-banner').waitFor({ state: 'hidden', timeout: WAIT });
  const keys = await page.$$eval('#results button', (bs) => bs.map((b) =>
    [b.dataset.result, b.getAttribute('aria-keyshortcuts'), b.querySelector('kbd')?.textContent]));
  check(keys.length >= 5 && keys.every(([, k, shown], i) => k === String(i + 1) && shown === k),
    `each result has its key, shown on its button: ${JSON.stringify(keys)}`);
  check((await textOf(page, '#keys-hint')).includes(`1 bis ${keys.length}`), 'the keys are explained');
  await waitText(page, '#cb-attempts', 'keine');
  await axe(page, 'caseworker, claimed, with shortcuts');

  // a digit typed into the note is text; out of the field, it logs
  await page.focus('#attempt-note');
  await page.keyboard.type('Rückruf 2 versucht');
  check((await page.inputValue('#attempt-note')) === 'Rückruf 2 versucht', 'the digit is in the note');
  check((await callback(filed.body.id)).attempts.length === 0, 'typing logs nothing');
  await page.keyboard.press('Tab');
  await page.keyboard.press('2');
  await waitText(page, '#status', 'Versuch erfasst');
  const logged = await callback(filed.body.id);
  check(logged.attempts.length === 1 && logged.attempts[0].result === keys[1][0] &&
    logged.attempts[0].note === 'Rückruf 2 versucht', `key 2 logged ${keys[1][0]}: ${JSON.stringify(logged.attempts)}`);
  check(await page.locator('#current').isHidden(), 'put away once logged');
  await shoot(page, 'live-logged-by-key');
  await axe(page, 'caseworker, logged by key');

  // a network drop within the lease (6 s here): the banner, the lease kept
  await page.keyboard.press('Enter'); // "next" has the focus again
  await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, '#cb-topic')) === 'general', 'the other one next');
  await context.setOffline(true);
  await page.locator('#offline').waitFor({ state: 'visible', timeout: WAIT });
  const failedBefore = beats.failed;
  await until('a heartbeat that found no network', () => beats.failed > failedBefore);
  await waitText(page, '#offline', 'nicht erreichbar');
  await waitText(page, '#offline-lease', 'reserviert');
  await shoot(page, 'live-offline');
  await axe(page, 'caseworker, offline within the lease');
  const okBefore = beats.ok;
  await context.setOffline(false);
  await until('a heartbeat answered', () => beats.ok > okBefore);
  await page.locator('#offline').waitFor({ state: 'hidden', timeout: WAIT });
  check(await page.locator('#current').isVisible(), 'the call-back is still here');
  const kept = await callback(env.CB_ID);
  check(kept.state === 'claimed' && kept.claimed_by === 'bert' && kept.lapsed_leases === 0,
    `the lease was kept: ${kept.state}, ${kept.lapsed_leases}`);

  // a drop past the lease: told so once back, and the call-back put away
  await context.setOffline(true);
  await page.locator('#offline').waitFor({ state: 'visible', timeout: WAIT });
  await until('the lease lapsed', async () => (await callback(env.CB_ID)).state === 'queued', 20000);
  await waitText(page, '#offline-lease', 'lief um');
  await shoot(page, 'live-offline-lapsed');
  await axe(page, 'caseworker, offline past the lease');
  await context.setOffline(false);
  await page.locator('#lease-gone').waitFor({ state: 'visible', timeout: WAIT });
  const gone = await textOf(page, '#lease-gone');
  check(gone.includes('abgelaufen') && gone.includes('nicht erreichbar war'), `told plainly: ${gone}`);
  check(await page.locator('#current').isHidden(), 'the call-back is put away');
  check(!(await page.locator('#next').isDisabled()), 'the next one may be claimed');
  await page.locator('#offline').waitFor({ state: 'hidden', timeout: WAIT });
  const lapsed = await callback(env.CB_ID);
  check(lapsed.state === 'queued' && lapsed.lapsed_leases === 1 && lapsed.attempts.length === 0,
    `lapsed, no attempt: ${lapsed.state}, ${lapsed.lapsed_leases}, ${lapsed.attempts.length}`);
  await shoot(page, 'live-lease-lost');
  await axe(page, 'caseworker, lease lost');

  // the manager's at-risk list, polled the same way
  const RISK = '/v1/reports/at-risk';
  await page.click('#signout');
  await signIn(page, env.MANAGER_TOKEN);
  await page.locator('#risk').waitFor({ state: 'visible', timeout: WAIT });
  await until('a 304 of the unchanged list', () => seen(RISK, 304).length > 0, 15000);
  const tags = new Set(seen(RISK, 200).map((a) => a[2]));
  // rows of callbacks (an empty list has one row that says so)
  const rows = () => page.locator('#risk tr', { hasText: '%' }).count();
  const had = await rows();
  // asked 47 of its 48 hours ago: at risk at once, due in an hour; the
  // list changes and the page shows it without a reload
  const old = new Date(Date.now() - 47 * 3600000).toISOString().replace(/\.\d+Z$/, 'Z');
  const late = await api('POST', '/v1/callbacks', env.TELEPHONY_TOKEN,
    { phone: '0231 5558888', topic: 'general', site: 'dortmund', requested_at: old });
  check(late.status === 201, `filed: ${late.status}`);
  await until('the changed list', () => seen(RISK, 200).some((a) => !tags.has(a[2])), 20000);
  await until('one row more', async () => (await rows()) === had + 1, 5000);
  await waitText(page, '#risk', '90 %');
  check(await page.locator('#risk-more').isHidden(), 'the whole list is shown');
  await shoot(page, 'live-manager-at-risk');
  // its story one click away, as a breach's, with the warning in it
  await page.click(`#risk button[data-timeline="${late.body.id}"]`);
  await page.locator('#timeline[open]').waitFor({ timeout: WAIT });
  await waitText(page, '#tl-list', 'Angefragt');
  await waitText(page, '#tl-list', 'Warnung gesendet');
  await page.keyboard.press('Escape');
  await page.locator('#timeline').waitFor({ state: 'hidden', timeout: WAIT });
  await axe(page, 'manager, at-risk list polled');

  // a hidden tab asks nothing (for longer than a poll's interval), and
  // asks at once when shown again
  const asked = () => answers.filter((a) => a[0] === RISK).length;
  const visible = (shown) => page.evaluate((v) => {
    Object.defineProperty(document, 'hidden', { value: !v, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, shown);
  await visible(false);
  let before = asked();
  await until('no poll under way', async () => {
    await page.waitForTimeout(500);
    const now = asked();
    const still = now === before;
    before = now;
    return still;
  });
  await page.waitForTimeout(7000);
  check(asked() === before, `a hidden tab polled ${asked() - before} times`);
  await visible(true);
  await until('a poll once shown', () => asked() > before, 3000);
}
