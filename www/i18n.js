// Labels in German (the default) and English, chosen by the browser's
// preferred language or the switch in the header. Elements carry
// data-t="key"; code asks t(key).
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
  risk_more: 'Nur die 1000 mit der nächsten Frist sind gezeigt.',
  week: 'Diese Woche', requests: 'Anfragen', within: 'In Frist', breached: 'Überschritten',
  pending: 'Offen, nicht fällig',
  per_day: 'Einhaltung je Tag (30 Tage)', breaches: 'Fristüberschreitungen (7 Tage)',
  reason: 'Grund', late: 'Minuten zu spät', download_csv: 'SLA als CSV',
  download_excel: 'SLA für Excel', download_breaches: 'Überschreitungen als CSV',
  download_breaches_excel: 'Überschreitungen für Excel', no_requests: 'keine Anfragen',
  download_risk: 'Gefährdete als CSV', download_risk_excel: 'Gefährdete für Excel',
  nothing: 'keine', unavailable: 'Der Dienst ist gerade nicht erreichbar; bitte gleich noch einmal.',
  lease_lost: 'Dieser Rückruf ist nicht mehr bei Ihnen.', later_needs_time: 'Bitte Datum und Uhrzeit angeben.',
  reached: 'erreicht', no_answer: 'keine Antwort', busy: 'besetzt', voicemail: 'Mailbox',
  wrong_number: 'falsche Nummer',
  queued: 'wartet', claimed: 'in Arbeit', completed: 'erledigt', unreachable: 'nicht erreichbar',
  cancelled: 'storniert', expired: 'abgelaufen',
  open_past_due: 'offen über die Frist', attempted_late: 'zu spät versucht',
  never_attempted: 'nie versucht',
  actions: 'Aktionen',
  // the admin's view (admin.js)
  caseworkers: 'Sachbearbeitende', cw_new: 'Sachbearbeitende anlegen', cw_id: 'Kennung',
  topics: 'Themen', languages: 'Sprachen', tokens: 'Zugangsschlüssel', role: 'Rolle',
  caseworker: 'Sachbearbeitung', label: 'Bezeichnung',
  valid_until: 'Gültig bis einschließlich (leer: ohne Ablauf)', tk_create: 'Schlüssel erzeugen',
  number: 'Nr.', created_at: 'Erzeugt', expires_at: 'Läuft ab', access_log: 'Zugriffsprotokoll',
  admin_actions: 'Verwaltungsvorgänge der letzten 30 Tage', acted_by: 'Durch', action: 'Vorgang', concerns: 'Betrifft',
  command_line: 'Kommandozeile des Servers', ae_token_created: 'Schlüssel erzeugt', ae_token_revoked: 'Schlüssel widerrufen',
  ae_caseworker_created: 'Sachbearbeitung angelegt', ae_caseworker_updated: 'Sachbearbeitung geändert',
  ae_caseworker_deactivated: 'Sachbearbeitung deaktiviert',
  callback_id: 'Rückruf (Kennung)', token_number: 'Schlüssel (Nr.)', since: 'Ab', show: 'Anzeigen',
  at: 'Zeitpunkt', route: 'Aufruf', callbacks: 'Rückrufe', first_page: 'Zum Anfang',
  next_page: 'Weitere', save: 'Speichern', cancel: 'Abbrechen', tk_new: 'Neuer Zugangsschlüssel',
  tk_once: 'Kopieren Sie den Schlüssel jetzt: Er wird nicht noch einmal angezeigt.',
  copy: 'Kopieren', close: 'Schließen', copied: 'In die Zwischenablage kopiert.',
  copy_failed: 'Kopieren ging nicht: bitte den Schlüssel markieren und selbst kopieren.',
  cw_new_title: 'Sachbearbeitende anlegen', cw_edit_title: 'Sachbearbeitende ändern:',
  edit: 'Ändern', deactivate: 'Deaktivieren', revoke: 'Widerrufen', active: 'aktiv',
  inactive: 'deaktiviert', valid: 'gültig', revoked: 'widerrufen', lapsed: 'abgelaufen',
  never: 'nie', cw_saved: 'Gespeichert.', cw_deactivated: 'Deaktiviert.', tk_revoked: 'Widerrufen.',
  cw_off: 'Sachbearbeitung deaktiviert',
  deactivate_q: '{id} deaktivieren? Die Schlüssel dieser Person gelten dann nicht mehr, und ihre Rückrufe in Arbeit gehen zurück in die Warteschlange.',
  revoke_q: 'Schlüssel Nr. {id} widerrufen? Er gilt dann sofort nicht mehr.',
  role_telephony: 'Telefonie', role_agent: 'Servicecenter', role_caseworker: 'Sachbearbeitung',
  role_manager: 'Leitung', role_admin: 'Verwaltung',
  story: 'Verlauf', story_cut: 'Nur die ersten 500 Einträge.', by: 'von',
  system: 'System', ev_created: 'Angefragt', ev_merged: 'Weitere Anfrage zusammengeführt',
  ev_due_moved: 'Frist vorgezogen', ev_alert: 'Warnung gesendet', ev_claimed: 'Übernommen',
  ev_lease_expired: 'Bearbeitung verfallen', ev_released: 'Zurückgegeben',
  ev_lease_released: 'Zurückgegeben (Sachbearbeitung deaktiviert)', ev_unflagged: 'Wieder freigegeben',
  ev_attempt: 'Anrufversuch', ev_cancelled: 'Storniert', ev_expired: 'Abgelaufen',
  ev_personal_data_erased: 'Personendaten gelöscht', request_no: 'Anfrage Nr.',
  urgency_raised: 'Dringlichkeit erhöht', changed: 'geändert', was: 'vorher', sent: 'gesendet',
  not_sent: 'noch nicht gesendet', lease_until: 'in Arbeit bis', lapses: 'verfallen in Folge',
  flagged: 'zur Prüfung markiert', window: 'Zeitfenster', assignee: 'Zuständig',
  unclaimable: 'niemand kann übernehmen', not_after: 'Zeitfenster vorbei', max_open_age: 'zu lange offen',
  open_exists: 'Für diese Nummer gibt es einen offenen Rückruf:',
  would_merge: 'diese Anfrage würde mit ihm zusammengeführt', other_topic: 'anderes Thema: ein neuer Rückruf',
  fc_unavoidable: 'nicht mehr zu verhindern:',
  forecast: 'Prognose: erwartete Fristüberschreitungen (48 h)', fc_site_topic: 'Standort / Thema',
  backlog: 'Offen', fc_retries: 'Erneut anzurufen', arrivals: 'Erwartete Anfragen', urgent_arrivals: 'davon dringend',
  fc_breaches: 'Erwartete Überschreitungen', first_breach: 'Erste Überschreitung',
  extra_hours: 'Zusätzlich nötige Stunden je Tag', capacity: 'Kapazität (Stunden)',
  staffing_plan: 'laut Plan', staffing_history: 'laut Verlauf', breach_ahead: 'Überschreitungen erwartet',
  more_than: 'mehr als', fc_generated: 'Berechnet', fc_until: 'bis', fc_history: 'Verlauf', weeks: 'Wochen',
  backlog_by_due: 'Offene Rückrufe nach Fälligkeitstag',
  backlog_by_due_table: 'Offene Rückrufe nach Fälligkeitstag und Standort', due_day: 'Fällig am',
  overdue_day: 'überfällig', open_count: 'offen', per_week: 'Einhaltung je Woche (8 Wochen)',
  week_no: 'KW', undecided: 'nichts entschieden',
  dash_means: '– : nichts entschieden (keine Anfragen, oder keine schon fällig)',
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
  risk_more: 'Only the 1000 due soonest are shown.',
  week: 'This week', requests: 'Requests', within: 'Within target', breached: 'Breached',
  pending: 'Open, not due',
  per_day: 'Compliance per day (30 days)', breaches: 'Breaches (7 days)',
  reason: 'Reason', late: 'Minutes late', download_csv: 'SLA as CSV',
  download_excel: 'SLA for Excel', download_breaches: 'Breaches as CSV',
  download_breaches_excel: 'Breaches for Excel', no_requests: 'no requests',
  download_risk: 'At risk as CSV', download_risk_excel: 'At risk for Excel',
  nothing: 'none', unavailable: 'The service is unavailable just now; please try again.',
  lease_lost: 'This call-back is no longer yours.', later_needs_time: 'Please give a date and time.',
  reached: 'reached', no_answer: 'no answer', busy: 'busy', voicemail: 'voicemail',
  wrong_number: 'wrong number',
  queued: 'waiting', claimed: 'in progress', completed: 'done', unreachable: 'unreachable',
  cancelled: 'cancelled', expired: 'expired',
  open_past_due: 'open past deadline', attempted_late: 'attempted late',
  never_attempted: 'never attempted',
  actions: 'Actions',
  // the admin's view (admin.js)
  caseworkers: 'Caseworkers', cw_new: 'Add caseworker', cw_id: 'Id',
  topics: 'Topics', languages: 'Languages', tokens: 'Access tokens', role: 'Role',
  caseworker: 'Caseworker', label: 'Label',
  valid_until: 'Valid until and including (empty: never expires)', tk_create: 'Make token',
  number: 'No.', created_at: 'Made', expires_at: 'Expires', access_log: 'Access log',
  admin_actions: 'Admin actions of the last 30 days', acted_by: 'By', action: 'Action', concerns: 'Concerns',
  command_line: "the server's command line", ae_token_created: 'Token made', ae_token_revoked: 'Token revoked',
  ae_caseworker_created: 'Caseworker added', ae_caseworker_updated: 'Caseworker changed',
  ae_caseworker_deactivated: 'Caseworker deactivated',
  callback_id: 'Call-back (id)', token_number: 'Token (no.)', since: 'From', show: 'Show',
  at: 'When', route: 'Route', callbacks: 'Call-backs', first_page: 'To the start',
  next_page: 'More', save: 'Save', cancel: 'Cancel', tk_new: 'New access token',
  tk_once: 'Copy the token now: it will not be shown again.',
  copy: 'Copy', close: 'Close', copied: 'Copied to the clipboard.',
  copy_failed: 'Copying did not work: please select the token and copy it yourself.',
  cw_new_title: 'Add caseworker', cw_edit_title: 'Change caseworker:',
  edit: 'Change', deactivate: 'Deactivate', revoke: 'Revoke', active: 'active',
  inactive: 'deactivated', valid: 'valid', revoked: 'revoked', lapsed: 'expired',
  never: 'never', cw_saved: 'Saved.', cw_deactivated: 'Deactivated.', tk_revoked: 'Revoked.',
  cw_off: 'caseworker deactivated',
  deactivate_q: 'Deactivate {id}? Their tokens stop working, and the call-backs they hold go back to the queue.',
  revoke_q: 'Revoke token no. {id}? It stops working at once.',
  role_telephony: 'Telephony', role_agent: 'Agent', role_caseworker: 'Caseworker',
  role_manager: 'Manager', role_admin: 'Admin',
  story: 'History', story_cut: 'Only the first 500 entries.', by: 'by',
  system: 'system', ev_created: 'Requested', ev_merged: 'Another request merged',
  ev_due_moved: 'Deadline moved up', ev_alert: 'Alert sent', ev_claimed: 'Claimed',
  ev_lease_expired: 'Lease lapsed', ev_released: 'Given back',
  ev_lease_released: 'Given back (caseworker deactivated)', ev_unflagged: 'Released by a manager',
  ev_attempt: 'Call attempt', ev_cancelled: 'Cancelled', ev_expired: 'Expired',
  ev_personal_data_erased: 'Personal data erased', request_no: 'Request no.',
  urgency_raised: 'urgency raised', changed: 'changed', was: 'was', sent: 'sent',
  not_sent: 'not sent yet', lease_until: 'in progress until', lapses: 'lapsed in a row',
  flagged: 'flagged for a supervisor', window: 'time window', assignee: 'Assignee',
  unclaimable: 'nobody may claim it', not_after: 'time window over', max_open_age: 'open too long',
  open_exists: 'This number has an open call-back:',
  would_merge: 'this request would merge into it', other_topic: 'another topic: a new call-back',
  fc_unavoidable: 'past saving:',
  forecast: 'Forecast: breaches expected (48 h)', fc_site_topic: 'Site / topic',
  backlog: 'Open', fc_retries: 'To call again', arrivals: 'Expected requests', urgent_arrivals: 'of them urgent',
  fc_breaches: 'Expected breaches', first_breach: 'First breach',
  extra_hours: 'Extra caseworker-hours a day needed', capacity: 'Capacity (hours)',
  staffing_plan: 'as planned', staffing_history: 'from history', breach_ahead: 'breaches expected',
  more_than: 'more than', fc_generated: 'Computed', fc_until: 'until', fc_history: 'history', weeks: 'weeks',
  backlog_by_due: 'Open call-backs by due day',
  backlog_by_due_table: 'Open call-backs by due day and site', due_day: 'Due on',
  overdue_day: 'overdue', open_count: 'open', per_week: 'Compliance per week (8 weeks)',
  week_no: 'Wk', undecided: 'nothing decided',
  dash_means: '– : nothing decided (no requests, or none due yet)',
  offline: 'The service cannot be reached. The page keeps trying and catches up as soon as it answers.',
  offline_lease: 'Your call-back stays reserved until {until}; the reservation is extended as soon as the connection is back.',
  offline_lapsed: 'The reservation of your call-back ran out at {until}; whether it is still yours shows as soon as the connection is back.',
  lease_lapsed: 'The reservation of this call-back ran out while the service could not be reached. The call-back is back in the queue, where someone else may take it; what you noted on it was not saved.',
  urgent_new: 'New urgent call-back in your queue', urgent_title: 'Urgent call-back',
  notify: 'Notify me of urgent call-backs', notify_on: 'Notifications are on.',
  notify_off: 'Notifications are not allowed; the page shows new urgent call-backs.',
  dismiss: 'Dismiss', keys_hint: 'Keys 1 to {n} log the result, except while typing.',
};

