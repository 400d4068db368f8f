// The service map (/map?lookback=1h): services as a layered DAG, callers left of callees, each
// edge labelled with its call count and error rate. Laid out by hand (longest-path layers,
// barycentre ordering), drawn in SVG; a click on a service opens its page.

import {
  api, fmtCount, fmtPercent, h, link, lookbackMicros, navigate, notice, query, replace, s,
  serviceColor,
} from './util.js';

const LOOKBACKS = [['15m', '15 minutes'], ['1h', '1 hour'], ['6h', '6 hours'], ['1d', '24 hours'], ['2d', '2 days'], ['7d', '7 days']];
const NODE_H = 46;
const ROW_GAP = 34;
const COL_GAP = 150;

export async function renderMap(el, params) {
  document.title = 'Service map · Cairn';
  const lb = LOOKBACKS.some(([v]) => v === params.get('lookback')) ? params.get('lookback') : '1h';
  const sel = h('select', { id: 'map-lookback', 'aria-label': 'Time range' }, LOOKBACKS.map(([v, l]) => h('option', { value: v }, `Last ${l}`)));
  sel.value = lb;
  sel.addEventListener('change', () => navigate(`/map${query({ lookback: sel.value })}`));
  const body = h('div', { class: 'map-body' }, h('div', { class: 'loading' }, 'Loading dependencies…'));
  el.append(h('div', { class: 'page-head' }, h('h1', null, 'Service map'),
    h('span', { class: 'muted' }, 'Calls between services, from the parent span’s service to the child’s.'),
    h('span', { class: 'spacer' }), sel), body);

  const endMs = Date.now();
  let links;
  let services;
  try {
    const [dep, svc] = await Promise.all([
      api('/api/cairn/dependencies', { endTs: endMs, lookback: lookbackMicros(lb) / 1000 }),
      api('/api/services'),
    ]);
    links = dep.data || [];
    services = svc.data || [];
  } catch (e) {
    replace(body, notice('error', 'Could not load the dependencies', e.message));
    return;
  }
  if (!links.length && !services.length) {
    replace(body, notice('info', 'No services yet', 'Once traces are stored, the services and the calls between them appear here.'));
    return;
  }
  replace(body, draw(layout(links, services)), legend(links));
}

/** Layers, order and positions for the nodes; edges that close a cycle are marked `back`. */
export function layout(links, services) {
  const names = [...new Set([...links.flatMap((l) => [l.parent, l.child]), ...services])].sort();
  const out = new Map(names.map((n) => [n, []]));
  for (const l of links) out.get(l.parent).push(l);
  // Depth-first search to find back edges: without them the graph is a DAG we can layer.
  const state = new Map();
  const back = new Set();
  for (const start of names) {
    if (state.has(start)) continue;
    const stack = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const edges = out.get(top[0]);
      if (top[1] < edges.length) {
        const e = edges[top[1]++];
        const st = state.get(e.child);
        if (st === 1) back.add(e);
        else if (!st) { state.set(e.child, 1); stack.push([e.child, 0]); }
      } else {
        state.set(top[0], 2);
        stack.pop();
      }
    }
  }
  const forward = links.filter((l) => !back.has(l) && l.parent !== l.child);
  // Longest path from a source: a caller always sits left of what it calls.
  const layer = new Map(names.map((n) => [n, 0]));
  const indeg = new Map(names.map((n) => [n, 0]));
  forward.forEach((l) => indeg.set(l.child, indeg.get(l.child) + 1));
  const queue = names.filter((n) => indeg.get(n) === 0);
  const topo = [];
  while (queue.length) {
    const n = queue.shift();
    topo.push(n);
    for (const l of out.get(n)) {
      if (back.has(l) || l.parent === l.child) continue;
      layer.set(l.child, Math.max(layer.get(l.child), layer.get(n) + 1));
      indeg.set(l.child, indeg.get(l.child) - 1);
      if (indeg.get(l.child) === 0) queue.push(l.child);
    }
  }
  // Then move every service as far right as its callees allow, in reverse topological order, so
  // a caller that only calls deep services (a batch job calling the database) sits beside them
  // instead of drawing a long edge across every column.
  for (const n of [...topo].reverse()) {
    const kids = out.get(n).filter((l) => !back.has(l) && l.parent !== l.child).map((l) => layer.get(l.child));
    if (kids.length) layer.set(n, Math.max(layer.get(n), Math.min(...kids) - 1));
  }
  const layers = [];
  for (const n of names) (layers[layer.get(n)] ||= []).push(n);
  // Barycentre sweeps: order each layer by the mean position of its neighbours, to cut crossings.
  const pos = new Map();
  const setPos = () => layers.forEach((ns) => ns.forEach((n, i) => pos.set(n, i)));
  setPos();
  const neighbours = (n, dir) => forward.filter((l) => (dir > 0 ? l.child === n : l.parent === n)).map((l) => (dir > 0 ? l.parent : l.child));
  for (let pass = 0; pass < 6; pass++) {
    const down = pass % 2 === 0;
    const seq = down ? layers.keys() : [...layers.keys()].reverse();
    for (const i of seq) {
      const ns = layers[i];
      if (!ns) continue;
      const bc = new Map(ns.map((n) => {
        const nb = neighbours(n, down ? 1 : -1);
        return [n, nb.length ? nb.reduce((a, b) => a + pos.get(b), 0) / nb.length : pos.get(n)];
      }));
      ns.sort((a, b) => bc.get(a) - bc.get(b) || a.localeCompare(b));
      setPos();
    }
  }
  const widths = new Map(names.map((n) => [n, Math.max(120, textWidth(n) + 44)]));
  const colW = layers.map((ns) => Math.max(...(ns || []).map((n) => widths.get(n)), 120));
  const tallest = Math.max(...layers.map((ns) => (ns || []).length));
  const height = tallest * (NODE_H + ROW_GAP) + 40;
  const nodes = new Map();
  let x = 30;
  layers.forEach((ns, i) => {
    const colH = ns.length * (NODE_H + ROW_GAP) - ROW_GAP;
    ns.forEach((n, j) => {
      nodes.set(n, { name: n, x: x + (colW[i] - widths.get(n)) / 2, y: (height - colH) / 2 + j * (NODE_H + ROW_GAP), w: widths.get(n), h: NODE_H });
    });
    x += colW[i] + COL_GAP;
  });
  return { nodes, links, back, width: x - COL_GAP + 30, height };
}

