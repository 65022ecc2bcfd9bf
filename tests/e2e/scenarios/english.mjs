import { check, shoot, textOf, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

export const locale = 'en-US';

// English labels for an English browser
export default async function (page) {
  await page.goto(env.BASE + '/');
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
  await axe(page, 'english, sign-in');
  await signIn(page, env.MANAGER_TOKEN, 'english-signin');
  check((await textOf(page, 'label[for="token"]')) === 'Access token', 'English label');
  await waitText(page, '#manager', 'Breaches (7 days)');
  await page.locator('#chart svg').waitFor({ timeout: WAIT });
  await axe(page, 'english, manager');
  await shoot(page, 'english-manager');
}
