// What the pages call things: topics and sites by their labels and
// languages by their own names, as GET /v1/session gives them (the
// identifier where it gives none), and phone numbers grouped for reading
// (+49 231 5551234) by libphonenumber-js, its tel: link the E.164 number
// as stored. Imports no view.
import { lang } from './i18n.js';
import { parsePhoneNumberFromString } from './libphonenumber-min.js';

let session = {};

// the session the page signed in with
export function learn(s) {
  session = s || {};
}

export const topicLabel = (id) => session.topic_labels?.[id]?.[lang] ?? id;
export const siteLabel = (id) => session.site_labels?.[id]?.[lang] ?? id;
export const languageName = (tag) => session.language_names?.[tag] ?? tag;
export const languages = () => session.languages ?? [];

// A language's name marked as that language, its direction its own
// (العربية reads right to left inside a left-to-right page).
export function languageText(tag) {
  return Object.assign(document.createElement('span'), { lang: tag, dir: 'auto', textContent: languageName(tag) });
}

export function languageOption(tag) {
  return Object.assign(document.createElement('option'), { value: tag, lang: tag, dir: 'auto', textContent: languageName(tag) });
}

export function phoneText(e164) {
  const number = e164 ? parsePhoneNumberFromString(e164) : undefined;
  return number ? number.formatInternational() : (e164 || '');
}

// a number to dial: grouped to read, the link as stored
export function phoneLink(e164, a = document.createElement('a')) {
  a.textContent = phoneText(e164);
  a.href = `tel:${e164 || ''}`;
  return a;
}
