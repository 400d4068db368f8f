// The trace view (/trace/<id>?span=<spanId>&tab=logs): a header with the trace's facts, a clear
// mark when it is partial, a waterfall of its spans and the selected span's details.
//
// The waterfall renders only the rows in view (plus a margin): rows have a fixed height, the
// scroll area holds one tall spacer, and a scroll re-renders the slice. A trace of 20,000 spans
// keeps a few dozen rows in the DOM.

import {
  api, fmtCount, fmtDuration, fmtTime, h, link, notice, query, replace, serviceChip,
  serviceColor, ticks,
} from './util.js';

const ROW_H = 26;
const OVERSCAN = 12;
const MAX_INDENT_LEVELS = 24;
const INDENT_PX = 12;

export async function renderTrace(el, traceId, params) {
  document.title = `Trace ${traceId.slice(0, 12)} · Cairn`;
  el.append(h('div', { class: 'loading' }, 'Loading trace…'));
  let env;
  try {
    env = await api(`/api/cairn/traces/${encodeURIComponent(traceId)}`);
  } catch (e) {
    replace(el, e.status === 404
      ? notice('error', 'Trace not found', `No trace ${traceId} in the store. It may not be pulled yet, or it is older than the store's retention.`)
      : notice('error', 'Could not load the trace', e.message));
    return undefined;
  }
  if (!el.isConnected) return undefined; // the user moved on while the trace loaded
  const view = new TraceView(el, env.data, params);
  return () => view.destroy();
}

