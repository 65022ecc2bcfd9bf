import { check, api, shoot, textOf, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

const focused = (page, sel) => page.locator(sel).evaluate((e) => e === document.activeElement);
const inDialog = (page, sel) => page.evaluate((s) => !!document.activeElement?.closest(s), sel);

// Tab until `sel` has the focus (at most `n` presses); false if it never does
async function tabTo(page, sel, n = 30) {
  for (let i = 0; i < n; i++) {
    if (await focused(page, sel)) return true;
    await page.keyboard.press('Tab');
  }
  return focused(page, sel);
}

// The admin adds a caseworker and makes a token for them, shown once; the
// token works until the admin revokes it; deactivation ends the
// caseworker's other tokens; the access log lists an agent's read made
// before. Every action by keyboard; dialogs keep the focus and give it back.
export default async function (page) {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.BASE });
  await signIn(page, env.ADMIN_TOKEN);
  await page.locator('#admin').waitFor({ state: 'visible', timeout: WAIT });
  await waitText(page, '#ac-list', env.CB_ID);
  // the read made before: when, by the agent's token, which route, by id only
  const row = await textOf(page, '#ac-list tr:first-child');
  check(row.includes(env.CB_ID), 'the oldest read first');
  check(row.includes(`Nr. ${env.READER_ID}`) && row.includes('Empfang') && row.includes('/v1/callbacks/{id}'),
    `the access log row names the token and the route: ${row}`);
  check(!(await page.evaluate((p) => document.body.innerText.includes(p) || document.body.innerText.includes('Erika'),
    env.CB_PHONE)), 'no caller data on the admin page');
  await axe(page, 'admin');
  await shoot(page, 'admin');
  // 51 reads: 50 on the first page, the last on the next, and back
  check((await page.locator('#ac-list tr').count()) === 50, 'a page of 50 rows');
  check(await page.locator('#ac-first').isDisabled(), 'on the first page');
  const firstAt = await textOf(page, '#ac-list tr:first-child');
  await page.locator('#ac-next').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#ac-list tr').length === 1, null, { timeout: WAIT });
  check(await page.locator('#ac-next').isDisabled(), 'the last page');
  check(await focused(page, '#ac-first'), 'the focus goes on to "to the start"');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#ac-list tr').length === 50, null, { timeout: WAIT });
  check((await textOf(page, '#ac-list tr:first-child')) === firstAt, 'back at the start');
  await page.locator('#cw-new').focus();

  // ---- a caseworker, by keyboard; the dialog keeps the focus -------------
  check(await focused(page, '#cw-new'), 'the view opens with the focus on "add caseworker"');
  await page.keyboard.press('Enter');
  await page.locator('#cw-dialog').waitFor({ state: 'visible', timeout: WAIT });
  check(await focused(page, '#cw-id'), 'the dialog opens at the id');
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    check(await inDialog(page, '#cw-dialog'), `Tab ${i + 1} stays in the dialog`);
  }
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Shift+Tab');
    check(await inDialog(page, '#cw-dialog'), `Shift+Tab ${i + 1} stays in the dialog`);
  }
  await page.keyboard.press('Escape');
  await page.locator('#cw-dialog').waitFor({ state: 'hidden', timeout: WAIT });
  check(await focused(page, '#cw-new'), 'Escape closes, the focus is back on "add caseworker"');

  // the API's refusal at its field: no topic chosen
  await page.keyboard.press('Enter');
  await page.locator('#cw-dialog').waitFor({ state: 'visible', timeout: WAIT });
  await page.keyboard.type('berta');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#e-cw-topics').textContent.length > 0, null, { timeout: WAIT });
  check(await inDialog(page, 'fieldset[data-field="topics"]'), 'the focus is at the topics');
  check((await page.getAttribute('#cw-topics input[value="general"]', 'aria-invalid')) === 'true', 'topics marked invalid');
  await axe(page, 'admin, caseworker dialog with a field error');
  await shoot(page, 'admin-caseworker-error');
  // Space ticks the focused box (general, the third topic), Enter saves
  await page.locator('#cw-topics input[value="general"]').focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter');
  await page.locator('#cw-dialog').waitFor({ state: 'hidden', timeout: WAIT });
  await waitText(page, '#cw-list', 'berta');
  check(await focused(page, '#cw-list button[data-act="edit"][data-id="berta"]'), 'the focus on the new row');
  const made = await api('GET', '/v1/caseworkers/berta', env.ADMIN_TOKEN);
  check(made.status === 200 && made.body.site === 'dortmund' && made.body.topics.join() === 'general'
    && made.body.languages.join() === 'de' && made.body.active, `the caseworker in the API: ${JSON.stringify(made.body)}`);

  // change her languages: the session's list, de and en
  await page.keyboard.press('Enter');
  await page.locator('#cw-dialog').waitFor({ state: 'visible', timeout: WAIT });
  check(await page.locator('#cw-id').evaluate((e) => e.readOnly && e.value === 'berta'), 'the id stays');
  check((await page.locator('#cw-languages input').count()) === 8, "the config's languages to choose from");
  await page.locator('#cw-languages input[value="en"]').focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter');
  await page.locator('#cw-dialog').waitFor({ state: 'hidden', timeout: WAIT });
  // the list names the languages in their own words
  await waitText(page, '#cw-list', 'Deutsch, English');
  const changed = await api('GET', '/v1/caseworkers/berta', env.ADMIN_TOKEN);
  check(changed.body.languages.join() === 'de,en' && changed.body.active, 'languages changed, still active');

  // ---- a token for her, shown once -------------------------------------
  await page.locator('#tk-role').focus();
  await page.selectOption('#tk-role', 'caseworker');
  await page.locator('#tk-cw-field').waitFor({ state: 'visible', timeout: WAIT });
  await page.selectOption('#tk-caseworker', 'berta');
  await page.fill('#tk-label', 'Berta Laptop');
  await page.locator('#tk-label').focus();
  await page.keyboard.press('Enter');
  await page.locator('#tk-shown').waitFor({ state: 'visible', timeout: WAIT });
  const tok = await page.inputValue('#tk-value');
  check(/^cbd_[0-9a-f]{64}$/.test(tok), 'the token is shown');
  check((await textOf(page, '#tk-once')).includes('nicht noch einmal'), 'with the warning that it is shown once');
  check(await focused(page, '#tk-copy'), 'the focus on "copy"');
  await page.keyboard.press('Enter');
  await waitText(page, '#tk-copied', 'kopiert');
  check((await page.evaluate(() => navigator.clipboard.readText())) === tok, 'copied to the clipboard');
  await axe(page, 'admin, token shown once');
  await shoot(page, 'admin-token-shown');
  const session = await api('GET', '/v1/session', tok);
  check(session.status === 200 && session.body.role === 'caseworker' && session.body.caseworker === 'berta',
    `the caseworker's token works: ${session.status}`);
  const queue = await api('GET', '/v1/queue', tok);
  check(queue.status === 200 && queue.body.callbacks.length === 1, 'and shows her queue');
  await page.keyboard.press('Escape');
  await page.locator('#tk-shown').waitFor({ state: 'hidden', timeout: WAIT });
  check(await focused(page, '#tk-label'), 'the focus back where the token was made');
  check(!(await page.evaluate((v) => document.documentElement.outerHTML.includes(v)
    || [...document.querySelectorAll('input')].some((i) => i.value === v), tok)), 'the token is gone from the page');
  const listed = await api('GET', '/v1/tokens', env.ADMIN_TOKEN);
  const mine = listed.body.tokens.find((k) => k.label === 'Berta Laptop');
  check(mine && mine.caseworker === 'berta' && mine.role === 'caseworker', 'listed in the API');
  await waitText(page, '#tk-list', 'Berta Laptop');

  // an expiry: a day gone is refused at its field; a day ahead is valid
  // to that day's end here
  await page.selectOption('#tk-role', 'agent');
  await page.fill('#tk-label', 'Aushilfe');
  await page.fill('#tk-expires', '2020-01-31');
  await page.locator('#tk-label').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#e-tk-expires').textContent.length > 0, null, { timeout: WAIT });
  check(await focused(page, '#tk-expires'), 'the focus at the expiry');
  check((await page.getAttribute('#tk-expires', 'aria-invalid')) === 'true', 'the expiry marked invalid');
  await axe(page, 'admin, token form with a field error');
  await page.fill('#tk-expires', '2030-12-31');
  await page.keyboard.press('Enter');
  await page.locator('#tk-shown').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, '#e-tk-expires')) === '', 'the message is gone');
  await page.keyboard.press('Escape');
  await page.locator('#tk-shown').waitFor({ state: 'hidden', timeout: WAIT });
  const temp = (await api('GET', '/v1/tokens', env.ADMIN_TOKEN)).body.tokens.find((k) => k.label === 'Aushilfe');
  const end = await page.evaluate(() => new Date('2030-12-31T23:59:59.999').getTime());
  check(temp && temp.role === 'agent' && Math.abs(Date.parse(temp.expires_at) - end) < 1000,
    `valid to the end of the day chosen: ${temp?.expires_at}`);
  await waitText(page, '#tk-list', 'Aushilfe');

  // ---- revoke it, confirmed by keyboard; refused from then on ------------
  const revokeSel = `#tk-list button[data-act="revoke"][data-id="${mine.id}"]`;
  check(await tabTo(page, revokeSel), 'the revoke button is reached by Tab');
  await page.keyboard.press('Enter');
  await page.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, '#confirm-text')).includes(`Nr. ${mine.id}`), 'the confirmation names the token');
  await axe(page, 'admin, confirm revocation');
  // Escape: nothing happens
  await page.keyboard.press('Escape');
  await page.locator('#confirm').waitFor({ state: 'hidden', timeout: WAIT });
  check(await focused(page, revokeSel), 'the focus back on the revoke button');
  check((await api('GET', '/v1/session', tok)).status === 200, 'not revoked after Escape');
  await page.keyboard.press('Enter');
  await page.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  check(await tabTo(page, '#confirm-yes', 3), 'yes is reached by Tab');
  await page.keyboard.press('Enter');
  await page.locator('#confirm').waitFor({ state: 'hidden', timeout: WAIT });
  await waitText(page, '#status', 'Widerrufen');
  check((await api('GET', '/v1/session', tok)).status === 401, 'the revoked token is refused');
  check(await page.evaluate(() => document.activeElement !== document.body), 'the focus is somewhere after the row went');
  await waitText(page, '#tk-list', 'widerrufen');
  await shoot(page, 'admin-token-revoked');

  // ---- deactivate her: her other token is refused ------------------------
  const other = await api('POST', '/v1/tokens', env.ADMIN_TOKEN, { role: 'caseworker', caseworker: 'berta', label: 'Berta Telefon' });
  check(other.status === 201 && (await api('GET', '/v1/session', other.body.token)).status === 200, 'another token of hers');
  const deactivateSel = '#cw-list button[data-act="deactivate"][data-id="berta"]';
  await page.locator(deactivateSel).focus();
  await page.keyboard.press('Enter');
  await page.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, '#confirm-text')).includes('berta'), 'the confirmation names the caseworker');
  await page.locator('#confirm-yes').focus();
  await page.keyboard.press('Enter');
  await page.locator('#confirm').waitFor({ state: 'hidden', timeout: WAIT });
  await waitText(page, '#cw-list', 'deaktiviert');
  check(await focused(page, '#cw-list button[data-act="edit"][data-id="berta"]'), 'the focus on her row');
  const off = await api('GET', '/v1/caseworkers/berta', env.ADMIN_TOKEN);
  check(off.body.active === false, 'inactive in the API');
  check((await api('GET', '/v1/session', other.body.token)).status === 401, "her other token is refused");
  await page.waitForFunction(() => [...document.querySelectorAll('#tk-list tr')].some((tr) =>
    tr.textContent.includes('Berta Telefon') && tr.textContent.includes('Sachbearbeitung deaktiviert')), null, { timeout: WAIT });

  // ---- the admin actions: what was just done, by which token -------------
  const acts = (sel) => page.$$eval(`${sel} tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  await waitText(page, '#ae-list', 'Sachbearbeitung deaktiviert');
  const done = await acts('#ae-list');
  const want = [['Sachbearbeitung angelegt', 'berta'], ['Schlüssel erzeugt', `Nr. ${mine.id}`],
    ['Schlüssel widerrufen', `Nr. ${mine.id}`], ['Sachbearbeitung deaktiviert', 'berta']];
  let at = -1;
  for (const [what, about] of want) {
    const i = done.findIndex((r, j) => j > at && r[2] === what && r[3] === about);
    check(i > at, `admin actions: ${what} ${about} in order (${JSON.stringify(done)})`);
    at = i;
  }
  check(done.some((r) => r[1] === 'Kommandozeile des Servers' && r[2] === 'Schlüssel erzeugt'),
    'the first token was made on the command line');
  check(done.filter((r) => r[2] === 'Schlüssel widerrufen').every((r) => r[1].startsWith('Nr. ')),
    'the acting token by its number');
  check(!done.flat().join('|').includes('Berta Telefon'), 'no label in the admin actions');

  // ---- the access log: a filter the API refuses, at its field ------------
  await page.fill('#ac-callback', 'nope');
  await page.locator('#ac-callback').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#e-ac-callback').textContent.length > 0, null, { timeout: WAIT });
  check(await focused(page, '#ac-callback'), 'the focus at the callback filter');
  await axe(page, 'admin, access log filter error');
  await page.fill('#ac-callback', env.CB_ID);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#e-ac-callback').textContent === '', null, { timeout: WAIT });
  // the error clears before the filtered answer is drawn: wait for the rows
  // to say which callback they are of, then count them
  const ofOne = await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('#ac-list tr')];
    return rows.length > 0 && rows.every((tr) => tr.textContent.includes(id)) && rows.length;
  }, env.CB_ID, { timeout: WAIT }).then((h) => h.jsonValue(), () => 0);
  check(ofOne === 1, `filtered to the one read (${ofOne} rows)`);
  await page.fill('#ac-token', env.READER_ID);
  await page.keyboard.press('Enter');
  await waitText(page, '#ac-list', env.CB_ID);
  await axe(page, 'admin, after the changes');
  await shoot(page, 'admin-done');
}
