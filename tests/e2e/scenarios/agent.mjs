import { check, api, shoot, textOf, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

// a bad phone gets the API's message at the phone field; a good one is created
export default async function (page) {
  await signIn(page, env.AGENT_TOKEN);
  await page.locator('#create').waitFor({ state: 'visible', timeout: WAIT });
  await page.fill('#f-phone', '12');
  await page.selectOption('#f-topic', 'general');
  await page.click('#create button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('.field[data-field="phone"] .error').textContent.length > 0,
    null, { timeout: WAIT });
  check(await page.locator('#f-phone').evaluate((e) => e === document.activeElement), 'focus on the phone field');
  check((await page.getAttribute('#f-phone', 'aria-invalid')) === 'true', 'marked invalid');
  await axe(page, 'agent, field error');
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
  await axe(page, 'agent, created');
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
}
