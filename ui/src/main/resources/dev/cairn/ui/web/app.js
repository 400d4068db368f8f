// Cairn's web UI: one page that routes on location.pathname + search, so every view has a URL
// and the browser's back button works (History API). Views render into <main id="view">.

import { api, h, navigate, notice, replace } from './util.js';
import { renderSearch } from './search.js';
import { renderTrace } from './trace.js';
import { renderMap } from './map.js';
import { renderService, renderServiceList } from './service.js';

const ROUTES = [
  { re: /^\/(?:search)?$/, view: 'search', render: (m, params, el) => renderSearch(el, params) },
  { re: /^\/trace\/([^/]+)$/, view: 'search', render: (m, params, el) => renderTrace(el, decodeURIComponent(m[1]), params) },
  { re: /^\/map$/, view: 'map', render: (m, params, el) => renderMap(el, params) },
  { re: /^\/services$/, view: 'services', render: (m, params, el) => renderServiceList(el) },
  { re: /^\/services\/([^/]+)$/, view: 'services', render: (m, params, el) => renderService(el, decodeURIComponent(m[1]), params) },
];

let current = null; // the view's cleanup function, if it returned one
let routed = 0;

async function route() {
  const view = document.getElementById('view');
  if (typeof current === 'function') current();
  current = null;
  const seq = ++routed;
  // Each view renders into its own host: a view still loading when the user moves on writes into
  // a detached element and cannot overwrite the next view.
  const el = h('div', { class: 'view-host' });
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const params = new URLSearchParams(location.search);
  const match = ROUTES.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
  document.querySelectorAll('.mainnav a').forEach((a) =>
    a.classList.toggle('active', !!match && a.dataset.view === match.r.view));
  replace(view, el);
  view.dataset.view = match ? match.r.view : 'none';
  if (!match) {
    document.title = 'Not found · Cairn';
    el.append(notice('error', 'No such page', `Nothing lives at ${path}.`));
    return;
  }
  try {
    const cleanup = await match.r.render(match.m, params, el);
    if (seq === routed) current = cleanup;
    else if (typeof cleanup === 'function') cleanup();
  } catch (e) {
    el.append(notice('error', 'This view failed to load', e.message));
    console.error(e);
  }
}

function wireHeader() {
  document.querySelectorAll('a[data-nav]').forEach((a) => a.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href'));
  }));
  const form = document.getElementById('traceid-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = document.getElementById('traceid-input').value.trim().toLowerCase();
    if (id) navigate(`/trace/${encodeURIComponent(id)}`);
  });
}

/** The dot in the top bar: green when every component the server knows of is up. */
async function refreshStatus() {
  const dot = document.getElementById('status-dot');
  try {
    const env = await api('/api/cairn/status');
    const comps = (env.data && env.data.components) || [];
    const down = comps.filter((c) => c.status === 'down');
    dot.className = `status-dot ${down.length ? 'down' : 'up'}`;
    dot.title = comps.map((c) => `${c.name}: ${c.status}`).join('\n') || 'no components reported';
  } catch (e) {
    dot.className = 'status-dot down';
    dot.title = `status unavailable: ${e.message}`;
  }
}

window.addEventListener('popstate', route);
window.addEventListener('cairn:navigate', route);
wireHeader();
route();
refreshStatus();
setInterval(refreshStatus, 30_000);
// A marker for tests and people alike that the page's code has loaded.
document.documentElement.dataset.ready = 'true';
