// A bar chart of compliance per day, drawn as SVG from the SLA report's
// rows ({day, within_target_pct, requests}). No library: a few rects.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export function compliance(rows, label) {
  const w = 640, h = 180, pad = 28;
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label, class: 'chart' });
  svg.append(el('line', { x1: pad, y1: h - pad, x2: w, y2: h - pad, class: 'axis' }));
  for (const p of [0, 50, 100]) {
    const y = h - pad - (h - 2 * pad) * p / 100;
    svg.append(el('text', { x: 2, y: y + 4, class: 'tick' }, `${p}%`));
    svg.append(el('line', { x1: pad, y1: y, x2: w, y2: y, class: 'grid' }));
  }
  const bw = rows.length ? (w - pad) / rows.length : 0;
  rows.forEach((r, i) => {
    const pct = Number(r.within_target_pct ?? 0);
    const bh = (h - 2 * pad) * pct / 100;
    const bar = el('rect', { x: pad + i * bw + 1, y: h - pad - bh, width: Math.max(1, bw - 2), height: bh,
      class: pct >= 95 ? 'good' : pct >= 80 ? 'fair' : 'poor' });
    bar.append(el('title', {}, `${r.day}: ${pct}% (${r.requests})`));
    svg.append(bar);
    if (rows.length <= 10 || i % Math.ceil(rows.length / 10) === 0) {
      svg.append(el('text', { x: pad + i * bw, y: h - 8, class: 'tick' }, String(r.day).slice(5)));
    }
  });
  return svg;
}