let measureCtx;
function textWidth(text) {
  measureCtx ||= document.createElement('canvas').getContext('2d');
  measureCtx.font = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  return measureCtx.measureText(text).width;
}

function edgeColor(l) {
  const rate = l.callCount ? (l.errorCount || 0) / l.callCount : 0;
  if (rate >= 0.05) return 'var(--error)';
  if (rate > 0) return 'var(--warn)';
  return '#8a94a6';
}

function draw(g) {
  const maxCalls = Math.max(1, ...g.links.map((l) => l.callCount));
  const svg = s('svg', { class: 'map', id: 'service-map', width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}`, role: 'img', 'aria-label': 'Service dependency graph' });
  const defs = s('defs');
  for (const [id, color] of [['arrow', '#8a94a6'], ['arrow-warn', 'var(--warn)'], ['arrow-error', 'var(--error)']]) {
    defs.append(s('marker', { id, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '9', markerHeight: '9', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', fill: color })));
  }
  svg.append(defs);
  const edgeLayer = s('g', { class: 'edges' });
  const labelLayer = s('g', { class: 'edge-labels' });
  const nodeLayer = s('g', { class: 'nodes' });
  svg.append(edgeLayer, labelLayer, nodeLayer);
  const incoming = new Map();
  const outgoing = new Map();
  const placed = [];
  for (const l of g.links) {
    const a = g.nodes.get(l.parent);
    const b = g.nodes.get(l.child);
    const color = edgeColor(l);
    const marker = color === 'var(--error)' ? 'arrow-error' : color === 'var(--warn)' ? 'arrow-warn' : 'arrow';
    const width = 1.2 + 3.5 * Math.log10(1 + (9 * l.callCount) / maxCalls);
    let d;
    let lx;
    let ly;
    if (l.parent === l.child) {
      // A service calling itself: a loop above the node.
      const cx = a.x + a.w / 2;
      d = `M${cx - 14},${a.y} C${cx - 30},${a.y - 40} ${cx + 30},${a.y - 40} ${cx + 14},${a.y}`;
      lx = cx; ly = a.y - 34;
    } else if (g.back.has(l)) {
      // Closes a cycle: route below both nodes so it does not hide forward edges.
      const x1 = a.x + a.w / 2;
      const x2 = b.x + b.w / 2;
      const yb = Math.max(a.y, b.y) + NODE_H + 28;
      d = `M${x1},${a.y + NODE_H} C${x1},${yb} ${x2},${yb} ${x2},${b.y + NODE_H}`;
      lx = (x1 + x2) / 2; ly = yb - 4;
    } else {
      const x1 = a.x + a.w;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x - 2;
      const y2 = b.y + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      lx = mx; ly = (y1 + y2) / 2;
    }
    const rate = l.callCount ? (l.errorCount || 0) / l.callCount : 0;
    const label = `${fmtCount(l.callCount)} call${l.callCount === 1 ? '' : 's'}${rate > 0 ? ` · ${fmtPercent(rate)} err` : ''}`;
    const path = s('path', { d, class: 'edge', stroke: color, 'stroke-width': width.toFixed(2), fill: 'none', 'marker-end': `url(#${marker})`, dataset: { parent: l.parent, child: l.child } },
      s('title', null, `${l.parent} → ${l.child}\n${fmtCount(l.callCount)} calls, ${fmtCount(l.errorCount || 0)} errors (${fmtPercent(rate)})`));
    edgeLayer.append(path);
    const tw = label.length * 6.2 + 10;
    ly = freeSpot(placed, lx, ly, tw);
    labelLayer.append(s('g', { class: 'edge-label', dataset: { parent: l.parent, child: l.child } },
      s('rect', { x: lx - tw / 2, y: ly - 9, width: tw, height: 17, rx: 3 }),
      s('text', { x: lx, y: ly + 3.5, 'text-anchor': 'middle', class: rate >= 0.05 ? 'err' : '' }, label)));
    incoming.set(l.child, (incoming.get(l.child) || 0) + l.callCount);
    outgoing.set(l.parent, (outgoing.get(l.parent) || 0) + l.callCount);
  }
  for (const n of g.nodes.values()) {
    const color = serviceColor(n.name);
    const node = s('g', { class: 'node', transform: `translate(${n.x},${n.y})`, tabindex: '0', role: 'link', dataset: { service: n.name } },
      s('rect', { width: n.w, height: n.h, rx: 6, class: 'node-box' }),
      s('rect', { width: 5, height: n.h, rx: 2, fill: color }),
      s('text', { x: 14, y: 19, class: 'node-name' }, n.name),
      s('text', { x: 14, y: 35, class: 'node-sub' }, `in ${fmtCount(incoming.get(n.name) || 0)} · out ${fmtCount(outgoing.get(n.name) || 0)}`),
      s('title', null, `${n.name}: open the service page`));
    const open = () => navigate(`/services/${encodeURIComponent(n.name)}`);
    node.addEventListener('click', open);
    node.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    node.addEventListener('mouseenter', () => highlight(svg, n.name, true));
    node.addEventListener('mouseleave', () => highlight(svg, n.name, false));
    nodeLayer.append(node);
  }
  return h('div', { class: 'panel map-panel' }, svg);
}

