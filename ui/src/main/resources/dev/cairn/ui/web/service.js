// Service pages. /services lists every service; /services/<name>?range=1h&operation=… shows its
// rate, error rate and latency percentiles per minute (from the store's pre-aggregated minute
// buckets), its operations slowest first, and links into search.

import {
  api, fmtClock, fmtCount, fmtDuration, fmtPercent, fmtRate, h, link, lookbackMicros, navigate,
  notice, nowMicros, query, replace, s, serviceChip, serviceColor, ticks,
} from './util.js';

const RANGES = [['15m', '15 minutes'], ['1h', '1 hour'], ['3h', '3 hours'], ['6h', '6 hours'], ['12h', '12 hours'], ['1d', '24 hours']];
const MINUTE = 60_000_000;

export async function renderServiceList(el) {
  document.title = 'Services · Cairn';
  const body = h('div', null, h('div', { class: 'loading' }, 'Loading services…'));
  el.append(h('div', { class: 'page-head' }, h('h1', null, 'Services')), body);
  try {
    const env = await api('/api/services');
    const list = env.data || [];
    replace(body, list.length
      ? h('ul', { class: 'service-list', id: 'service-list' }, list.map((sv) => h('li', { class: 'panel' },
        link(`/services/${encodeURIComponent(sv)}`, { class: 'service-card' }, serviceChip(sv, 'big')),
        h('span', { class: 'spacer' }),
        link(`/search${query({ service: sv })}`, { class: 'btn' }, 'Traces'),
        link(`/search${query({ service: sv, errorOnly: 'true' })}`, { class: 'btn' }, 'Errors'))))
      : notice('info', 'No services yet', 'Once traces are stored, their services are listed here.'));
  } catch (e) {
    replace(body, notice('error', 'Could not load the services', e.message));
  }
}

export async function renderService(el, service, params) {
  document.title = `${service} · Cairn`;
  const range = RANGES.some(([v]) => v === params.get('range')) ? params.get('range') : '1h';
  const operation = params.get('operation') || '';
  // Whole minutes: the aggregates are per minute, and a partial first minute would read low.
  const end = Math.ceil(nowMicros() / MINUTE) * MINUTE;
  const start = end - lookbackMicros(range);
  const go = (p) => navigate(`/services/${encodeURIComponent(service)}${query({ range: p.range ?? (range === '1h' ? '' : range), operation: p.operation ?? operation })}`);

  const rangeSel = h('select', { id: 'service-range', 'aria-label': 'Time range' }, RANGES.map(([v, l]) => h('option', { value: v }, `Last ${l}`)));
  rangeSel.value = range;
  rangeSel.addEventListener('change', () => go({ range: rangeSel.value }));
  const opSel = h('select', { id: 'service-operation', 'aria-label': 'Operation' }, h('option', { value: '' }, 'All operations'));
  opSel.addEventListener('change', () => go({ operation: opSel.value }));

  const tiles = h('div', { class: 'tiles' });
  const charts = h('div', { class: 'charts' }, h('div', { class: 'loading' }, 'Loading…'));
  const table = h('div', { class: 'panel ops-panel' });
  el.append(
    h('div', { class: 'page-head' },
      h('h1', null, h('span', { class: 'svc-dot big', style: { background: serviceColor(service) } }), service),
      h('span', { class: 'spacer' }),
      opSel, rangeSel,
      link(`/search${query({ service, operation, lookback: range })}`, { class: 'btn', id: 'service-search' }, 'Search traces'),
      link(`/search${query({ service, operation, lookback: range, errorOnly: 'true' })}`, { class: 'btn' }, 'Error traces'),
      link('/map', { class: 'btn' }, 'Service map')),
    tiles, charts, table);

  let aggs;
  let summary;
  try {
    const [a, sm] = await Promise.all([
      api(`/api/cairn/services/${encodeURIComponent(service)}/aggregates`, { operation, start, end }),
      api(`/api/cairn/services/${encodeURIComponent(service)}/summary`, { start, end }),
    ]);
    aggs = a.data || [];
    summary = sm.data || [];
  } catch (e) {
    replace(charts, notice('error', 'Could not load the service’s figures', e.message));
    return;
  }
  const opNames = [...new Set(summary.map((r) => r.operation))].sort();
  if (operation && !opNames.includes(operation)) opNames.push(operation);
  for (const op of opNames) opSel.append(h('option', { value: op }, op));
  opSel.value = operation;

  const series = perMinute(aggs, start, end);
  renderTiles(tiles, summary, operation, (end - start) / 1e6);
  if (!aggs.length) {
    replace(charts, notice('info', 'No spans in this range', `${service}${operation ? ' / ' + operation : ''} has no spans in the last ${RANGES.find(([v]) => v === range)[1]}. Pick a longer range.`));
  } else {
    const toSearch = (minute) => navigate(`/search${query({ service, operation, start: minute, end: minute + MINUTE - 1 })}`);
    const width = Math.max(300, Math.floor((charts.clientWidth - 24) / 3));
    replace(charts,
      chart({ id: 'chart-rate', title: 'Rate', unit: fmtRate, width, series: [{ name: 'requests', color: serviceColor(service), points: series.map((p) => [p.minute, p.count / 60]) }], onPick: toSearch }),
      chart({ id: 'chart-errors', title: 'Error rate', unit: fmtPercent, width, series: [{ name: 'errors', color: 'var(--error)', points: series.map((p) => [p.minute, p.count ? p.errors / p.count : null]) }], onPick: toSearch }),
      chart({
        id: 'chart-latency', title: operation ? 'Latency' : 'Latency · all operations, weighted', unit: fmtDuration, width,
        series: [['p99', '#7c3aed'], ['p95', '#2563eb'], ['p50', '#0d9488']].map(([k, color]) => ({ name: k, color, points: series.map((p) => [p.minute, p.count ? p[k] : null]) })),
        onPick: toSearch,
      }));
  }
  renderOps(table, service, summary, operation, range, go);
  return undefined;
}

