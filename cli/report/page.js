// page.js — draws the `recipec report` page from the JSON in #report-data (the document
// cli/report/ReportData.h describes) with uPlot. Everything from user data goes into the DOM
// through textContent (el()), never as markup. Each chart is a <section class="chart"
// data-chart="ID">; uPlot's legend holds one row per series (the browser test counts them).
'use strict';
(function () {
  const DATA = JSON.parse(document.getElementById('report-data').textContent);
  const RUN_COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bc4c00', '#0598bc', '#bf3989', '#57606a'];
  // Events a marker is drawn for; `checkpoint` is off until asked for.
  const KINDS = {
    focus: { color: '#e16f24', label: 'focus / drop' },
    review: { color: '#2da44e', label: 'review' },
    order: { color: '#0598bc', label: 'order' },
    set: { color: '#1f6feb', label: 'set' },
    skip: { color: '#8250df', label: 'skipped step' },  // a spike or NaN rule with `skip`
    rollback: { color: '#cf222e', label: 'rollback' },
    stop: { color: '#24292f', label: 'stop' },
    checkpoint: { color: '#8c959f', label: 'checkpoint', off: true },
    other: { color: '#9a6700', label: 'other' },
  };
  const state = { x: 'step', kinds: {}, charts: [] };

  // ---- small helpers -------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'style') e.style.cssText = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function si(v, digits) {  // 1234567 -> "1.23M"
    if (v === null || v === undefined || !isFinite(v)) return '—';
    const a = Math.abs(v);
    for (const [d, s] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']])
      if (a >= d) return +(v / d).toPrecision(digits || 3) + s;
    return String(+v.toPrecision(digits || 3));
  }
  const isNum = v => typeof v === 'number' && isFinite(v);
  const fixed = (v, d) => isNum(v) ? v.toFixed(d) : '—';
  const fmt = {
    loss: v => fixed(v, 4),
    ppl: v => !isNum(v) ? '—' : (v >= 100 ? v.toFixed(1) : v.toFixed(3)),
    lr: v => isNum(v) ? v.toExponential(2) : '—',
    tps: v => isNum(v) ? si(v, 3) + ' tok/s' : '—',
    mfu: v => isNum(v) ? v.toFixed(2) + '%' : '—',
    step: v => isNum(v) ? String(Math.round(v)) : '—',
    tokens: v => isNum(v) ? si(v, 4) : '—',
  };
  const last = a => a.length ? a[a.length - 1] : null;
  const runColor = i => RUN_COLORS[i % RUN_COLORS.length];
  function kindOf(e) {
    if (e.action === 'rollback' || e.event === 'rollback') return 'rollback';
    if (e.action === 'skip') return 'skip';
    if (e.action === 'stop' || e.event === 'stop') return 'stop';
    if (e.event === 'drop') return 'focus';
    return KINDS[e.event] ? e.event : 'other';
  }
  const xOf = (obj) => state.x === 'step' ? obj.step : obj.tokens;

  // ---- charts --------------------------------------------------------------------------
  // Series with their own x values -> uPlot's aligned [xs, ys1, ys2, ...] (null where absent).
  function align(series) {
    const xs = Array.from(new Set(series.flatMap(s => s.x))).sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const cols = series.map(s => {
      const col = new Array(xs.length).fill(null);
      s.x.forEach((x, i) => { col[index.get(x)] = s.y[i]; });
      return col;
    });
    return [xs, ...cols];
  }

  // Phase boundaries (dashed, in the run's colour, named at the top) and event markers
  // (a thin line and a triangle at the bottom, in the event's colour), drawn over the curves.
  function markersHook(u) {
    const ctx = u.ctx, { left, top, width, height } = u.bbox, dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, width, height); ctx.clip();
    ctx.font = `${11 * dpr}px sans-serif`;
    ctx.textAlign = 'left'; ctx.textBaseline = 'alphabetic';  // uPlot leaves its axes' settings
    const visible = DATA.runs.map(r => runVisible(u, r.name));
    // A boundary that several shown runs have at the same place is drawn once, in grey.
    const bounds = new Map();
    DATA.runs.forEach((run, r) => visible[r] && run.phases.forEach(p => {
      if (p.start <= 0) return;
      const key = p.name + '@' + p.start;
      if (!bounds.has(key)) bounds.set(key, { p, runs: [] });
      bounds.get(key).runs.push(r);
    }));
    let row = 0;
    const rowOf = new Map();
    for (const { p, runs } of bounds.values()) {
      const shared = runs.length > 1;
      for (const r of shared ? [runs[0]] : runs) {
        const x = Math.round(u.valToPos(state.x === 'step' ? p.start : p.start_tokens, 'x', true));
        if (x < left || x > left + width) continue;
        const color = shared ? '#57606a' : runColor(r);
        ctx.strokeStyle = color; ctx.globalAlpha = 0.6; ctx.lineWidth = 1.5 * dpr;
        ctx.setLineDash([5 * dpr, 4 * dpr]);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        ctx.setLineDash([]); ctx.globalAlpha = 1; ctx.fillStyle = color;
        const line = shared ? 0 : (rowOf.has(r) ? rowOf.get(r) : rowOf.set(r, ++row).get(r));
        ctx.fillText(p.name, x + 4 * dpr, top + (12 + 13 * line) * dpr);
      }
    }
    const stack = new Map();  // markers at one place pile up instead of hiding each other
    DATA.runs.forEach((run, r) => {
      if (!visible[r]) return;
      run.events.forEach(e => {
        const k = kindOf(e);
        if (!state.kinds[k]) return;
        const x = u.valToPos(xOf(e), 'x', true);
        if (x < left - 1 || x > left + width + 1) return;
        const slot = stack.get(Math.round(x / dpr)) || 0;
        stack.set(Math.round(x / dpr), slot + 1);
        const y = top + height - (4 + 10 * slot) * dpr, s = 5 * dpr;
        ctx.strokeStyle = KINDS[k].color; ctx.globalAlpha = 0.3; ctx.lineWidth = 1 * dpr;
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        ctx.globalAlpha = 1; ctx.fillStyle = KINDS[k].color;
        ctx.beginPath(); ctx.moveTo(x, y - s * 1.6); ctx.lineTo(x - s, y); ctx.lineTo(x + s, y); ctx.closePath(); ctx.fill();
      });
    });
    ctx.restore();
  }
  function runVisible(u, name) {
    const s = u.series.find(s => s.label === name);
    return s ? s.show : true;
  }

  function chartBox(id, title, hint) {
    const box = el('section', { class: 'chart', 'data-chart': id },
      el('div', { class: 'head' }, el('span', { class: 'name' }, title), el('span', { class: 'hint' }, hint || '')));
    return box;
  }

  // A line chart of one quantity, one series per run: spec {id, title, hint, unit, series:
  // [{label, color, x, y}], value: formatter, log}
  function lineChart(parent, spec) {
    const box = chartBox(spec.id, spec.title, spec.hint);
    parent.append(box);
    const width = Math.max(320, box.clientWidth - 16);
    const ys = spec.series.flatMap(s => s.y).filter(v => v !== null && v > 0);
    const log = spec.log && ys.length && Math.max(...ys) / Math.min(...ys) > 20;
    const opts = {
      width, height: 240,
      cursor: { sync: { key: 'curves' }, drag: { x: true, y: true, uni: 40 } },  // a box zooms both axes, a flat drag only x
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      series: [{ label: state.x, value: (u, v) => fmt[state.x](v) }].concat(spec.series.map(s => ({
        label: s.label, stroke: s.color, width: 1.75, spanGaps: true,
        points: { show: s.x.length <= 40, size: 5, fill: s.color },
        value: (u, v) => spec.value(v),
      }))),
      axes: [
        { label: state.x === 'step' ? 'step' : 'tokens', values: (u, vals) => vals.map(v => fmt[state.x](v)) },
        { label: spec.unit, size: 62, values: (u, vals) => vals.map(v => spec.tick ? spec.tick(v) : si(v, 3)) },
      ],
      hooks: { draw: [markersHook] },
      legend: { live: true },
    };
    state.charts.push(new uPlot(opts, align(spec.series), box));
  }

  function drawCurves() {
    state.charts.forEach(c => c.destroy());
    state.charts = [];
    const host = document.getElementById('curves');
    host.replaceChildren();
    if (!DATA.runs.length) return;
    host.append(el('h2', null, 'Training curves'));
    const grid = el('div', { class: 'grid' });
    host.append(grid);
    const perRun = (key, scale) => DATA.runs.map((r, i) => ({
      label: r.name, color: runColor(i), x: r.train[state.x],
      y: r.train[key].map(v => v === null ? null : v * (scale || 1)),
    }));
    lineChart(grid, { id: 'loss', title: 'Training loss', hint: 'mean token cross-entropy per logged step', unit: 'loss',
                      series: perRun('loss'), value: fmt.loss, tick: v => +v.toFixed(3) });
    const keys = Array.from(new Set(DATA.runs.flatMap(r => r.eval.map(e => e.key)))).sort();
    keys.forEach(key => {
      const series = [];
      DATA.runs.forEach((r, i) => {
        const e = r.eval.find(e => e.key === key);
        if (e) series.push({ label: r.name, color: runColor(i), x: e[state.x], y: e.ppl });
      });
      lineChart(grid, { id: 'ppl:' + key, title: 'Validation perplexity · ' + key, hint: 'exp(mean loss) on held-out blocks',
                        unit: 'perplexity', series, value: fmt.ppl, log: true });
    });
    lineChart(grid, { id: 'lr', title: 'Learning rate', hint: 'after schedule and `set lr`', unit: 'lr',
                      series: perRun('lr'), value: fmt.lr, tick: v => v.toExponential(1) });
    lineChart(grid, { id: 'tokens_per_s', title: 'Throughput', hint: 'tokens per second between log lines',
                      unit: 'tokens/s', series: perRun('tokens_per_s'), value: fmt.tps });
    lineChart(grid, { id: 'mfu', title: 'MFU', hint: 'model FLOPs / peak (run.json says which peak)', unit: '% of peak',
                      series: perRun('mfu', 100), value: fmt.mfu, tick: v => +v.toFixed(2) + '%' });
  }

  // ---- header, controls, runs table ----------------------------------------------------
  function drawControls() {
    const c = document.getElementById('controls');
    c.replaceChildren();
    if (!DATA.runs.length) return;
    const seg = el('span', { class: 'seg', role: 'group', 'aria-label': 'x axis' });
    for (const [key, label] of [['step', 'steps'], ['tokens', 'tokens']]) {
      seg.append(el('button', {
        class: state.x === key ? 'on' : '', 'data-x': key,
        onclick: () => { state.x = key; drawControls(); drawCurves(); },
      }, label));
    }
    c.append(el('span', { class: 'group' }, 'x axis', seg));
    const present = new Set(DATA.runs.flatMap(r => r.events.map(kindOf)));
    const marks = el('span', { class: 'group' }, 'markers');
    marks.append(el('label', null, el('span', { class: 'swatch line', style: 'background:repeating-linear-gradient(90deg,#57606a 0 5px,transparent 5px 8px)' }), 'phase'));
    for (const [k, v] of Object.entries(KINDS)) {
      if (!present.has(k)) continue;
      const box = el('input', { type: 'checkbox', 'data-kind': k, onchange: ev => { state.kinds[k] = ev.target.checked; redrawMarkers(); } });
      box.checked = !!state.kinds[k];
      marks.append(el('label', null, box, el('span', { class: 'swatch', style: 'background:' + v.color }), v.label));
    }
    c.append(marks);
  }
  function redrawMarkers() {
    state.charts.forEach(c => c.redraw(false, false));
    drawEvents();
  }

  function drawRuns() {
    const host = document.getElementById('runs-section');
    if (!DATA.runs.length) return;
    const keys = Array.from(new Set(DATA.runs.flatMap(r => r.eval.map(e => e.key)))).sort();
    const head = el('tr', null, el('th', null, 'run'), el('th', null, 'recipe'), el('th', { class: 'num' }, 'steps'),
      el('th', { class: 'num' }, 'tokens'), el('th', { class: 'num' }, 'final loss'),
      ...keys.map(k => el('th', { class: 'num' }, 'val ppl ' + k)),
      el('th', { class: 'num' }, 'FLOPs executed / full'), el('th', { class: 'num' }, 'FLOPs saved'),
      el('th', { class: 'num' }, 'events'), el('th', null, 'status'));
    const body = DATA.runs.map((r, i) => {
      const s = r.summary || {};
      const evalCells = keys.map(k => {
        const e = r.eval.find(e => e.key === k);
        if (!e) return el('td', { class: 'num note' }, '—');
        const first = e.ppl[0], end = last(e.ppl);
        return el('td', { class: 'num', title: 'first evaluation ' + fmt.ppl(first) }, fmt.ppl(end),
          e.ppl.length > 1 ? el('span', { class: 'note' }, ' (from ' + fmt.ppl(first) + ')') : null);
      });
      const saved = s.flops_saved_pct;
      const status = !r.summary ? el('span', { class: 'status-warn' }, 'no summary line (running or killed)')
        : s.failed ? el('span', { class: 'status-warn', title: String(s.failed) }, 'failed at step ' + s.step + ': ' + s.failed)
        : s.interrupted ? el('span', { class: 'status-warn' }, 'interrupted (' + s.interrupted + ') at step ' + s.step)
        : s.finished ? el('span', { class: 'status-ok' }, s.stopped_by_rule ? 'stopped by a rule' : 'finished')
        : el('span', { class: 'status-warn' }, 'paused at step ' + s.step);
      const counts = {};
      r.events.forEach(e => { const k = kindOf(e); if (k !== 'checkpoint') counts[k] = (counts[k] || 0) + 1; });
      return el('tr', null,
        el('td', null, el('span', { class: 'swatch', style: 'background:' + runColor(i) }), el('b', null, r.name),
          i === 0 && DATA.runs.length > 1 ? el('span', { class: 'note' }, ' (baseline)') : null,
          el('div', { class: 'note mono' }, r.path)),
        el('td', null, r.recipe_name || '—'),
        el('td', { class: 'num' }, fmt.step(last(r.train.step))),
        el('td', { class: 'num' }, si(last(r.train.tokens), 4)),
        el('td', { class: 'num' }, fmt.loss(last(r.train.loss))),
        ...evalCells,
        el('td', { class: 'num' }, s.flops_executed !== undefined ? si(s.flops_executed) + ' / ' + si(s.flops_full_model) : '—'),
        el('td', { class: 'num' }, saved !== undefined ? saved.toFixed(1) + '%' : '—',
          saved > 0 ? el('span', { class: 'bar', style: 'width:' + Math.min(60, saved * 0.6).toFixed(1) + 'px' }) : null),
        el('td', { class: 'num' }, Object.entries(counts).map(([k, n]) => n + ' ' + KINDS[k].label).join(', ') || '—',
          s.rollbacks && !counts.rollback ? ' · ' + s.rollbacks + ' rollback(s)' : ''),
        el('td', null, status));
    });
    host.append(el('h2', null, DATA.runs.length === 1 ? 'Run' : DATA.runs.length + ' runs'),
      el('div', { class: 'scroll', style: 'max-height:none' }, el('table', { class: 'data', id: 'runs' }, el('thead', null, head), el('tbody', null, ...body))));
  }

  // ---- the recipe difference and the recipes -------------------------------------------
  function drawSide() {
    const side = document.getElementById('side');
    if (!DATA.runs.length) { side.remove(); return; }
    side.append(el('h2', null, 'Recipe difference'));
    if (!DATA.diffs.length)
      side.append(el('p', { class: 'note' }, 'One run: nothing to compare. With more runs, this shows what differs from the first in meaning, as recipec diff does.'));
    DATA.diffs.forEach(d => {
      const box = el('div', { class: 'diff', 'data-diff': d.b });
      box.append(el('h3', null, d.b, el('span', { class: 'note' }, ' vs ' + d.a)));
      if (d.note) box.append(el('p', { class: 'note' }, d.note));
      else if (!d.changes.length) box.append(el('p', { class: 'note' }, 'same plan: no difference in meaning'));
      d.changes.forEach(c => {
        const where = [c.source_before, c.source_after].filter(Boolean).join(' → ');
        box.append(el('div', { class: 'change' },
          el('div', null, el('span', { class: 'path mono' }, c.path), el('span', { class: 'kind' }, c.kind)),
          el('div', { class: 'mono' },
            c.before ? el('span', { class: 'before' }, c.before) : null,
            c.before && c.after ? ' → ' : null,
            c.after ? el('span', { class: 'after' }, c.after) : null),
          where ? el('div', { class: 'where mono' }, where) : null));
      });
      side.append(box);
    });
    side.append(el('h2', null, 'Recipes'));
    DATA.runs.forEach((r, i) => {
      const det = el('details', i === 0 && DATA.runs.length === 1 ? { open: '' } : null,
        el('summary', null, el('span', { class: 'swatch', style: 'background:' + runColor(i) }), r.name),
        r.recipe_text ? el('pre', { class: 'recipe' }, r.recipe_text) : el('p', { class: 'note' }, 'no recipe.recipe in this run directory'));
      side.append(det);
    });
  }

  function drawEvents() {
    const host = document.getElementById('events-section');
    host.replaceChildren();
    const rows = [];
    DATA.runs.forEach((r, i) => r.events.forEach(e => {
      const k = kindOf(e);
      if (!state.kinds[k]) return;
      rows.push(el('tr', { 'data-kind': k },
        el('td', null, el('span', { class: 'swatch', style: 'background:' + runColor(i) }), r.name),
        el('td', { class: 'num' }, fmt.step(e.step)), el('td', { class: 'num' }, si(e.tokens, 4)),
        el('td', null, el('span', { class: 'tag', style: 'background:' + KINDS[k].color }, e.event)),
        el('td', { class: 'mono' }, e.detail)));
    }));
    if (!DATA.runs.length) return;
    host.append(el('h2', null, 'Events (' + rows.length + ' shown)'));
    if (!rows.length) { host.append(el('p', { class: 'note' }, 'no events of the kinds ticked above')); return; }
    host.append(el('div', { class: 'scroll' }, el('table', { class: 'data', id: 'events' },
      el('thead', null, el('tr', null, el('th', null, 'run'), el('th', { class: 'num' }, 'step'),
        el('th', { class: 'num' }, 'tokens'), el('th', null, 'event'), el('th', null, 'detail'))),
      el('tbody', null, ...rows))));
  }

  // ---- `recipec analyze --json` ----------------------------------------------------------
  function pad(lo, hi) {  // room around scatter points for their names
    const d = (hi - lo) || Math.abs(hi) || 1;
    return [lo - 0.15 * d, hi + 0.15 * d];
  }
  function tokenText(t) {  // whitespace made visible
    return String(t).replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '␣');
  }
  function drawAnalysis(a, n) {
    const host = el('section', { class: 'analysis', 'data-analysis': String(n) });
    document.getElementById('analyses').append(host);
    const A = a.a || {}, B = a.b || {};
    host.append(el('h2', null, 'Adaptation analysis · ' + (A.path || 'A') + ' (step ' + (A.step ?? '?') + ') → ' +
      (B.path || 'B') + ' (step ' + (B.step ?? '?') + ')'),
      el('p', { class: 'note' }, 'from ' + a.file + ' · reference dataset ' + (a.reference || '—') +
        ' · similarity: ' + (a.similarity_metric || '—')));
    if (a.masked && Array.isArray(a.masked.mask))
      host.append(el('p', null, 'Perplexity with ', el('b', null, a.masked.mask.join(', ')), ' masked out: ',
        fmt.ppl(a.masked.ppl_a), ' → ', fmt.ppl(a.masked.ppl_b)));
    const grid = el('div', { class: 'grid' });
    host.append(grid);
    // Entries without the numbers a chart needs are left out of it (the tables show them).
    const classes = (a.classes || []).filter(c => isNum(c.delta_nll_sum));
    const datasets = a.datasets || [];
    const pts = datasets.map(d => ({ name: String(d.name), x: d.similarity, y: 100 * (d.ppl_b / d.ppl_a - 1) }))
      .filter(p => isNum(p.x) && isNum(p.y)).sort((p, q) => p.x - q.x);
    // Both boxes are placed before either chart is drawn: each sizes itself to its box.
    const classBox = classes.length ? chartBox('classes:' + n, 'NLL change per token class',
      'sum over tokens of NLL(B) − NLL(A); < 0: B predicts them better') : null;
    const simBox = pts.length ? chartBox('similarity:' + n, 'Similarity vs perplexity change, per dataset',
      'x: similarity to ' + (a.reference || 'the reference') + ' · y: ppl(B)/ppl(A) − 1') : null;
    [classBox, simBox].forEach(b => b && grid.append(b));
    if (classBox) {
      const box = classBox;
      const labels = classes.map(c => c.class);
      const xs = classes.map((c, i) => i);
      const series = [{ label: 'class', value: (u, v) => v === null ? '—' : labels[v] }];
      const data = [xs];
      for (const [label, color, keep] of [['NLL rose', '#cf222e', d => d > 0], ['NLL fell', '#1a7f37', d => d <= 0]]) {
        if (!classes.some(c => keep(c.delta_nll_sum))) continue;
        series.push({ label, fill: color + 'cc', stroke: color, width: 1, paths: uPlot.paths.bars({ size: [0.7, 70] }),
                      points: { show: false }, value: (u, v) => v === null ? '—' : v.toFixed(2) });
        data.push(classes.map(c => keep(c.delta_nll_sum) ? c.delta_nll_sum : null));
      }
      new uPlot({
        width: Math.max(320, box.clientWidth - 16), height: 280,
        scales: { x: { time: false, range: [-0.6, xs.length - 0.4] } },
        cursor: { drag: { x: false, y: false } },
        series,
        axes: [{ splits: () => xs, values: (u, v) => v.map(i => labels[i] ?? ''), rotate: -30, size: 90, gap: 4 },
               { label: 'Σ ΔNLL (nats)', size: 62 }],
        legend: { live: true },
      }, data, box);
    }
    if (simBox) {
      const box = simBox;
      new uPlot({
        width: Math.max(320, box.clientWidth - 16), height: 280,
        scales: { x: { time: false, range: (u, lo, hi) => pad(lo, hi) }, y: { range: (u, lo, hi) => pad(lo, hi) } },
        cursor: { drag: { x: false, y: false } },
        series: [{ label: 'similarity', value: (u, v) => v === null ? '—' : v.toFixed(3) },
                 { label: 'datasets', stroke: '#1f6feb', fill: '#1f6feb', paths: () => null,
                   points: { show: true, size: 10, fill: '#1f6feb' }, value: (u, v) => v === null ? '—' : v.toFixed(1) + '%' }],
        axes: [{ label: 'similarity to ' + (a.reference || 'reference') },
               { label: 'perplexity change (%)', size: 62, values: (u, v) => v.map(x => +x.toFixed(1) + '%') }],
        hooks: { draw: [u => {
          const ctx = u.ctx, dpr = devicePixelRatio || 1;
          ctx.save(); ctx.font = `${11 * dpr}px sans-serif`; ctx.fillStyle = '#24292f';
          ctx.textAlign = 'left'; ctx.textBaseline = 'alphabetic';
          pts.forEach(p => ctx.fillText(p.name + (p.name === a.reference ? ' (reference)' : ''),
            u.valToPos(p.x, 'x', true) + 8 * dpr, u.valToPos(p.y, 'y', true) - 6 * dpr));
          ctx.restore();
        }] },
        legend: { live: true },
      }, [pts.map(p => p.x), pts.map(p => p.y)], box);
    }
    if (datasets.length) {
      host.append(el('h3', null, 'Per dataset'), el('table', { class: 'data', 'data-table': 'datasets' },
        el('thead', null, el('tr', null, ...['dataset', 'tokens', 'ppl A', 'ppl B', 'change', 'mean NLL A', 'mean NLL B', 'similarity']
          .map((h, i) => el('th', i ? { class: 'num' } : null, h)))),
        el('tbody', null, ...datasets.map(d => {
          const ch = 100 * (d.ppl_b / d.ppl_a - 1);
          return el('tr', null, el('td', null, d.name), el('td', { class: 'num' }, si(d.tokens, 4)),
            el('td', { class: 'num' }, fmt.ppl(d.ppl_a)), el('td', { class: 'num' }, fmt.ppl(d.ppl_b)),
            el('td', { class: 'num ' + (ch > 0 ? 'pos' : 'neg') }, isNum(ch) ? (ch > 0 ? '+' : '') + ch.toFixed(1) + '%' : '—'),
            el('td', { class: 'num' }, fmt.loss(d.mean_nll_a)), el('td', { class: 'num' }, fmt.loss(d.mean_nll_b)),
            el('td', { class: 'num' }, fixed(d.similarity, 3)));
        }))));
    }
    const top = a.top_tokens || [];
    if (top.length) {
      host.append(el('h3', null, 'Tokens that changed most'), el('div', { class: 'scroll' }, el('table', { class: 'data', 'data-table': 'top_tokens' },
        el('thead', null, el('tr', null, el('th', { class: 'num' }, 'id'), el('th', null, 'token'),
          el('th', { class: 'num' }, 'count'), el('th', { class: 'num' }, 'Σ ΔNLL'), el('th', { class: 'num' }, 'mean ΔNLL'))),
        el('tbody', null, ...top.map(t => el('tr', null, el('td', { class: 'num' }, t.id),
          el('td', null, el('span', { class: 'tok' }, tokenText(t.text ?? ''))), el('td', { class: 'num' }, t.count ?? '—'),
          el('td', { class: 'num ' + (t.delta_nll_sum > 0 ? 'pos' : 'neg') }, fixed(t.delta_nll_sum, 2)),
          el('td', { class: 'num' }, t.count ? fixed(t.delta_nll_sum / t.count, 3) : '—')))))));
    }
  }

  // ---- start ---------------------------------------------------------------------------
  document.getElementById('title').textContent = document.title;
  for (const [k, v] of Object.entries(KINDS)) state.kinds[k] = !v.off;
  drawRuns();
  drawControls();
  drawSide();
  drawCurves();
  drawEvents();
  (DATA.analyses || []).forEach(drawAnalysis);
  let resizeTimer = null;
  addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCurves, 150); });
  document.body.setAttribute('data-ready', 'true');
})();
