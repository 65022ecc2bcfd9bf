import { check, shoot, textOf, signIn, axe, WAIT, env } from '../lib.mjs';
import { readFileSync } from 'node:fs';

// a callback with a 4 s target runs out and shows up as a breach
export default async function (page) {
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
  check(excel.startsWith('\uFEFFsite;site_label;topic;topic_label;'), 'Excel-CSV: BOM and semicolons');
  // the at-risk list as a file too, with the labels in the page's language
  const [risky] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click('#dl-risk-excel')]);
  check(risky.suggestedFilename() === 'callbackd-at-risk-excel.csv', 'at-risk download offered');
  const risk = readFileSync(await risky.path(), 'utf8');
  check(risk.startsWith('\uFEFFid;site;site_label;topic;topic_label;urgent;requested_at;due_at;threshold;warned_at\r\n'),
    `at-risk Excel-CSV header (${risk.split('\r\n')[0]})`);
  await axe(page, 'manager');
  await shoot(page, 'manager');
}
