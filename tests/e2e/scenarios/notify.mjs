import { check, shoot, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

// Notifications are asked for by a button, never on load: with the
// browser's permission still open ("prompt"), the caseworker page offers
// the button, asks when it is pressed (by keyboard here), and says what
// the browser answered (headless Chromium, with nobody to ask, refuses).
export default async function (page) {
  await page.addInitScript(() => {
    const Real = window.Notification;
    window.asked = 0;
    window.Notification = class extends Real {
      static requestPermission(...args) {
        window.asked++;
        return Real.requestPermission(...args);
      }
    };
  });
  // Playwright's context refuses it (denied); the browser's own default is to ask
  await page.goto(env.BASE + '/');
  const cdp = await page.context().browser().newBrowserCDPSession();
  await cdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'prompt', origin: env.BASE });
  check((await page.evaluate(() => Notification.permission)) === 'default', 'the permission is open');

  await signIn(page, env.CW_TOKEN);
  await page.locator('#notify').waitFor({ state: 'visible', timeout: WAIT });
  check((await page.evaluate(() => Notification.permission)) === 'default', 'the permission is still open');
  check((await page.evaluate(() => window.asked)) === 0, 'not asked on load');
  await shoot(page, 'notify-offered');
  await axe(page, 'caseworker, notifications offered');

  await page.focus('#notify');
  await page.keyboard.press('Enter');
  await waitText(page, '#status', 'Benachrichtigungen sind nicht erlaubt');
  check((await page.evaluate(() => window.asked)) === 1, 'asked once, when pressed');
  await page.locator('#notify').waitFor({ state: 'hidden', timeout: WAIT });
  await axe(page, 'caseworker, notifications refused');
}
