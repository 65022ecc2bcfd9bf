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

// The open backlog of one site by due day, as an SVG bar chart: a slot per
// day (slots: [{label, overdue}], oldest first; counts: one number a
// slot), each bar as high as its count with the count above it, the days
// already past behind a band labelled as overdue (text, not colour alone).
// text: {label (the chart's accessible name), overdue}.
export function backlog(slots, counts, text) {
  const w = 360, h = 140, pad = 6, top = 18, base = h - 20;
  const max = Math.max(1, ...counts);
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': text.label, class: 'chart backlog' });
  const bw = (w - 2 * pad) / slots.length;
  const past = slots.filter((s) => s.overdue).length;
  if (past) {
    svg.append(el('rect', { x: pad, y: 0, width: past * bw, height: base, class: 'overdue-band' }));
    svg.append(el('text', { x: pad + 4, y: 12, class: 'tick overdue-label' }, text.overdue));
  }
  svg.append(el('line', { x1: pad, y1: base, x2: w - pad, y2: base, class: 'axis' }));
  const every = Math.ceil(slots.length / 8); // labels stay apart
  slots.forEach((s, i) => {
    const x = pad + i * bw, n = counts[i];
    if (n > 0) {
      const bh = Math.max(2, (base - top) * n / max);
      const bar = el('rect', { x: x + 2, y: base - bh, width: Math.max(1, bw - 4), height: bh,
        class: `bar ${s.overdue ? 'overdue' : 'due'}`, 'data-count': n });
      bar.append(el('title', {}, `${s.label}: ${n}${s.overdue ? ` (${text.overdue})` : ''}`));
      svg.append(bar, el('text', { x: x + bw / 2, y: base - bh - 3, class: 'tick count', 'text-anchor': 'middle' }, String(n)));
    }
    if ((slots.length - 1 - i) % every === 0) {
      svg.append(el('text', { x: x + bw / 2, y: h - 6, class: 'tick', 'text-anchor': 'middle' }, s.label));
    }
  });
  return svg;
}
