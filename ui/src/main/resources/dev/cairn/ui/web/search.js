// The search view: a form whose every field lives in the URL (/search?service=…&tags=…), the
// results as a duration-over-time scatter plot and as a list; a click opens the trace.

import {
  api, fmtAgo, fmtCount, fmtDuration, fmtTime, fmtClock, h, link, lookbackMicros, navigate,
  notice, nowMicros, parseDuration, query, replace, s, serviceChip, serviceColor, ticks,
} from './util.js';

const LOOKBACKS = [
  ['5m', 'Last 5 minutes'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['3h', 'Last 3 hours'],
  ['12h', 'Last 12 hours'], ['1d', 'Last 24 hours'], ['2d', 'Last 2 days'], ['7d', 'Last 7 days'],
  ['custom', 'Custom range…'],
];

const SORTS = {
  newest: ['Most recent', (a, b) => b.startTime - a.startTime],
  longest: ['Longest first', (a, b) => b.duration - a.duration],
  shortest: ['Shortest first', (a, b) => a.duration - b.duration],
  spans: ['Most spans', (a, b) => b.spanCount - a.spanCount],
};

let servicesCache = null;

async function services() {
  if (!servicesCache || servicesCache.at < Date.now() - 30_000) {
    const env = await api('/api/services');
    servicesCache = { at: Date.now(), list: env.data || [] };
  }
  return servicesCache.list;
}

/**
 * Splits "order.id=123 http.status_code=500 note=\"two words\"" into ["order.id=123", …].
 * Accepts k=v and k:v (Jaeger's form); a value may be quoted to hold spaces.
 */
export function parseTags(text) {
  const out = [];
  const re = /\s*([^\s=:"]+)\s*[=:]\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))/gy;
  let m;
  let end = 0;
  const t = String(text || '').trim();
  while ((m = re.exec(t)) !== null) {
    out.push(`${m[1]}=${m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]}`);
    end = re.lastIndex;
  }
  if (t.slice(end).trim() !== '') {
    throw new Error(`Tags: cannot read “${t.slice(end).trim()}” — write key=value pairs separated by spaces`);
  }
  return out;
}

/** The API parameters a page URL's search parameters stand for. */
function apiParams(p) {
  const out = {
    service: p.get('service') || '',
    operation: p.get('operation') || '',
    tag: parseTags(p.get('tags') || ''),
    minDuration: p.get('minDuration') || '',
    maxDuration: p.get('maxDuration') || '',
    errorOnly: p.get('errorOnly') === 'true' ? 'true' : '',
    limit: p.get('limit') || '20',
  };
  for (const f of ['minDuration', 'maxDuration']) {
    if (out[f] && isNaN(parseDuration(out[f]))) {
      throw new Error(`${f === 'minDuration' ? 'Min' : 'Max'} duration: “${out[f]}” is not a duration (e.g. 120ms, 1.5s)`);
    }
  }
  if (p.get('start') || p.get('end')) {
    out.start = p.get('start') || '';
    out.end = p.get('end') || '';
  } else {
    const lb = lookbackMicros(p.get('lookback') || '1h');
    const now = nowMicros();
    out.end = String(now);
    out.start = String(now - (isNaN(lb) ? 3.6e9 : lb));
  }
  return out;
}

export async function renderSearch(el, params) {
  document.title = 'Search · Cairn';
  const layout = h('div', { class: 'search-layout' });
  const side = h('aside', { class: 'search-side panel' });
  const main = h('section', { class: 'search-main' });
  layout.append(side, main);
  el.append(layout);

  side.append(buildForm(params));
  main.append(h('div', { class: 'loading' }, 'Searching…'));

  let apiQ;
  try {
    apiQ = apiParams(params);
  } catch (e) {
    replace(main, notice('error', 'Check the search form', e.message));
    return;
  }
  let env;
  try {
    env = await api('/api/cairn/search', apiQ);
  } catch (e) {
    replace(main, notice('error', 'Search failed', e.message));
    return;
  }
  renderResults(main, env.data || [], params, apiQ);
}

function buildForm(params) {
  const svcSel = h('select', { name: 'service', id: 'search-service' }, h('option', { value: '' }, 'All services'));
  const opSel = h('select', { name: 'operation', id: 'search-operation' }, h('option', { value: '' }, 'All operations'));
  const tags = h('input', {
    name: 'tags', id: 'search-tags', value: params.get('tags') || '', spellcheck: 'false',
    placeholder: 'order.id=123 http.status_code=500',
  });
  const minD = h('input', { name: 'minDuration', id: 'search-min', value: params.get('minDuration') || '', placeholder: 'e.g. 100ms' });
  const maxD = h('input', { name: 'maxDuration', id: 'search-max', value: params.get('maxDuration') || '', placeholder: 'e.g. 2s' });
  const custom = !!(params.get('start') || params.get('end'));
  const lookback = h('select', { name: 'lookback', id: 'search-lookback' },
    LOOKBACKS.map(([v, label]) => h('option', { value: v }, label)));
  lookback.value = custom ? 'custom' : (params.get('lookback') || '1h');
  const toLocal = (us) => {
    if (!us) return '';
    const d = new Date(Number(us) / 1000);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  };
  const startIn = h('input', { type: 'datetime-local', name: 'start', id: 'search-start', value: toLocal(params.get('start')) });
  const endIn = h('input', { type: 'datetime-local', name: 'end', id: 'search-end', value: toLocal(params.get('end')) });
  const customRow = h('div', { class: 'custom-range', hidden: !custom },
    h('label', null, 'From', startIn), h('label', null, 'To', endIn));
  lookback.addEventListener('change', () => { customRow.hidden = lookback.value !== 'custom'; });
  const errorOnly = h('input', { type: 'checkbox', name: 'errorOnly', id: 'search-error', checked: params.get('errorOnly') === 'true' });
  const limit = h('input', { type: 'number', name: 'limit', id: 'search-limit', min: '1', max: '1000', value: params.get('limit') || '20' });

  const loadOps = async (svc, selected) => {
    replace(opSel, h('option', { value: '' }, 'All operations'));
    if (!svc) return;
    try {
      const env = await api(`/api/services/${encodeURIComponent(svc)}/operations`);
      for (const op of env.data || []) opSel.append(h('option', { value: op }, op));
      opSel.value = selected || '';
    } catch (e) {
      opSel.append(h('option', { value: '', disabled: true }, `(${e.message})`));
    }
  };
  svcSel.addEventListener('change', () => loadOps(svcSel.value, ''));
  services().then((list) => {
    for (const sv of list) svcSel.append(h('option', { value: sv }, sv));
    svcSel.value = params.get('service') || '';
    if (params.get('service') && svcSel.value !== params.get('service')) {
      // A deep link to a service with no spans (yet): keep it selectable.
      svcSel.append(h('option', { value: params.get('service') }, params.get('service')));
      svcSel.value = params.get('service');
    }
    loadOps(svcSel.value, params.get('operation'));
  }).catch((e) => svcSel.append(h('option', { disabled: true }, `(${e.message})`)));

  const form = h('form', { class: 'search-form', id: 'search-form', autocomplete: 'off' },
    h('h2', null, 'Find traces'),
    h('label', null, 'Service', svcSel),
    h('label', null, 'Operation', opSel),
    h('label', null, h('span', null, 'Tags ', h('span', { class: 'hint' }, 'key=value, space-separated; business keys too')), tags),
    h('div', { class: 'row2' },
      h('label', null, 'Min duration', minD),
      h('label', null, 'Max duration', maxD)),
    h('label', null, 'Time range', lookback),
    customRow,
    h('div', { class: 'row2' },
      h('label', { class: 'check' }, errorOnly, 'Errors only'),
      h('label', null, 'Limit', limit)),
    h('button', { type: 'submit', class: 'primary', id: 'search-submit' }, 'Find traces'));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = {
      service: svcSel.value, operation: opSel.value, tags: tags.value.trim(),
      minDuration: minD.value.trim(), maxDuration: maxD.value.trim(),
      errorOnly: errorOnly.checked ? 'true' : '', limit: limit.value && limit.value !== '20' ? limit.value : '',
    };
    if (lookback.value === 'custom') {
      if (startIn.value) p.start = new Date(startIn.value).getTime() * 1000;
      if (endIn.value) p.end = new Date(endIn.value).getTime() * 1000;
    } else {
      p.lookback = lookback.value;
    }
    navigate('/search' + query(p));
  });
  return form;
}

function renderResults(main, results, params, apiQ) {
  const sortKey = SORTS[params.get('sort')] ? params.get('sort') : 'newest';
  const sorted = [...results].sort(SORTS[sortKey][1]);
  replace(main);
  const errors = results.filter((r) => r.error).length;
  const sortSel = h('select', { id: 'search-sort', 'aria-label': 'Sort results' },
    Object.entries(SORTS).map(([k, [label]]) => h('option', { value: k }, label)));
  sortSel.value = sortKey;
  sortSel.addEventListener('change', () => {
    const p = new URLSearchParams(location.search);
    p.set('sort', sortSel.value);
    navigate(`/search?${p}`, { replace: true });
  });
  main.append(h('div', { class: 'results-head' },
    h('h2', null, `${fmtCount(results.length)} trace${results.length === 1 ? '' : 's'}`),
    errors ? h('span', { class: 'badge badge-error' }, `${errors} with errors`) : null,
    h('span', { class: 'muted' }, `${fmtTime(Number(apiQ.start), false)} – ${fmtTime(Number(apiQ.end), false)}`),
    h('span', { class: 'spacer' }),
    sortSel));
  if (!results.length) {
    main.append(notice('info', 'No traces match', 'Widen the time range, drop a filter, or check the tag spelling (values match whole and case-sensitively).'));
    return;
  }
  main.append(scatter(results, Number(apiQ.start), Number(apiQ.end), main.clientWidth - 2));
  const maxDur = Math.max(...results.map((r) => r.duration), 1);
  main.append(h('ol', { class: 'result-list', id: 'result-list' }, sorted.map((r) => resultRow(r, maxDur))));
}

function resultRow(r, maxDur) {
  const title = r.rootService
    ? [h('span', { class: 'svc-name', style: { color: serviceColor(r.rootService) } }, r.rootService), ': ', r.rootOperation]
    : [h('span', { class: 'muted' }, 'no root span')];
  return h('li', { class: `result ${r.error ? 'is-error' : ''}`, dataset: { traceId: r.traceID } },
    link(`/trace/${r.traceID}`, { class: 'result-link' },
      h('div', { class: 'result-top' },
        h('span', { class: 'result-title' }, title),
        h('span', { class: 'mono muted result-id' }, r.traceID.slice(0, 12)),
        r.error ? h('span', { class: 'badge badge-error' }, 'error') : null,
        !r.complete ? h('span', { class: 'badge badge-warn', title: (r.warnings || []).join('\n') || 'assembly did not mark this trace complete' }, 'partial') : null,
        h('span', { class: 'spacer' }),
        h('span', { class: 'result-dur' }, fmtDuration(r.duration))),
      h('div', { class: 'result-bar' }, h('span', { style: { width: `${Math.max(0.5, (r.duration / maxDur) * 100)}%`, background: r.error ? 'var(--error)' : serviceColor(r.rootService || '?') } })),
      h('div', { class: 'result-bottom' },
        h('span', { class: 'muted' }, `${fmtCount(r.spanCount)} span${r.spanCount === 1 ? '' : 's'}`),
        h('span', { class: 'chips' }, (r.services || []).map((sv) => serviceChip(sv))),
        h('span', { class: 'spacer' }),
        h('span', { class: 'muted', title: fmtTime(r.startTime) }, `${fmtTime(r.startTime, false)} · ${fmtAgo(r.startTime)}`))));
}

/** Duration over start time, one dot per trace (area ∝ spans), errors in red; click → trace. */
function scatter(results, startUs, endUs, width) {
  const W = Math.max(420, width || 900);
  const H = 190;
  const m = { l: 58, r: 14, t: 12, b: 26 };
  const times = results.map((r) => r.startTime);
  // Fit the axis to the data when it sits in a small part of the searched range.
  let x0 = Math.min(startUs, ...times);
  let x1 = Math.max(endUs, ...times);
  const span = Math.max(...times) - Math.min(...times);
  if (span < (x1 - x0) / 4) {
    const pad = Math.max(span * 0.1, 1_000_000);
    x0 = Math.min(...times) - pad;
    x1 = Math.max(...times) + pad;
  }
  const durs = results.map((r) => Math.max(r.duration, 1));
  const dMax = Math.max(...durs);
  const dMin = Math.min(...durs);
  // One slow batch job must not flatten every request to the axis: past a 50× spread the
  // duration axis turns logarithmic.
  const log = dMax / dMin > 50;
  const lo = log ? 10 ** Math.floor(Math.log10(dMin)) : 0;
  const yMax = log ? 10 ** Math.ceil(Math.log10(dMax * 1.05)) : dMax * 1.1;
  const X = (t) => m.l + ((t - x0) / (x1 - x0)) * (W - m.l - m.r);
  const frac = (d) => (log ? (Math.log10(Math.max(d, lo)) - Math.log10(lo)) / (Math.log10(yMax) - Math.log10(lo)) : d / yMax);
  const Y = (d) => H - m.b - frac(d) * (H - m.t - m.b);
  const maxSpans = Math.max(...results.map((r) => r.spanCount), 1);
  const svg = s('svg', { class: 'scatter', id: 'scatter', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Trace duration over time' });
  const yTicks = log
    ? Array.from({ length: Math.round(Math.log10(yMax / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : ticks(0, yMax, 4);
  for (const v of yTicks) {
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), class: 'grid' }));
    svg.append(s('text', { x: m.l - 6, y: Y(v) + 3, class: 'axis', 'text-anchor': 'end' }, fmtDuration(v)));
  }
  const secondsAxis = x1 - x0 < 10 * 60e6;
  for (const t of ticks(x0, x1, 6)) {
    svg.append(s('text', { x: X(t), y: H - 8, class: 'axis', 'text-anchor': 'middle' }, fmtClock(t, secondsAxis)));
  }
  svg.append(s('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: 'axis-line' }));
  for (const r of [...results].sort((a, b) => b.spanCount - a.spanCount)) {
    const rad = 3 + 6 * Math.sqrt(r.spanCount / maxSpans);
    const dot = s('circle', {
      cx: X(r.startTime), cy: Y(r.duration), r: rad,
      class: `dot ${r.error ? 'dot-error' : ''}`,
      fill: r.error ? 'var(--error)' : serviceColor(r.rootService || '?'),
      dataset: { traceId: r.traceID },
    }, s('title', null, `${r.rootService || '?'}: ${r.rootOperation || '?'}\n${fmtDuration(r.duration)} · ${r.spanCount} spans\n${fmtTime(r.startTime)}`));
    dot.addEventListener('click', () => navigate(`/trace/${r.traceID}`));
    svg.append(dot);
  }
  return h('div', { class: 'panel scatter-panel' }, svg);
}
