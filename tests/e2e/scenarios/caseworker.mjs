import { check, api, shoot, textOf, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

// claims, logs no_answer: the callback is back in the queue with its back-off
export default async function (page) {
  await page.goto(env.BASE + '/');
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
  await axe(page, 'sign-in');
  await signIn(page, env.CW_TOKEN, 'signin');
  await page.locator('#next').waitFor({ state: 'visible', timeout: WAIT });
  await axe(page, 'caseworker, empty queue');
  await shoot(page, 'caseworker-empty');
  await page.click('#next');
  await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
  check((await page.getAttribute('#cb-phone', 'href')) === `tel:${env.CB_PHONE}`, 'phone is a tel: link');
  check(/\d/.test(await textOf(page, '#cb-left')), 'the time left is shown');
  check((await textOf(page, '#cb-topic')) === 'general', 'topic shown');
  check(await page.locator('#next').isDisabled(), 'one call-back at a time');
  await waitText(page, '#cb-attempts', 'keine');
  await axe(page, 'caseworker, claimed');
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
  await axe(page, 'caseworker, logged');
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
}
