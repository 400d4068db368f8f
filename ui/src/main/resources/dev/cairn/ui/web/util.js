// Shared helpers for Cairn's pages: DOM building that never interprets data as markup, the API
// client, number/time formatting and the colour of each service.
//
// Everything that comes from a span (names, attribute values, log messages) reaches the page only
// as a text node or an attribute value set through the DOM; no function here takes HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Builds an element. attrs: plain attributes, plus `class`, `style` (object), `on<event>`
 * handlers, and `dataset` (object). Children: nodes, strings (as text), arrays, null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Like h, for SVG elements. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'style' && typeof v === 'object') {
        Object.assign(el.style, v);
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Removes every child of el and appends the given ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ------------------------------------------------------------------------------------ API

/** An error the server reported in its envelope, or a network failure. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/**
 * GET an /api path; params: object of string/number/boolean or arrays (repeated), empty values
 * dropped. Resolves to the whole envelope ({data, total, ...}); rejects with ApiError carrying the
 * server's message.
 */
export async function api(path, params) {
  const url = path + query(params);
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new ApiError(`Cannot reach the Cairn server (${e.message})`, 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    // fall through: a non-JSON answer is reported with its status below
  }
  if (!res.ok || !body || (body.errors && body.errors.length)) {
    const msg = body && body.errors && body.errors.length
      ? body.errors.map((e) => e.msg).join('; ')
      : `${res.status} ${res.statusText}`;
    throw new ApiError(msg, res.status);
  }
  return body;
}

/** "?a=1&b=x&b=y" from an object, skipping empty values; "" when nothing is left. */
export function query(params) {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
    else q.append(k, String(v));
  }
  const str = q.toString();
  return str ? '?' + str : '';
}

// ------------------------------------------------------------------------------ formatting

/** A duration in µs for people: 850µs, 12.3ms, 1.25s, 3m 4s. */
export function fmtDuration(us) {
  if (us === null || us === undefined || !isFinite(us)) return '–';
  const a = Math.abs(us);
  if (a < 1000) return `${round(us, 0)}µs`;
  if (a < 1_000_000) return `${round(us / 1000, a < 10_000 ? 2 : a < 100_000 ? 1 : 0)}ms`;
  if (a < 60_000_000) return `${round(us / 1_000_000, a < 10_000_000 ? 2 : 1)}s`;
  const m = Math.floor(a / 60_000_000);
  const sec = Math.round((a % 60_000_000) / 1_000_000);
  return `${us < 0 ? '-' : ''}${m}m ${sec}s`;
}

function round(x, digits) {
  return Number(x.toFixed(digits)).toString();
}

/** µs since the epoch → "2025-11-21 04:40:01.234" in the browser's time zone. */
export function fmtTime(us, withMillis = true) {
  const d = new Date(us / 1000);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withMillis ? `${base}.${p(d.getMilliseconds(), 3)}` : base;
}

/** µs since the epoch → "04:40" or "04:40:05" for chart axes. */
export function fmtClock(us, seconds = false) {
  const d = new Date(us / 1000);
  const p = (n) => String(n).padStart(2, '0');
  return seconds ? `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` : `${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "3 min ago", "2 h ago", "5 d ago". */
export function fmtAgo(us) {
  const sec = (Date.now() * 1000 - us) / 1_000_000;
  if (sec < 0) return 'in the future';
  if (sec < 60) return `${Math.round(sec)} s ago`;
  if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
  return `${Math.round(sec / 86400)} d ago`;
}

export function fmtCount(n) {
  return Number(n).toLocaleString('en-US');
}

export function fmtPercent(ratio) {
  if (!isFinite(ratio)) return '–';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${round(pct, pct < 10 ? 1 : 0)}%`;
}

export function fmtRate(perSecond) {
  if (!isFinite(perSecond)) return '–';
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 1) return `${round(perSecond, 1)}/s`;
  return `${round(perSecond * 60, perSecond * 60 >= 10 ? 0 : 1)}/min`;
}

/**
 * A Go-style duration ("100ms", "1.5s", "2m", "1h30m") or plain µs → µs; NaN when malformed.
 * The same forms the server accepts, checked here so the form can say which field is wrong.
 */
export function parseDuration(text) {
  const t = String(text).trim();
  if (t === '') return NaN;
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit = { ns: 0.001, us: 1, 'µs': 1, ms: 1000, s: 1e6, m: 6e7, h: 3.6e9 };
  let total = 0;
  let m;
  let end = 0;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * unit[m[2]];
    end = re.lastIndex;
  }
  return end === t.length && end > 0 ? Math.round(total) : NaN;
}

/** "15m", "1h", "2d" (lookback choices) → µs. */
export function lookbackMicros(lb) {
  const m = /^(\d+)([mhd])$/.exec(lb || '');
  if (!m) return NaN;
  return Number(m[1]) * { m: 6e7, h: 3.6e9, d: 8.64e10 }[m[2]];
}

export const nowMicros = () => Date.now() * 1000;

// ----------------------------------------------------------------------------- colours

// Twelve hues that stay apart from each other and from the error red, readable on white.
const PALETTE = [
  '#3b82c4', '#e8853d', '#2e9e6b', '#8e6bc9', '#c9527f', '#1fa2a8',
  '#a67c2e', '#5b6bd6', '#6f9e2e', '#b65fbf', '#3f8f8f', '#cc6b4a',
];
const assigned = new Map();

/** A stable colour per service name (the same on every page and every load). */
export function serviceColor(name) {
  let c = assigned.get(name);
  if (!c) {
    let hash = 2166136261;
    for (let i = 0; i < name.length; i++) {
      hash ^= name.charCodeAt(i);
      hash = Math.imul(hash, 16777619);
    }
    c = PALETTE[(hash >>> 0) % PALETTE.length];
    assigned.set(name, c);
  }
  return c;
}

/** A small coloured square and the service name. */
export function serviceChip(name, extraClass = '') {
  return h('span', { class: `svc-chip ${extraClass}`.trim() },
    h('span', { class: 'svc-dot', style: { background: serviceColor(name) } }), name);
}

// --------------------------------------------------------------------------- navigation

/** Navigates inside the page (History API); app.js listens and renders the new view. */
export function navigate(url, { replace: rep = false } = {}) {
  if (rep) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event('cairn:navigate'));
}

/** An <a> that navigates inside the page on a plain click and opens normally otherwise. */
export function link(url, attrs, ...children) {
  return h('a', {
    ...attrs,
    href: url,
    onclick: (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(url);
    },
  }, ...children);
}

/** A message panel for errors and empty results. */
export function notice(kind, title, detail) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('strong', null, title), detail ? h('div', { class: 'notice-detail' }, detail) : null);
}

/** Nice tick values for an axis from lo to hi, about `count` of them. */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((st) => raw <= st) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

