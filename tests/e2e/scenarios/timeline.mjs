import { check, shoot, textOf, waitText, signIn, axe, WAIT, env } from '../lib.mjs';

const focused = (page, sel) => page.locator(sel).evaluate((e) => e === document.activeElement);

// The manager opens a breached callback's story from its row in one
// click, Escape closes it and the focus is back on the row's button; the
// agent typing a number that has an open call-back is told so before
// creating, with one look-up for the whole number, not one per key.
export default async function (page) {
  await signIn(page, env.MANAGER_TOKEN);
  await page.locator('#refresh').waitFor({ state: 'visible', timeout: WAIT });
  const button = `#breaches button[data-timeline="${env.BREACH_ID}"]`;
  let seen = false;
  for (let i = 0; i < 30 && !seen; i++) {
    await page.click('#refresh');
    await page.waitForTimeout(1000);
    seen = (await page.locator(button).count()) === 1;
  }
  check(seen, 'the breach row leads to its story');
  await axe(page, 'manager, breaches with their story buttons');
  await page.click(button);
  await page.locator('#timeline[open]').waitFor({ timeout: WAIT });
  await waitText(page, '#tl-list', 'Angefragt');
  const story = await textOf(page, '#tl-list');
  check(story.includes('Weitere Anfrage zusammengeführt') && story.includes('Anfrage Nr. 2'), `the merge in the story (${story})`);
  check(story.indexOf('Angefragt') < story.indexOf('Weitere Anfrage'), 'oldest first');
  check(!story.includes('5553210') && !story.includes('Erika') && !story.includes('ruft wieder an'),
    'nothing of the caller in the story');
  check(await focused(page, '#tl-close'), 'the focus is in the dialog');
  // times in this computer's local time, as the page writes them
  const at = await page.locator('#tl-list time').first().evaluate((e) => [e.dateTime, e.textContent]);
  const local = await page.evaluate((iso) => new Intl.DateTimeFormat('de-DE',
    { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso)), at[0]);
  check(at[1] === local, `a local time (${at.join(' ')})`);
  await shoot(page, 'timeline-manager');
  await axe(page, 'manager, a breach\'s story open');
  await page.keyboard.press('Escape');
  await page.locator('#timeline').waitFor({ state: 'hidden', timeout: WAIT });
  check(await focused(page, button), 'Escape closes the story, the focus is back on its button');
  await axe(page, 'manager, the story closed again');
  await page.click('#signout');
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });

  // the agent: the number of an open call-back, typed key by key
  await signIn(page, env.AGENT_TOKEN);
  await page.locator('#create').waitFor({ state: 'visible', timeout: WAIT });
  const lookups = [];
  page.on('request', (r) => { if (r.url().includes('/v1/callbacks?phone=')) lookups.push(r.url()); });
  await page.selectOption('#f-topic', 'benefits');
  await page.selectOption('#f-site', 'soest');
  await page.click('#f-phone');
  await page.keyboard.type(env.OPEN_PHONE, { delay: 60 });
  await page.locator('#f-open').waitFor({ state: 'visible', timeout: WAIT });
  const warning = await textOf(page, '#f-open');
  check(warning.includes('offenen Rückruf') && warning.includes('wartet') && warning.includes('benefits')
    && warning.includes('zusammengeführt'), `the open call-back and that this would merge (${warning})`);
  // one look-up (queued and in progress) for the whole number, none on the way
  check(lookups.length === 2, `looked up once for the number, not per key (${lookups.length}: ${lookups.join(' ')})`);
  await axe(page, 'agent, the open call-back shown at the form');
  await shoot(page, 'timeline-agent-warning');
  // another topic would be a new call-back: said without asking again
  await page.selectOption('#f-topic', 'general');
  await waitText(page, '#f-open', 'anderes Thema');
  check(lookups.length === 2, 'the topic changes what is said, not what is asked');
  await axe(page, 'agent, an open call-back of another topic');
  // from the agent's search the story is one click away too
  await page.fill('#s-q', env.OPEN_PHONE);
  await page.click('#search button[type="submit"]');
  await waitText(page, '#found', 'wartet');
  await page.click('#found button[data-timeline]');
  await page.locator('#timeline[open]').waitFor({ timeout: WAIT });
  await waitText(page, '#tl-list', 'Angefragt');
  await axe(page, 'agent, a story from the search');
  await shoot(page, 'timeline-agent-story');
  await page.click('#tl-close');
  await page.locator('#timeline').waitFor({ state: 'hidden', timeout: WAIT });
  check(await focused(page, '#found button[data-timeline]'), 'closed, the focus is back on the button');
  await axe(page, 'agent, the story closed again');
}
