// What every scenario of the web pages' tests shares: the daemon's URL,
// tokens and ids from the environment (tests/e2e/run.py sets them), bounded
// waits, screenshots into $OUT, calls of the API beside the page, and the
// accessibility check. Imports no scenario.
import AxeBuilder from '@axe-core/playwright';

export const env = process.env;
export const WAIT = 10000;

export function check(ok, what) {
  if (!ok) throw new Error(what);
}

export async function api(method, path, tok, body) {
  const res = await fetch(env.BASE + path, {
    method,
    headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

// a full-page picture of a scrolled page draws the sticky header mid-page
export async function shoot(page, name) {
  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: `${env.OUT}/${name}.png`, fullPage: true });
}

export async function textOf(page, sel) {
  return (await page.locator(sel).textContent()) ?? '';
}

export async function waitText(page, sel, want, timeout = WAIT) {
  await page.waitForFunction(([s, w]) => (document.querySelector(s)?.textContent ?? '').includes(w),
    [sel, want], { timeout });
}

export async function signIn(page, token, shot) {
  await page.goto(env.BASE + '/');
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
  if (shot) await page.screenshot({ path: `${env.OUT}/${shot}.png` });
  // by keyboard: the token field has the focus, Enter signs in
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
}

// axe-core on the page as it is now (WCAG 2.x A and AA rules): fails on
// any serious or critical violation, naming the rule and the elements;
// `state` says which page and state was checked.
export async function axe(page, state) {
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe, ${state}: ` + bad.map((v) =>
    `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; '));
}