/** The tree of spans and everything derived from it, computed once per load. */
export function buildModel(data) {
  const nodes = new Map();
  for (const sp of data.spans) {
    nodes.set(sp.spanID, { span: sp, children: [], parent: null, depth: 0, index: -1, descendants: 0, critical: [], orphan: false });
  }
  const roots = [];
  for (const n of nodes.values()) {
    const pid = n.span.parentSpanID || '';
    const parent = pid ? nodes.get(pid) : null;
    if (parent && parent !== n) {
      n.parent = parent;
      parent.children.push(n);
    } else {
      n.orphan = pid !== '';
      roots.push(n);
    }
  }
  const byStart = (a, b) => a.span.startTime - b.span.startTime || a.span.spanID.localeCompare(b.span.spanID);
  roots.sort(byStart);
  // Depth-first order, iteratively: a chain of 20,000 spans must not overflow the stack.
  const order = [];
  const seen = new Set();
  const walk = (root) => {
    const stack = [root];
    while (stack.length) {
      const n = stack.pop();
      if (seen.has(n)) continue;
      seen.add(n);
      n.depth = n.parent ? n.parent.depth + 1 : 0;
      n.index = order.length;
      order.push(n);
      n.children.sort(byStart);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
  };
  roots.forEach(walk);
  // Spans whose parents form a cycle (corrupt data) are reachable from no root: cut each cycle
  // at one span and show it at the top level, marked like a span whose parent is missing.
  for (const n of nodes.values()) {
    if (seen.has(n)) continue;
    n.parent.children.splice(n.parent.children.indexOf(n), 1);
    n.parent = null;
    n.orphan = true;
    roots.push(n);
    walk(n);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (n.parent) n.parent.descendants += n.descendants + 1;
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const n of order) {
    t0 = Math.min(t0, n.span.startTime);
    t1 = Math.max(t1, n.span.startTime + n.span.duration);
  }
  if (!order.length) { t0 = 0; t1 = 1; }
  for (const r of roots) criticalPath(r);
  const maxDepth = order.reduce((m, n) => Math.max(m, n.depth), 0);
  return { nodes, roots, order, t0, t1: Math.max(t1, t0 + 1), maxDepth };
}

/**
 * Marks the critical path below `root`: the chain of work that determined when the root finished.
 * Walking back from the root's end, the child that finished last (before the cursor) is on the
 * path; the parent's own time between such children is too. Each node gets the [start, end)
 * pieces of its time that lie on the path. Iterative, for deep traces.
 */
function criticalPath(root) {
  const work = [[root, root.span.startTime + root.span.duration]];
  while (work.length) {
    const [n, bound] = work.pop();
    const start = n.span.startTime;
    let cursor = Math.min(start + n.span.duration, bound);
    const kids = [...n.children].sort((a, b) => (b.span.startTime + b.span.duration) - (a.span.startTime + a.span.duration));
    for (const c of kids) {
      if (cursor <= start) break;
      const cStart = c.span.startTime;
      if (cStart >= cursor) continue;
      const cEnd = Math.min(c.span.startTime + c.span.duration, cursor);
      if (cEnd < cursor) n.critical.push([cEnd, cursor]);
      work.push([c, cEnd]);
      cursor = Math.max(cStart, start);
    }
    if (cursor > start) n.critical.push([start, cursor]);
    if (n.span.duration === 0 && n === root) n.critical.push([start, start]);
  }
}

class TraceView {
  constructor(el, data, params) {
    this.el = el;
    this.data = data;
    this.model = buildModel(data);
    this.collapsed = new Set();
    this.selected = null;
    this.matches = null;
    this.matchCursor = -1;
    this.showCritical = true;
    this.lastRange = '';
    this.tab = params.get('tab') === 'logs' ? 'logs' : 'timeline';
    this.logsBySpan = new Map();
    for (const l of data.logLines || []) {
      if (!this.logsBySpan.has(l.spanID)) this.logsBySpan.set(l.spanID, []);
      this.logsBySpan.get(l.spanID).push(l);
    }
    this.onResize = () => this.renderRows(true);
    window.addEventListener('resize', this.onResize);
    this.render();
    const want = params.get('span');
    const start = want && this.model.nodes.get(want);
    if (start) {
      this.reveal(start);
      this.select(start, { scroll: true });
    }
  }

  destroy() {
    window.removeEventListener('resize', this.onResize);
  }

  render() {
    const d = this.data;
    const sum = d.summary || {};
    document.title = `${sum.rootService || '?'}: ${sum.rootOperation || '?'} · Trace ${d.traceID.slice(0, 12)} · Cairn`;
    replace(this.el);
    const errors = d.spans.filter((sp) => sp.error).length;
    const rootName = sum.rootService
      ? [h('span', { style: { color: serviceColor(sum.rootService) } }, sum.rootService), ': ', sum.rootOperation]
      : [h('span', { class: 'muted' }, 'Trace without a root span')];
    const head = h('div', { class: 'trace-head panel' },
      h('div', { class: 'trace-title-row' },
        h('h1', { class: 'trace-title' }, rootName),
        errors ? h('span', { class: 'badge badge-error' }, `${errors} error span${errors === 1 ? '' : 's'}`) : null,
        sum.complete === false ? h('span', { class: 'badge badge-warn', id: 'partial-badge' }, 'partial') : null,
        h('span', { class: 'spacer' }),
        link(`/search${query({ service: sum.rootService, operation: sum.rootOperation })}`, { class: 'btn' }, 'Similar traces'),
        h('a', { class: 'btn', href: `/api/traces/${d.traceID}`, target: '_blank', rel: 'noopener' }, 'JSON')),
      h('dl', { class: 'facts' },
        fact('Trace ID', h('span', { class: 'mono', id: 'trace-id' }, d.traceID)),
        fact('Started', fmtTime(this.model.t0)),
        fact('Duration', fmtDuration(this.model.t1 - this.model.t0)),
        fact('Spans', fmtCount(d.spans.length)),
        fact('Depth', String(this.model.maxDepth + 1)),
        fact('Services', h('span', { class: 'chips' }, (sum.services || []).map((sv) => serviceChip(sv))))));
    this.el.append(h('div', { class: 'trace-view' }, head, this.partialBanner(), this.tabs(), this.body()));
  }

  partialBanner() {
    const sum = this.data.summary || {};
    const reasons = [...(sum.warnings || []), ...(this.data.warnings || [])];
    const orphans = this.model.order.filter((n) => n.orphan).length;
    const noRoot = !this.model.order.some((n) => !n.span.parentSpanID);
    if (noRoot) reasons.push('No root span: the span that started the trace was never stored.');
    if (orphans) reasons.push(`${orphans} span${orphans === 1 ? ' is' : 's are'} shown at the top level because ${orphans === 1 ? 'its parent is' : 'their parents are'} missing (marked “parent missing”).`);
    if (sum.complete !== false && !reasons.length) return null;
    return h('div', { class: 'partial-banner', id: 'partial-banner', role: 'status' },
      h('strong', null, sum.complete === false ? 'Partial trace' : 'Trace with warnings'),
      h('span', null, sum.complete === false
        ? ' — trace assembly did not find every span of this trace before it was stored. What is here is shown; gaps are marked.'
        : ''),
      reasons.length ? h('ul', null, [...new Set(reasons)].map((r) => h('li', null, r))) : null);
  }

  tabs() {
    const logs = (this.data.logLines || []).length;
    const mk = (id, label) => h('button', {
      class: `tab ${this.tab === id ? 'active' : ''}`, id: `tab-${id}`, type: 'button',
      onclick: () => {
        this.tab = id;
        const p = new URLSearchParams(location.search);
        if (id === 'logs') p.set('tab', 'logs'); else p.delete('tab');
        history.replaceState(null, '', `${location.pathname}${p.toString() ? '?' + p : ''}`);
        this.render();
        if (this.selected) this.select(this.selected, { scroll: true });
      },
    }, label);
    return h('div', { class: 'tabs' }, mk('timeline', 'Timeline'), mk('logs', `Log lines (${fmtCount(logs)})`));
  }

  body() {
    this.detail = h('aside', { class: 'span-detail panel', id: 'span-detail' },
      h('div', { class: 'muted detail-empty' }, 'Select a span to see its attributes, events, log lines and references.'));
    if (this.tab === 'logs') {
      return h('div', { class: 'trace-body' }, this.logsTable(this.data.logLines || [], true), this.detail);
    }
    return h('div', { class: 'trace-body' }, this.waterfall(), this.detail);
  }

  // ------------------------------------------------------------------------------ waterfall

  waterfall() {
    const m = this.model;
    const total = m.t1 - m.t0;
    const tickVals = ticks(0, total, 5).filter((v) => v < total * 0.88);
    const pos = (frac) => `calc(var(--name-w) + (100% - var(--name-w)) * ${frac})`;

    this.findInput = h('input', { class: 'find', id: 'span-find', placeholder: 'Find spans: service, operation, ID, tag value…', spellcheck: 'false' });
    this.findInfo = h('span', { class: 'muted find-info' });
    this.findInput.addEventListener('input', () => this.find(this.findInput.value));
    this.findInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.nextMatch(e.shiftKey ? -1 : 1); }
    });
    const critBox = h('input', { type: 'checkbox', id: 'critical-toggle', checked: this.showCritical });
    critBox.addEventListener('change', () => { this.showCritical = critBox.checked; this.renderRows(true); });
    const toolbar = h('div', { class: 'wf-toolbar' },
      this.findInput, this.findInfo,
      h('span', { class: 'spacer' }),
      h('label', { class: 'check', title: 'Darkens the parts of spans that determined when the trace finished' }, critBox, 'Critical path'),
      h('button', { type: 'button', class: 'btn', id: 'expand-all', onclick: () => { this.collapsed.clear(); this.refresh(); } }, 'Expand all'),
      h('button', { type: 'button', class: 'btn', id: 'collapse-all', onclick: () => this.collapseAll() }, 'Collapse all'));

    const header = h('div', { class: 'wf-header' },
      h('div', { class: 'wf-name-h' }, 'Service · operation'),
      tickVals.map((v) => h('span', { class: 'wf-tick', style: { left: pos(v / total) } }, v === 0 ? '0' : fmtDuration(v))),
      h('span', { class: 'wf-tick wf-tick-end' }, fmtDuration(total)));

    this.rowsEl = h('div', { class: 'wf-rows', id: 'wf-rows' },
      tickVals.map((v) => h('div', { class: 'wf-grid', style: { left: pos(v / total) } })));
    this.spacer = h('div', { class: 'wf-spacer' }, this.rowsEl);
    this.scroller = h('div', { class: 'wf-scroll', id: 'wf-scroll', tabindex: '0' }, this.spacer);
    this.scroller.addEventListener('scroll', () => {
      if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.renderRows(false); });
    });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.rowPool = new Map(); // node → element, for the rows currently in the DOM
    this.refresh();
    // The scroll area has its size only once it is in the document.
    requestAnimationFrame(() => this.renderRows(true));
    return h('div', { class: 'waterfall panel' }, toolbar, header, this.scroller);
  }

  /** Recomputes the visible rows after a collapse or expand, keeping the scroll position. */
  refresh() {
    const vis = [];
    const order = this.model.order;
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      vis.push(n);
      if (this.collapsed.has(n)) i += n.descendants; // skip the hidden subtree: DFS order keeps it contiguous
    }
    this.visible = vis;
    this.visibleIndex = new Map(vis.map((n, i) => [n, i]));
    this.spacer.style.height = `${vis.length * ROW_H}px`;
    this.renderRows(true);
  }

  collapseAll() {
    for (const n of this.model.order) if (n.children.length && n.parent) this.collapsed.add(n);
    // Keep the roots open so the first level stays visible, as Jaeger does.
    this.refresh();
  }

  toggle(n) {
    if (this.collapsed.has(n)) this.collapsed.delete(n); else this.collapsed.add(n);
    this.refresh();
  }

  /** Expands every ancestor of n so its row is visible. */
  reveal(n) {
    let changed = false;
    for (let p = n.parent; p; p = p.parent) if (this.collapsed.delete(p)) changed = true;
    if (changed || !this.visible) this.refresh();
  }

  renderRows(force) {
    if (!this.scroller || !this.visible) return;
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.visible.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    const key = `${first}:${last}`;
    if (!force && key === this.lastRange) return;
    this.lastRange = key;
    const keep = new Map();
    for (let i = first; i < last; i++) {
      const n = this.visible[i];
      let row = !force && this.rowPool.get(n);
      if (!row) row = this.row(n);
      row.style.top = `${i * ROW_H}px`;
      keep.set(n, row);
    }
    for (const [n, row] of this.rowPool) if (keep.get(n) !== row) row.remove();
    for (const row of keep.values()) if (!row.isConnected) this.rowsEl.append(row);
    this.rowPool = keep;
  }

  row(n) {
    const sp = n.span;
    const m = this.model;
    const total = m.t1 - m.t0;
    const left = ((sp.startTime - m.t0) / total) * 100;
    const width = Math.max((sp.duration / total) * 100, 0.15);
    const color = serviceColor(sp.serviceName);
    const collapsed = this.collapsed.has(n);
    const level = Math.min(n.depth, MAX_INDENT_LEVELS);
    const follows = (sp.references || []).some((r) => r.refType === 'FOLLOWS_FROM');
    const isMatch = this.matches && this.matches.has(n);
    const bar = h('div', {
      class: 'wf-bar',
      style: { left: `${left}%`, width: `${width}%`, background: sp.error ? 'var(--error)' : color },
    });
    if (this.showCritical && sp.duration > 0) {
      for (const [a, b] of n.critical) {
        if (b <= a) continue;
        bar.append(h('span', { class: 'wf-crit', style: { left: `${((a - sp.startTime) / sp.duration) * 100}%`, width: `${((b - a) / sp.duration) * 100}%` } }));
      }
    }
    // The duration goes after the bar, else before it, else inside it: never over the names.
    const durLabel = h('span', { class: 'wf-dur' }, fmtDuration(sp.duration));
    if (left + width <= 86) {
      durLabel.style.left = `${left + width + 0.4}%`;
    } else if (left >= 12) {
      durLabel.style.right = `${100 - left + 0.4}%`;
    } else {
      durLabel.classList.add('inside');
      durLabel.style.right = `${100 - left - width + 0.6}%`;
    }
    const toggleBtn = n.children.length
      ? h('button', {
        type: 'button', class: 'wf-toggle', 'aria-expanded': String(!collapsed),
        title: collapsed ? `Expand (${fmtCount(n.descendants)} hidden)` : 'Collapse',
        onclick: (e) => { e.stopPropagation(); this.toggle(n); },
      }, collapsed ? '▸' : '▾')
      : h('span', { class: 'wf-toggle-space' });
    const el = h('div', {
      class: ['wf-row', sp.error ? 'is-error' : '', this.selected === n ? 'selected' : '', isMatch ? 'match' : '', n.critical.length && this.showCritical ? 'on-critical' : ''].join(' ').trim(),
      role: 'row',
      dataset: { spanId: sp.spanID, depth: String(n.depth) },
      onclick: () => this.select(n),
    },
    h('div', { class: 'wf-name', style: { paddingLeft: `${6 + level * INDENT_PX}px`, borderLeftColor: color } },
      h('span', { class: 'wf-indent', style: { width: `${level * INDENT_PX}px` } }),
      toggleBtn,
      n.depth > MAX_INDENT_LEVELS ? h('span', { class: 'wf-deep', title: `depth ${n.depth}` }, `↳${n.depth}`) : null,
      h('span', { class: 'wf-svc', style: { color } }, sp.serviceName),
      h('span', { class: 'wf-op', title: sp.operationName }, sp.operationName),
      sp.error ? h('span', { class: 'wf-flag wf-flag-error', title: sp.statusMessage || 'error' }, '!') : null,
      follows ? h('span', { class: 'wf-flag', title: 'has a FOLLOWS_FROM reference' }, '↪') : null,
      n.orphan ? h('span', { class: 'wf-flag wf-flag-warn', title: `parent ${sp.parentSpanID} is not in this trace` }, 'parent missing') : null,
      collapsed ? h('span', { class: 'wf-hidden-count' }, `+${fmtCount(n.descendants)}`) : null),
    h('div', { class: 'wf-timeline' }, bar, durLabel));
    return el;
  }

  onKey(e) {
    if (!this.visible || !this.visible.length) return;
    const i = this.selected ? this.visibleIndex.get(this.selected) : -1;
    const n = this.selected;
    if (e.key === 'ArrowDown') this.select(this.visible[Math.min(this.visible.length - 1, i + 1)], { scroll: true });
    else if (e.key === 'ArrowUp') this.select(this.visible[Math.max(0, i - 1)], { scroll: true });
    else if (e.key === 'ArrowLeft' && n && n.children.length && !this.collapsed.has(n)) this.toggle(n);
    else if (e.key === 'ArrowRight' && n && this.collapsed.has(n)) this.toggle(n);
    else return;
    e.preventDefault();
  }

  // --------------------------------------------------------------------------------- find

  find(text) {
    const q = text.trim().toLowerCase();
    if (!q) {
      this.matches = null;
      this.findInfo.textContent = '';
    } else {
      const hit = (v) => String(v).toLowerCase().includes(q);
      this.matches = new Set(this.model.order.filter((n) => {
        const sp = n.span;
        return hit(sp.serviceName) || hit(sp.operationName) || sp.spanID === q
          || (sp.tags || []).some((t) => hit(t.value) || hit(t.key));
      }));
      this.matchList = this.model.order.filter((n) => this.matches.has(n));
      this.matchCursor = -1;
      this.findInfo.textContent = `${fmtCount(this.matches.size)} match${this.matches.size === 1 ? '' : 'es'}${this.matches.size ? ' · Enter for next' : ''}`;
    }
    this.renderRows(true);
  }

  nextMatch(dir) {
    if (!this.matchList || !this.matchList.length) return;
    this.matchCursor = (this.matchCursor + dir + this.matchList.length) % this.matchList.length;
    const n = this.matchList[this.matchCursor];
    this.reveal(n);
    this.select(n, { scroll: true });
    this.findInfo.textContent = `${this.matchCursor + 1} of ${fmtCount(this.matchList.length)}`;
  }

  // ---------------------------------------------------------------------------- selection

  select(n, { scroll = false } = {}) {
    if (!n) return;
    this.selected = n;
    const p = new URLSearchParams(location.search);
    p.set('span', n.span.spanID);
    history.replaceState(null, '', `${location.pathname}?${p}`);
    if (this.rowPool) {
      for (const [node, row] of this.rowPool) row.classList.toggle('selected', node === n);
    }
    if (scroll && this.scroller && this.visibleIndex && this.visibleIndex.has(n)) {
      const y = this.visibleIndex.get(n) * ROW_H;
      const { scrollTop, clientHeight } = this.scroller;
      if (y < scrollTop || y + ROW_H > scrollTop + clientHeight) {
        this.scroller.scrollTop = Math.max(0, y - clientHeight / 3);
      }
      this.renderRows(true);
    }
    this.renderDetail(n);
  }

  renderDetail(n) {
    const sp = n.span;
    const m = this.model;
    const proc = (this.data.processes || {})[sp.processID];
    const logs = this.logsBySpan.get(sp.spanID) || [];
    const tagRows = (sp.tags || []).map((t) => h('tr', null,
      h('th', { class: 'mono' }, t.key),
      h('td', { class: `val val-${t.type}` }, valueText(t)),
    ));
    const refs = sp.references || [];
    replace(this.detail,
      h('div', { class: 'detail-head', style: { borderTopColor: serviceColor(sp.serviceName) } },
        h('div', { class: 'detail-svc' }, serviceChip(sp.serviceName), h('span', { class: 'badge' }, sp.kind || 'INTERNAL'),
          sp.error ? h('span', { class: 'badge badge-error' }, 'error') : null),
        h('h2', { class: 'detail-op' }, sp.operationName)),
      h('dl', { class: 'facts facts-grid' },
        fact('Span ID', h('span', { class: 'mono' }, sp.spanID)),
        fact('Parent', sp.parentSpanID
          ? (m.nodes.has(sp.parentSpanID) ? spanLink(this, sp.parentSpanID) : h('span', { class: 'mono warn-text' }, `${sp.parentSpanID} (missing)`))
          : h('span', { class: 'muted' }, 'none (root)')),
        fact('Start', `+${fmtDuration(sp.startTime - m.t0)}`),
        fact('Duration', fmtDuration(sp.duration)),
        fact('At', fmtTime(sp.startTime)),
        fact('Status', sp.error ? h('span', { class: 'error-text' }, `ERROR${sp.statusMessage ? ': ' + sp.statusMessage : ''}`) : (sp.statusMessage || statusTag(sp) || 'UNSET')),
        n.children.length ? fact('Children', `${fmtCount(n.children.length)} (${fmtCount(n.descendants)} below)`) : null),
      (sp.warnings || []).length ? h('div', { class: 'notice notice-warn' }, sp.warnings.map((w) => h('div', null, w))) : null,
      section(`Attributes (${(sp.tags || []).length})`, tagRows.length ? h('table', { class: 'kv', id: 'detail-attributes' }, h('tbody', null, tagRows)) : h('div', { class: 'muted' }, 'none')),
      section(`Events (${(sp.logs || []).length})`, (sp.logs || []).length ? h('ol', { class: 'events', id: 'detail-events' }, sp.logs.map((ev) => this.eventItem(ev))) : h('div', { class: 'muted' }, 'none')),
      section(`Log lines (${logs.length})`, logs.length ? this.logsTable(logs, false) : h('div', { class: 'muted' }, 'none captured in this span')),
      section(`References (${refs.length})`, refs.length ? h('ul', { class: 'refs', id: 'detail-refs' }, refs.map((r) => h('li', null,
        h('span', { class: `badge ${r.refType === 'FOLLOWS_FROM' ? 'badge-follows' : ''}` }, r.refType), ' ',
        r.traceID === this.data.traceID
          ? (m.nodes.has(r.spanID) ? spanLink(this, r.spanID) : h('span', { class: 'mono' }, `${r.spanID} (not in this trace)`))
          : link(`/trace/${r.traceID}?span=${r.spanID}`, { class: 'mono' }, `${r.traceID.slice(0, 12)}… / ${r.spanID}`)))) : h('div', { class: 'muted' }, 'none')),
      section('Process', proc
        ? h('table', { class: 'kv', id: 'detail-process' }, h('tbody', null,
          h('tr', null, h('th', null, 'service'), h('td', null, proc.serviceName)),
          (proc.tags || []).map((t) => h('tr', null, h('th', { class: 'mono' }, t.key), h('td', null, valueText(t))))))
        : h('div', { class: 'muted' }, 'not recorded')));
  }

  eventItem(ev) {
    const m = this.model;
    const fields = ev.fields || [];
    const name = fields.find((f) => f.key === 'event');
    const rest = fields.filter((f) => f !== name);
    return h('li', { class: 'event' },
      h('div', { class: 'event-head' },
        h('span', { class: 'mono muted' }, `+${fmtDuration(ev.timestamp - m.t0)}`),
        h('strong', { class: name && /exception|error/i.test(String(name.value)) ? 'error-text' : '' }, name ? String(name.value) : 'event')),
      rest.length ? h('table', { class: 'kv' }, h('tbody', null, rest.map((f) => h('tr', null, h('th', { class: 'mono' }, f.key), h('td', null, valueText(f)))))) : null);
  }

  logsTable(lines, withSpan) {
    const m = this.model;
    if (!lines.length) return h('div', { class: 'panel logs-panel' }, h('div', { class: 'muted' }, 'No business log lines were captured in this trace.'));
    const rows = lines.map((l) => {
      const node = l.spanID ? m.nodes.get(l.spanID) : null;
      return h('tr', { class: `log-row level-${String(l.level).toLowerCase()}` },
        h('td', { class: 'mono muted nowrap' }, `+${fmtDuration(l.timestamp - m.t0)}`),
        h('td', { class: 'level nowrap' }, l.level),
        withSpan ? h('td', { class: 'nowrap' }, node ? h('a', { href: '#', class: 'span-ref', onclick: (e) => { e.preventDefault(); this.goTo(node); } }, serviceChip(node.span.serviceName), ' ', node.span.operationName) : h('span', { class: 'muted' }, l.spanID || '—')) : null,
        h('td', { class: 'logger nowrap', title: `${l.logger} [${l.thread}]` }, shortLogger(l.logger)),
        h('td', { class: 'msg' }, l.message, l.thrown ? h('pre', { class: 'thrown' }, l.thrown) : null));
    });
    const table = h('table', { class: 'logs', id: withSpan ? 'trace-logs' : 'detail-logs' }, h('tbody', null, rows));
    return withSpan ? h('div', { class: 'panel logs-panel' }, table) : table;
  }

  /** From the logs tab to the span in the timeline. */
  goTo(n) {
    this.tab = 'timeline';
    const p = new URLSearchParams(location.search);
    p.delete('tab');
    p.set('span', n.span.spanID);
    history.replaceState(null, '', `${location.pathname}?${p}`);
    this.render();
    this.reveal(n);
    requestAnimationFrame(() => this.select(n, { scroll: true }));
  }
}

function spanLink(view, spanId) {
  const n = view.model.nodes.get(spanId);
  return h('a', {
    href: '#', class: 'span-ref',
    onclick: (e) => { e.preventDefault(); view.tab === 'logs' ? view.goTo(n) : (view.reveal(n), view.select(n, { scroll: true })); },
  }, h('span', { class: 'mono' }, spanId), ' ', h('span', { class: 'muted' }, `${n.span.serviceName}: ${n.span.operationName}`));
}

function statusTag(sp) {
  const t = (sp.tags || []).find((x) => x.key === 'otel.status_code');
  return t ? String(t.value) : '';
}

function valueText(t) {
  if (t.value === null || t.value === undefined) return '';
  return typeof t.value === 'object' ? JSON.stringify(t.value) : String(t.value);
}

function shortLogger(name) {
  const parts = String(name).split('.');
  return parts.length > 2 ? parts.slice(0, -1).map((p) => p[0]).join('.') + '.' + parts[parts.length - 1] : name;
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value));
}

function section(title, content) {
  return h('section', { class: 'detail-section' }, h('h3', null, title), content);
}
