// Modal dialogs of the web page (<dialog>, shown with showModal): the page
// behind is inert, Tab and Shift+Tab go round inside the dialog, Escape
// closes it (the browser's cancel), and on closing the focus goes back to
// the element that opened it, or, when that one is gone (a row drawn
// anew meanwhile), to where the opener says. It knows no view and no API.
const FOCUSABLE = 'button, [href], input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
const wired = new WeakSet();

function focusables(dlg) {
  return [...dlg.querySelectorAll(FOCUSABLE)]
    .filter((e) => !e.disabled && !e.closest('[hidden]') && e.getClientRects().length > 0);
}

function wire(dlg) {
  wired.add(dlg);
  dlg.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const list = focusables(dlg);
    if (!list.length) return;
    const first = list[0], last = list[list.length - 1];
    if (e.shiftKey && (document.activeElement === first || !dlg.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !dlg.contains(document.activeElement))) {
      e.preventDefault();
      first.focus();
    }
  });
  for (const b of dlg.querySelectorAll('[data-close]')) b.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    const to = dlg.returnTo?.();
    dlg.returnTo = null;
    to?.focus();
  });
}

// Opens dlg with the focus on `focus` (else its first control); `back`
// names where the focus goes on closing when the opener is gone.
export function openDialog(dlg, { focus, back } = {}) {
  if (!wired.has(dlg)) wire(dlg);
  const opener = document.activeElement;
  dlg.returnTo = () => (opener && opener !== document.body && opener.isConnected && !opener.closest('[hidden]')
    ? opener : back?.());
  dlg.showModal();
  (focus ?? focusables(dlg)[0])?.focus();
}
