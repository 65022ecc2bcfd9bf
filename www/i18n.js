// Labels in German (the default) and English, chosen by the browser's
// preferred language. Elements carry data-t="key"; code asks t(key).
const de = {
  title: 'Rückrufe', signout: 'Abmelden', token: 'Zugangsschlüssel', signin: 'Anmelden',
  bad_token: 'Dieser Schlüssel ist nicht gültig.', no_view: 'Für diese Rolle gibt es keine Seite.',
  token_expired: 'Der Schlüssel gilt nicht mehr; bitte neu anmelden.',
  next: 'Nächster Rückruf', none: 'Nichts zu tun.', urgent: 'dringend', topic: 'Thema',
  site: 'Standort', language: 'Sprache', name: 'Name', left: 'Zeit bis zur Frist',
  note: 'Notiz', attempts: 'Versuche', attempt_note: 'Notiz zum Versuch',
  later_at: 'Später anrufen am', callback_later: 'Später anrufen', release: 'Zurückgeben',
  my_queue: 'Meine Warteschlange', due: 'Frist', overdue: 'überfällig seit',
  new_callback: 'Neuer Rückruf', phone: 'Telefon', customer_ref: 'Kundennummer',
  create: 'Anlegen', created: 'Angelegt.', merged: 'Mit einem offenen Rückruf zusammengeführt.',
  search: 'Suchen', search_by: 'Suchen nach', search_for: 'Suchbegriff', result: 'Ergebnis',
  state: 'Status', log_attempt: 'Versuch erfassen', logged: 'Versuch erfasst.',
  refresh: 'Aktualisieren', at_risk: 'Gefährdet', elapsed: 'Verstrichen', today: 'Heute',
  week: 'Diese Woche', requests: 'Anfragen', within: 'In Frist', breached: 'Überschritten',
  pending: 'Offen, nicht fällig',
  per_day: 'Einhaltung je Tag (30 Tage)', breaches: 'Fristüberschreitungen (7 Tage)',
  reason: 'Grund', late: 'Minuten zu spät', download_csv: 'SLA als CSV',
  download_excel: 'SLA für Excel', download_breaches: 'Überschreitungen als CSV',
  download_breaches_excel: 'Überschreitungen für Excel', no_requests: 'keine Anfragen',
  nothing: 'keine', unavailable: 'Der Dienst ist gerade nicht erreichbar; bitte gleich noch einmal.',
  lease_lost: 'Dieser Rückruf ist nicht mehr bei Ihnen.', later_needs_time: 'Bitte Datum und Uhrzeit angeben.',
  reached: 'erreicht', no_answer: 'keine Antwort', busy: 'besetzt', voicemail: 'Mailbox',
  wrong_number: 'falsche Nummer',
  queued: 'wartet', claimed: 'in Arbeit', completed: 'erledigt', unreachable: 'nicht erreichbar',
  cancelled: 'storniert', expired: 'abgelaufen',
  open_past_due: 'offen über die Frist', attempted_late: 'zu spät versucht',
  never_attempted: 'nie versucht',
  offline: 'Der Dienst ist nicht erreichbar. Die Seite versucht es weiter und holt alles nach, sobald er antwortet.',
  offline_lease: 'Ihr Rückruf bleibt bis {until} reserviert; die Reservierung wird verlängert, sobald die Verbindung zurück ist.',
  offline_lapsed: 'Die Reservierung Ihres Rückrufs lief um {until} ab; ob er noch bei Ihnen ist, zeigt sich, sobald die Verbindung zurück ist.',
  lease_lapsed: 'Die Reservierung dieses Rückrufs ist abgelaufen, während der Dienst nicht erreichbar war. Der Rückruf ist wieder in der Warteschlange, ein anderer kann ihn übernehmen; was Sie dazu notiert haben, ist nicht gespeichert.',
  urgent_new: 'Neuer dringender Rückruf in Ihrer Warteschlange', urgent_title: 'Dringender Rückruf',
  notify: 'Bei dringenden Rückrufen benachrichtigen', notify_on: 'Benachrichtigungen sind eingeschaltet.',
  notify_off: 'Benachrichtigungen sind nicht erlaubt; neue dringende Rückrufe zeigt die Seite.',
  dismiss: 'Ausblenden', keys_hint: 'Tasten 1 bis {n} erfassen das Ergebnis, außer beim Schreiben.',
};
const en = {
  title: 'Call-backs', signout: 'Sign out', token: 'Access token', signin: 'Sign in',
  bad_token: 'This token is not valid.', no_view: 'There is no page for this role.',
  token_expired: 'The token is no longer valid; please sign in again.',
  next: 'Next call-back', none: 'Nothing to do.', urgent: 'urgent', topic: 'Topic',
  site: 'Site', language: 'Language', name: 'Name', left: 'Time to deadline',
  note: 'Note', attempts: 'Attempts', attempt_note: 'Note on the attempt',
  later_at: 'Call later at', callback_later: 'Call later', release: 'Give back',
  my_queue: 'My queue', due: 'Deadline', overdue: 'overdue by',
  new_callback: 'New call-back', phone: 'Phone', customer_ref: 'Customer reference',
  create: 'Create', created: 'Created.', merged: 'Merged with an open call-back.',
  search: 'Search', search_by: 'Search by', search_for: 'Search for', result: 'Result',
  state: 'State', log_attempt: 'Log attempt', logged: 'Attempt logged.',
  refresh: 'Refresh', at_risk: 'At risk', elapsed: 'Elapsed', today: 'Today',
  week: 'This week', requests: 'Requests', within: 'Within target', breached: 'Breached',
  pending: 'Open, not due',
  per_day: 'Compliance per day (30 days)', breaches: 'Breaches (7 days)',
  reason: 'Reason', late: 'Minutes late', download_csv: 'SLA as CSV',
  download_excel: 'SLA for Excel', download_breaches: 'Breaches as CSV',
  download_breaches_excel: 'Breaches for Excel', no_requests: 'no requests',
  nothing: 'none', unavailable: 'The service is unavailable just now; please try again.',
  lease_lost: 'This call-back is no longer yours.', later_needs_time: 'Please give a date and time.',
  reached: 'reached', no_answer: 'no answer', busy: 'busy', voicemail: 'voicemail',
  wrong_number: 'wrong number',
  queued: 'waiting', claimed: 'in progress', completed: 'done', unreachable: 'unreachable',
  cancelled: 'cancelled', expired: 'expired',
  open_past_due: 'open past deadline', attempted_late: 'attempted late',
  never_attempted: 'never attempted',
  offline: 'The service cannot be reached. The page keeps trying and catches up as soon as it answers.',
  offline_lease: 'Your call-back stays reserved until {until}; the reservation is extended as soon as the connection is back.',
  offline_lapsed: 'The reservation of your call-back ran out at {until}; whether it is still yours shows as soon as the connection is back.',
  lease_lapsed: 'The reservation of this call-back ran out while the service could not be reached. The call-back is back in the queue, where someone else may take it; what you noted on it was not saved.',
  urgent_new: 'New urgent call-back in your queue', urgent_title: 'Urgent call-back',
  notify: 'Notify me of urgent call-backs', notify_on: 'Notifications are on.',
  notify_off: 'Notifications are not allowed; the page shows new urgent call-backs.',
  dismiss: 'Dismiss', keys_hint: 'Keys 1 to {n} log the result, except while typing.',
};

const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || 'de';
export const lang = preferred.toLowerCase().startsWith('en') ? 'en' : 'de';
const dict = lang === 'en' ? en : de;

export function t(key) {
  return dict[key] ?? key;
}

export function applyLabels(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
}

const when = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'de-DE',
  { dateStyle: 'short', timeStyle: 'short' });

export function time(iso) {
  return iso ? when.format(new Date(iso)) : '';
}

// "2 h 05 min", "overdue by 12 min"
export function left(ms) {
  const over = ms < 0;
  const m = Math.floor(Math.abs(ms) / 60000);
  const s = Math.floor(Math.abs(ms) / 1000) % 60;
  const text = m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
    : `${m} min ${String(s).padStart(2, '0')} s`;
  return over ? `${t('overdue')} ${text}` : text;
}
