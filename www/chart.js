// Compliance per day as an SVG bar chart, drawn here (no library): a slot
// for every day of the period, so that gaps stay gaps; a day with requests
// gets a bar as high as its share within target of what is decided (0 %
// still shows a stub), a day without requests or with nothing decided yet
// (all pending) a grey mark at the base line.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// rows: the SLA report grouped by day ({day: "YYYY-MM-DD", within_target_pct
// (null: nothing decided), requests, pending}); days: the period's days, oldest first, as "YYYY-MM-DD".
export function compliance(rows, days, text) {
  const w = 640, h = 180, pad = 28, top = 10, base = h - pad;
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': text.label, class: 'chart' });
  for (const p of [0, 50, 100]) {
    const y = base - (base - top) * p / 100;
    svg.append(el('line', { x1: pad, y1: y, x2: w, y2: y, class: p ? 'grid' : 'axis' }));
    svg.append(el('text', { x: 0, y: y + 4, class: 'tick' }, `${p}%`));
  }
  const bw = (w - pad) / days.length;
  days.forEach((day, i) => {
    const r = byDay.get(day), x = pad + i * bw + 1;
    const open = r && r.within_target_pct == null;
    const pct = r && !open ? Number(r.within_target_pct) : 0;
    const bh = r && !open ? Math.max(2, (base - top) * pct / 100) : 1;
    const bar = el('rect', { x, y: base - bh, width: Math.max(1, bw - 2), height: bh,
      class: !r ? 'none' : open ? 'pending' : pct >= 95 ? 'good' : pct >= 80 ? 'fair' : 'poor' });
    bar.append(el('title', {}, !r ? `${day}: ${text.none}`
      : `${day}: ${open ? '\u2013' : `${pct} %`} (${r.requests} ${text.requests}, ${r.pending} ${text.pending})`));
    svg.append(bar);
    const back = days.length - 1 - i; // every fifth day back from today
    if (back % 5 === 0) {
      svg.append(el('text', { x: back ? x + bw / 2 : w, y: h - 8, class: 'tick', 'text-anchor': back ? 'middle' : 'end' },
        `${day.slice(8)}.${day.slice(5, 7)}.`));
    }
  });
  return svg;
}