// the browser's choice, unless the header's switch made another (kept in
// localStorage: a word of the page's language, nothing of anyone's)
const KEY = 'callbackd.lang';
const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || 'de';
const chosen = localStorage.getItem(KEY);
export let lang = ['de', 'en'].includes(chosen) ? chosen : preferred.toLowerCase().startsWith('en') ? 'en' : 'de';
let dict, when, number, dayMonth;
function use(l) {
  const locale = l === 'en' ? 'en-GB' : 'de-DE';
  lang = l;
  dict = l === 'en' ? en : de;
  when = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });
  // numbers as this language writes them (55,2), at most one decimal
  number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  // a plain date as day and month (01.12., 01/12)
  dayMonth = new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', timeZone: 'UTC' });
}
use(lang);

// The switch in the header: the labels change at once, and the views hear
// 'langchange' to name what they show anew.
export function setLang(l) {
  use(l);
  localStorage.setItem(KEY, l);
  applyLabels();
  document.dispatchEvent(new Event('langchange'));
}

export function t(key) {
  return dict[key] ?? key;
}

export function applyLabels(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  // the switch offers the other language, in its own words (and its lang)
  const other = lang === 'en' ? 'de' : 'en';
  const sw = document.getElementById('lang-switch');
  if (sw) Object.assign(sw, { lang: other, textContent: other === 'en' ? 'English' : 'Deutsch' });
}

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

// a number in the page's language; null a dash
export const num = (v) => (v == null ? '\u2013' : number.format(v));

// a plain date "YYYY-MM-DD" as day and month (01.12., 01/12)
export const dayLabel = (k) => dayMonth.format(Date.UTC(+k.slice(0, 4), +k.slice(5, 7) - 1, +k.slice(8, 10)));