/**
 * The label's centre y nearest to `y` where a label of width `w` at `x` overlaps no label placed
 * before it (edges leaving one service start at the same point, so their labels would stack).
 */
function freeSpot(placed, x, y, w) {
  const H = 19;
  const clash = (cy) => placed.some((p) => Math.abs(p.x - x) < (p.w + w) / 2 && Math.abs(p.y - cy) < H);
  let best = y;
  for (let k = 1; clash(best) && k < 20; k++) best = y + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * H;
  placed.push({ x, y: best, w });
  return best;
}

function highlight(svg, name, on) {
  svg.classList.toggle('focus', on);
  svg.querySelectorAll('.edge, .edge-label').forEach((e) => {
    e.classList.toggle('hot', on && (e.dataset.parent === name || e.dataset.child === name));
  });
}

function legend(links) {
  const calls = links.reduce((a, l) => a + l.callCount, 0);
  const errs = links.reduce((a, l) => a + (l.errorCount || 0), 0);
  return h('div', { class: 'map-legend muted' },
    h('span', null, `${fmtCount(links.length)} dependencies · ${fmtCount(calls)} calls · ${fmtPercent(calls ? errs / calls : 0)} errors`),
    h('span', { class: 'legend-item' }, h('span', { class: 'legend-line' }), 'no errors'),
    h('span', { class: 'legend-item' }, h('span', { class: 'legend-line warn' }), 'some errors'),
    h('span', { class: 'legend-item' }, h('span', { class: 'legend-line err' }), '≥ 5% errors'),
    h('span', null, 'Line width grows with the call count. Click a service for its page; ', link('/search', null, 'search traces'), '.'));
}
