// callbackd's web pages in headless Chromium (Debian's, through
// playwright-core): one scenario per run, named on the command line, each
// a module of scenarios/ (its default export drives the page; `locale`
// sets the browser's language, German by default, `timezoneId` its time
// zone, the machine's by default). Screenshots go to $OUT.
// Fails on any error on the page, Content-Security-Policy violations
// included, and on anything the page writes to the console (so no
// personal data either). Every wait is bounded.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { check, env } from './lib.mjs';

const scenario = process.argv[2];
const mod = await import(`./scenarios/${scenario}.mjs`);
mkdirSync(env.OUT, { recursive: true });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
let code = 0;
try {
  const context = await browser.newContext({
    locale: mod.locale ?? 'de-DE',
    viewport: { width: 1280, height: 720 },
    acceptDownloads: true,
    ...(mod.permissions && { permissions: mod.permissions }),
    ...(mod.timezoneId && { timezoneId: mod.timezoneId }),
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // an API refusal (4xx) is logged by Chromium and expected, and so is a
  // request of a context a scenario set offline; the page itself logs
  // nothing
  page.on('console', (m) => {
    if (!(m.type() === 'error' && /status of 4\d\d|net::ERR_INTERNET_DISCONNECTED/.test(m.text()))) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  await mod.default(page);
  check(problems.length === 0, problems.join('; '));
} catch (err) {
  console.error(`${scenario}: ${err.message}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