/**
 * One point per minute of the range: counts summed over operations, missing minutes as zero.
 * Across several operations a percentile cannot be merged from percentiles; the lines show the
 * count-weighted mean of the operations' values (exact when one operation is selected).
 */
export function perMinute(aggs, start, end) {
  const byMinute = new Map();
  for (const a of aggs) {
    let p = byMinute.get(a.minute);
    if (!p) byMinute.set(a.minute, p = { minute: a.minute, count: 0, errors: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    p.count += a.count;
    p.errors += a.errors;
    for (const k of ['p50', 'p95', 'p99']) p[k] += a[k] * a.count;
    p.max = Math.max(p.max, a.max);
  }
  const out = [];
  for (let m = Math.floor(start / MINUTE) * MINUTE; m < end; m += MINUTE) {
    const p = byMinute.get(m) || { minute: m, count: 0, errors: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    if (p.count) for (const k of ['p50', 'p95', 'p99']) p[k] = p[k] / p.count;
    out.push(p);
  }
  return out;
}

function renderTiles(el, summary, operation, seconds) {
  const rows = operation ? summary.filter((r) => r.operation === operation) : summary;
  const count = rows.reduce((a, r) => a + r.count, 0);
  const errors = rows.reduce((a, r) => a + r.errors, 0);
  const slowest = [...rows].sort((a, b) => b.p99 - a.p99)[0];
  const tile = (label, value, sub, cls = '') => h('div', { class: `tile panel ${cls}` }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), sub ? h('div', { class: 'tile-sub muted' }, sub) : null);
  replace(el,
    tile('Spans', fmtCount(count), `${fmtRate(count / seconds)} average`),
    tile('Error rate', fmtPercent(count ? errors / count : 0), `${fmtCount(errors)} errors`, errors ? 'tile-error' : ''),
    tile(operation ? 'p99' : 'Slowest p99', slowest ? fmtDuration(slowest.p99) : '–', slowest && !operation ? slowest.operation : null),
    tile('Operations', fmtCount(rows.length), null));
}

const COLUMNS = [
  ['operation', 'Operation', (r) => r.operation, false],
  ['spanKind', 'Kind', (r) => r.spanKind, false],
  ['count', 'Spans', (r) => r.count, true],
  ['ratePerSecond', 'Rate', (r) => r.ratePerSecond, true],
  ['errorRate', 'Errors', (r) => r.errorRate, true],
  ['p50', 'p50', (r) => r.p50, true],
  ['p95', 'p95', (r) => r.p95, true],
  ['p99', 'p99', (r) => r.p99, true],
  ['max', 'Max', (r) => r.max, true],
];

function renderOps(el, service, summary, selected, range, go) {
  let sortKey = 'p99';
  let desc = true;
  const tbody = h('tbody');
  const maxP99 = Math.max(1, ...summary.map((r) => r.p99));
  const fill = () => {
    const col = COLUMNS.find((c) => c[0] === sortKey);
    const rows = [...summary].sort((a, b) => {
      const va = col[2](a);
      const vb = col[2](b);
      const c = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
      return desc ? -c : c;
    });
    replace(tbody, rows.map((r) => h('tr', { class: r.operation === selected ? 'selected' : '', dataset: { operation: r.operation } },
      h('td', null, h('a', { href: '#', class: 'op-link', onclick: (e) => { e.preventDefault(); go({ operation: r.operation === selected ? '' : r.operation }); } }, r.operation)),
      h('td', null, h('span', { class: 'badge' }, r.spanKind)),
      h('td', { class: 'num' }, fmtCount(r.count)),
      h('td', { class: 'num' }, fmtRate(r.ratePerSecond)),
      h('td', { class: `num ${r.errorRate > 0 ? 'error-text' : ''}` }, fmtPercent(r.errorRate)),
      h('td', { class: 'num' }, fmtDuration(r.p50)),
      h('td', { class: 'num' }, fmtDuration(r.p95)),
      h('td', { class: 'num p99-cell' }, h('span', { class: 'p99-bar', style: { width: `${(r.p99 / maxP99) * 100}%` } }), h('span', null, fmtDuration(r.p99))),
      h('td', { class: 'num' }, fmtDuration(r.max)),
      h('td', { class: 'nowrap' },
        link(`/search${query({ service, operation: r.operation, lookback: range })}`, { class: 'btn small' }, 'Traces'),
        link(`/search${query({ service, operation: r.operation, lookback: range, minDuration: `${Math.max(1, Math.round(r.p99))}us` })}`, { class: 'btn small', title: 'Traces at or above this operation’s p99' }, 'Slow'),
        r.errors ? link(`/search${query({ service, operation: r.operation, lookback: range, errorOnly: 'true' })}`, { class: 'btn small btn-error' }, 'Errors') : null))));
  };
  const head = h('tr', null, COLUMNS.map(([key, label, , numeric]) => {
    const th = h('th', { class: numeric ? 'num sortable' : 'sortable', dataset: { key } }, label);
    th.addEventListener('click', () => {
      desc = sortKey === key ? !desc : numeric;
      sortKey = key;
      el.querySelectorAll('th.sortable').forEach((x) => x.classList.toggle('sorted', x.dataset.key === sortKey));
      fill();
    });
    if (key === sortKey) th.classList.add('sorted');
    return th;
  }), h('th', null, ''));
  fill();
  replace(el,
    h('h2', null, 'Operations ', h('span', { class: 'muted small' }, 'slowest p99 first · click a column to sort, an operation to chart it')),
    summary.length ? h('table', { class: 'ops', id: 'service-ops' }, h('thead', null, head), tbody) : h('div', { class: 'muted' }, 'No spans in this range.'));
}

/**
 * A small line chart over time. series: [{name, color, points: [[minuteUs, value|null]]}]; null
 * breaks the line. Hover shows the minute's values; a click opens that minute in search.
 */
function chart({ id, title, unit, series, onPick, width }) {
  const W = width;
  const H = 180;
  const m = { l: 56, r: 10, t: 10, b: 22 };
  const all = series.flatMap((sr) => sr.points);
  const x0 = all[0][0];
  const x1 = all[all.length - 1][0] + MINUTE;
  const yMax = Math.max(...all.map((p) => p[1] || 0)) * 1.15 || 1;
  const X = (t) => m.l + ((t - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v) => H - m.b - (v / yMax) * (H - m.t - m.b);
  const svg = s('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}` });
  for (const v of ticks(0, yMax, 4)) {
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), class: 'grid' }),
      s('text', { x: m.l - 6, y: Y(v) + 3, class: 'axis', 'text-anchor': 'end' }, unit(v)));
  }
  for (const t of ticks(x0, x1, 5)) {
    const snapped = Math.round(t / MINUTE) * MINUTE;
    svg.append(s('text', { x: X(snapped), y: H - 6, class: 'axis', 'text-anchor': 'middle' }, fmtClock(snapped)));
  }
  for (const sr of series) {
    let d = '';
    let pen = false;
    for (const [t, v] of sr.points) {
      if (v === null || v === undefined) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${X(t + MINUTE / 2).toFixed(1)},${Y(v).toFixed(1)}`;
      pen = true;
    }
    svg.append(s('path', { d, class: 'line', stroke: sr.color, fill: 'none' }));
    // Single minutes with data between gaps would be invisible as a line: mark them.
    sr.points.forEach(([t, v], i) => {
      const prev = sr.points[i - 1];
      const next = sr.points[i + 1];
      if (v !== null && (!prev || prev[1] === null) && (!next || next[1] === null)) {
        svg.append(s('circle', { cx: X(t + MINUTE / 2), cy: Y(v), r: 2.5, fill: sr.color }));
      }
    });
  }
  const cross = s('line', { class: 'crosshair', y1: m.t, y2: H - m.b, visibility: 'hidden' });
  svg.append(cross);
  const tip = h('div', { class: 'chart-tip', hidden: true });
  const minuteAt = (evt) => {
    const r = svg.getBoundingClientRect();
    const px = ((evt.clientX - r.left) / r.width) * W;
    const t = x0 + ((px - m.l) / (W - m.l - m.r)) * (x1 - x0);
    return Math.max(x0, Math.min(x1 - MINUTE, Math.floor((t - x0) / MINUTE) * MINUTE + x0));
  };
  svg.addEventListener('mousemove', (evt) => {
    const minute = minuteAt(evt);
    const i = Math.round((minute - x0) / MINUTE);
    const cx = X(minute + MINUTE / 2);
    cross.setAttribute('x1', cx);
    cross.setAttribute('x2', cx);
    cross.setAttribute('visibility', 'visible');
    replace(tip, h('div', { class: 'tip-time' }, fmtClock(minute)), series.map((sr) => {
      const v = sr.points[i] && sr.points[i][1];
      return h('div', null, h('span', { class: 'svc-dot', style: { background: sr.color } }), `${sr.name}: ${v === null || v === undefined ? '–' : unit(v)}`);
    }), h('div', { class: 'muted' }, 'click: traces of this minute'));
    tip.hidden = false;
    tip.style.left = `${Math.min(cx + 10, W - 150)}px`;
  });
  svg.addEventListener('mouseleave', () => { cross.setAttribute('visibility', 'hidden'); tip.hidden = true; });
  svg.addEventListener('click', (evt) => onPick(minuteAt(evt)));
  return h('div', { class: 'panel chart-panel', id },
    h('div', { class: 'chart-head' }, h('h3', null, title),
      series.length > 1 ? h('span', { class: 'chart-legend' }, series.map((sr) => h('span', null, h('span', { class: 'svc-dot', style: { background: sr.color } }), sr.name))) : null),
    h('div', { class: 'chart-wrap' }, svg, tip));
}
