import { check, api, axe, shoot, textOf, waitText, signIn, WAIT, env } from '../lib.mjs';
import { readFileSync } from 'node:fs';

const ARABIC = '\u0627\u0644\u0639\u0631\u0628\u064a\u0629'; // العربية
const options = (page, sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => ({
  value: o.value, text: o.textContent, lang: o.lang, dir: o.dir,
})));
const rows = (page, sel) => page.$$eval(`${sel} tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent).join('|')));

// signing out reloads the page (after giving back a lease): wait for it
async function signOut(page) {
  await Promise.all([page.waitForEvent('load', { timeout: WAIT }), page.click('#signout')]);
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
}

async function csv(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click(button)]);
  return readFileSync(await download.path(), 'utf8');
}

// Words instead of identifiers: the agent picks a topic and a site by their
// labels and the caller's language by its own name, the caseworker reads
// the topic's label and a grouped number whose tel: link is E.164, the
// manager's CSV has labels beside identifiers, and the switch in the
// header turns the page English at once, and stays so.
export default async function (page) {
  // a refused token: the reason in German, then in English at the switch
  await signIn(page, 'not-a-token');
  await waitText(page, '#signin-error', 'Dieser Schlüssel ist nicht gültig.');
  await page.click('#lang-switch');
  await waitText(page, '#signin-error', 'This token is not valid.');
  check((await textOf(page, 'label[for="token"]')) === 'Access token', 'the sign-in page in English');
  await page.click('#lang-switch');
  await waitText(page, '#signin-error', 'Dieser Schlüssel ist nicht gültig.');

  await signIn(page, env.AGENT_TOKEN);
  await page.locator('#create').waitFor({ state: 'visible', timeout: WAIT });
  const topics = await options(page, '#f-topic');
  check(topics.some((o) => o.value === 'housing_approval' && o.text === 'Wohnungszustimmung'),
    `the topic by its label (${JSON.stringify(topics)})`);
  check(topics.some((o) => o.value === 'general' && o.text === 'general'), 'no label: the identifier');
  check((await options(page, '#f-site')).some((o) => o.value === 'dortmund' && o.text === 'Dortmund Mitte'),
    'the site by its label');
  const langs = await options(page, '#f-language');
  check(JSON.stringify(langs.map((o) => o.text)) === JSON.stringify(['Deutsch', 'Türkçe', ARABIC, 'Русский', 'Українська', 'English']),
    `the languages in their own words, in the config's order (${langs.map((o) => o.text)})`);
  check(langs.every((o) => o.lang === o.value && o.dir === 'auto'), 'each marked with its language and direction');
  check((await page.inputValue('#f-language')) === 'de', 'the first is the default');
  await axe(page, 'agent, the form');
  await page.fill('#f-phone', '0231 5551234');
  await page.selectOption('#f-topic', 'housing_approval');
  await page.selectOption('#f-site', 'dortmund');
  await page.selectOption('#f-language', 'ar');
  await page.click('#create button[type="submit"]');
  await waitText(page, '#create-done', 'Angelegt');
  check((await page.inputValue('#f-language')) === 'de', 'the form starts again at the default language');
  const made = (await api('GET', '/v1/callbacks?phone=02315551234', env.AGENT_TOKEN)).body.callbacks;
  check(made.length === 1 && made[0].language === 'ar' && made[0].topic === 'housing_approval',
    `filed by identifier and tag (${JSON.stringify(made)})`);
  await page.fill('#s-q', '0231 5551234');
  await page.click('#search button[type="submit"]');
  await waitText(page, '#found', 'Wohnungszustimmung');
  check((await rows(page, '#found'))[0].startsWith('+49 231 5551234||wartet|Wohnungszustimmung|Dortmund Mitte|'),
    `the number grouped, the labels (${await rows(page, '#found')})`);
  check((await page.getAttribute('#found a', 'href')) === 'tel:+492315551234', 'dialled as stored');
  await axe(page, 'agent, found');
  await shoot(page, 'words-agent');

  // the switch: English at once, the lang attribute with it, and kept
  check((await textOf(page, '#lang-switch')) === 'English' && (await page.getAttribute('#lang-switch', 'lang')) === 'en',
    'the switch offers English in English');
  check((await textOf(page, '#who')) === 'Servicecenter', 'the role in words');
  await page.click('#lang-switch');
  await waitText(page, '#who', 'Agent');
  await waitText(page, 'label[for="f-topic"]', 'Topic');
  check((await page.getAttribute('html', 'lang')) === 'en', 'the page says it is English');
  check((await options(page, '#f-topic')).some((o) => o.value === 'housing_approval' && o.text === 'Housing approval'),
    'the topic by its English label');
  check((await rows(page, '#found'))[0].includes('|waiting|Housing approval|Dortmund centre|'),
    `the results named anew (${await rows(page, '#found')})`);
  check((await textOf(page, '#lang-switch')) === 'Deutsch', 'the switch offers German now');
  await axe(page, 'agent, English');
  await shoot(page, 'words-agent-english');
  await page.reload();
  await page.locator('#create').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, 'label[for="f-topic"]')) === 'Topic', 'still English after a reload');
  await page.click('#lang-switch');
  await waitText(page, 'label[for="f-topic"]', 'Thema');
  await signOut(page);

  // the caseworker: the label, the language in its own script, the number grouped
  await signIn(page, env.CW_TOKEN);
  await page.locator('#next').waitFor({ state: 'visible', timeout: WAIT });
  await waitText(page, '#queue', 'Wohnungszustimmung');
  await page.click('#next');
  await page.locator('#current').waitFor({ state: 'visible', timeout: WAIT });
  check((await textOf(page, '#cb-topic')) === 'Wohnungszustimmung', 'the topic by its label');
  check((await textOf(page, '#cb-site')) === 'Dortmund Mitte', 'the site by its label');
  check((await textOf(page, '#cb-phone')) === '+49 231 5551234', `grouped (${await textOf(page, '#cb-phone')})`);
  check((await page.getAttribute('#cb-phone', 'href')) === 'tel:+492315551234', 'the tel: link is E.164');
  check((await textOf(page, '#cb-language')) === ARABIC
    && (await page.getAttribute('#cb-language span', 'lang')) === 'ar', 'the language in its own words, marked');
  await waitText(page, '#cb-attempts', 'keine');
  await axe(page, 'caseworker, claimed');
  await shoot(page, 'words-caseworker');
  await page.click('#lang-switch');
  await waitText(page, '#cb-topic', 'Housing approval');
  check((await textOf(page, '#cb-attempts')) === 'none', 'the attempts named anew');
  check((await textOf(page, '#cb-phone')) === '+49 231 5551234', 'the number stays');
  await axe(page, 'caseworker, English');
  await page.click('#lang-switch');
  await waitText(page, '#cb-topic', 'Wohnungszustimmung');
  await signOut(page);

  // the manager: labels in the tables, a label column beside each identifier
  await signIn(page, env.MANAGER_TOKEN);
  await page.locator('#chart svg').waitFor({ timeout: WAIT });
  await waitText(page, '#today', 'Wohnungszustimmung');
  check((await rows(page, '#today')).includes('Dortmund Mitte|Wohnungszustimmung|1|\u2013|0|1'),
    `today's row by labels (${await rows(page, '#today')})`);
  await axe(page, 'manager');
  const de = await csv(page, '#dl-csv');
  check(de.startsWith('site,site_label,topic,topic_label,'), `both columns (${de.slice(0, 60)})`);
  check(de.includes('\r\ndortmund,Dortmund Mitte,housing_approval,Wohnungszustimmung,'), 'identifiers and labels');
  await page.click('#lang-switch');
  await waitText(page, '#today', 'Housing approval');
  check((await rows(page, '#today')).includes('Dortmund centre|Housing approval|1|\u2013|0|1'),
    `named anew (${await rows(page, '#today')})`);
  const en = await csv(page, '#dl-csv');
  check(en.includes('\r\ndortmund,Dortmund centre,housing_approval,Housing approval,'), 'English labels in the CSV');
  await axe(page, 'manager, English');
  await shoot(page, 'words-manager-english');
}
