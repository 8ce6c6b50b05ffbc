// check_report.mjs — opens a `recipec report` page from disk in headless Chromium (Debian's,
// driven by playwright-core) and checks it against the inputs it was made from.
//
//   node check_report.mjs PAGE.html SCREENSHOT.png PLAYWRIGHT_CORE_DIR CHROMIUM INPUT...
//
// INPUTs are what was given to `recipec report`, in the same order (run directories and
// analyze JSON files). The expected charts and series are derived here from the runs'
// metrics.jsonl and the JSON files, independently of the C++ reader:
//   - per run set: loss, lr, tokens/s, MFU (one series per run) + one validation-perplexity
//     chart per `dataset.split` (one series per run that evaluated it);
//   - per analyze file: token-class bars (one series per sign of the change present) and
//     the similarity scatter (one series);
//   - the events table: one row per non-`phase` event, checkpoints only once ticked.
//   - the data embedded in the page: per run, one point per step (the last line of a step),
//     each evaluation, event and phase.
// Also: no console errors or page errors, no request but the page itself, nothing from the
// inputs turned into markup (a run named `<img ...>` stays text), the x-axis toggle.
// Prints one line per check and "N passed, M failed"; exit 1 on any failure.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';

const [pagePath, shotPath, pwDir, chromiumPath, ...inputs] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { chromium } = require(pwDir);

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log('ok   ' + what); }
  else { failed++; console.log('FAIL ' + what + (detail !== undefined ? ': ' + detail : '')); }
}
const eq = (got, want, what) => check(JSON.stringify(got) === JSON.stringify(want), what,
  'got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));

// ---- expectations from the inputs ------------------------------------------------------
function readMetrics(dir) {
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n');
  const out = [];
  for (const l of lines) {
    if (!l.trim()) continue;
    try { out.push(JSON.parse(l)); } catch { /* a cut last line */ }
  }
  return out;
}
const runs = [], analyses = [];
for (const input of inputs) {
  if (fs.statSync(input).isDirectory()) runs.push({ dir: input, name: path.basename(path.resolve(input)), m: readMetrics(input) });
  else analyses.push(JSON.parse(fs.readFileSync(input, 'utf8')));
}
const expected = {};  // chart id -> series count
if (runs.length) {
  const withTrain = runs.filter(r => r.m.some(x => x.type === 'train')).length;
  for (const id of ['loss', 'lr', 'tokens_per_s', 'mfu']) expected[id] = withTrain;
  for (const r of runs) {
    const keys = new Set(r.m.filter(x => x.type === 'eval').map(x => x.dataset + '.' + x.split));
    for (const k of keys) expected['ppl:' + k] = (expected['ppl:' + k] || 0) + 1;
  }
}
analyses.forEach((a, n) => {
  const finite = v => typeof v === 'number' && isFinite(v);
  const cls = (a.classes || []).filter(c => finite(c.delta_nll_sum));
  if (cls.length) expected['classes:' + n] = (cls.some(c => c.delta_nll_sum > 0) ? 1 : 0) + (cls.some(c => c.delta_nll_sum <= 0) ? 1 : 0);
  if ((a.datasets || []).some(d => finite(d.similarity) && finite(d.ppl_b / d.ppl_a))) expected['similarity:' + n] = 1;
});
const events = runs.flatMap(r => r.m.filter(x => x.type === 'event' && x.event !== 'phase'));
const nonCheckpoint = events.filter(e => e.event !== 'checkpoint').length;

// ---- the page ------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const errors = [], requests = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('dialog', d => { errors.push('dialog: ' + d.message()); d.dismiss(); });
  page.on('request', r => requests.push(r.url()));
  const url = pathToFileURL(path.resolve(pagePath)).href;
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 }).catch(() => {});

  const counts = async () => page.$$eval('section.chart', secs => Object.fromEntries(secs.map(s =>
    [s.dataset.chart, Math.max(0, s.querySelectorAll('.u-legend tr.u-series').length - 1)])));
  const got = await counts();
  eq(Object.keys(got).length, Object.keys(expected).length, 'number of charts');
  eq(await page.$$eval('section.chart canvas', c => c.length), Object.keys(expected).length, 'one canvas per chart');
  for (const [id, n] of Object.entries(expected)) eq(got[id], n, `series in chart ${id}`);

  await page.screenshot({ path: shotPath, fullPage: true });
  check(fs.existsSync(shotPath) && fs.statSync(shotPath).size > 10000, 'screenshot written to ' + shotPath);

  // The data the page draws, against the metrics read here: one point per step, the last
  // line of a step wins (a rollback replays steps), evaluations per dataset, events, phases.
  const data = await page.evaluate(() => JSON.parse(document.getElementById('report-data').textContent));
  runs.forEach((r, i) => {
    const d = data.runs[i], lastOf = new Map();
    r.m.filter(x => x.type === 'train').forEach(x => lastOf.set(x.step, x));
    const steps = [...lastOf.keys()].sort((a, b) => a - b);
    eq(d.train.step, steps, `run ${i}: one train point per step, in order`);
    eq(d.train.loss, steps.map(s => lastOf.get(s).loss), `run ${i}: loss of each step's last line`);
    eq(d.train.tokens, steps.map(s => lastOf.get(s).tokens), `run ${i}: tokens`);
    const evals = {};
    r.m.filter(x => x.type === 'eval').forEach(x => { (evals[x.dataset + '.' + x.split] ||= new Map()).set(x.step, x.ppl); });
    const byKey = pairs => Object.fromEntries(pairs.sort((a, b) => a[0] < b[0] ? -1 : 1));
    eq(byKey(d.eval.map(e => [e.key, e.ppl])),
       byKey(Object.entries(evals).map(([k, m]) => [k, [...m.keys()].sort((a, b) => a - b).map(s => m.get(s))])),
       `run ${i}: validation perplexity per dataset`);
    eq(d.events.length, r.m.filter(x => x.type === 'event' && x.event !== 'phase').length, `run ${i}: events`);
    eq(d.phases.map(p => p.name), [...new Set(r.m.filter(x => x.event === 'phase').map(x => x.phase))], `run ${i}: phases`);
  });

  if (runs.length) {
    eq(await page.$$eval('#runs tbody tr', r => r.length), runs.length, 'one row per run in the runs table');
    const names = await page.$$eval('#runs tbody tr td:first-child b', b => b.map(x => x.textContent));
    eq(names, runs.map(r => r.name), 'run names shown as text');
    eq(await page.$$eval('#events tbody tr', r => r.length), nonCheckpoint, 'events listed (checkpoints unticked)');
    if (events.length > nonCheckpoint) {
      await page.check('input[data-kind="checkpoint"]');
      eq(await page.$$eval('#events tbody tr', r => r.length), events.length, 'events listed with checkpoints ticked');
    }
    eq(await page.$$eval('.diff', d => d.length), runs.length - 1, 'one recipe difference per run after the first');
    // The values drawn: with the cursor at the right edge of the loss chart, the legend shows
    // each run's loss at the last step any run logged (the last line of a step counts).
    const lastStep = Math.max(...runs.flatMap(r => r.m.filter(x => x.type === 'train').map(x => x.step)));
    const want = [String(lastStep), ...runs.map(r => {
      const at = r.m.filter(x => x.type === 'train' && x.step === lastStep);
      return at.length ? at[at.length - 1].loss.toFixed(4) : '—';
    })];
    const over = await page.$('section[data-chart="loss"] .u-over');
    const bb = await over.boundingBox();
    await page.mouse.move(bb.x + bb.width - 1, bb.y + bb.height / 2);
    eq(await page.$$eval('section[data-chart="loss"] .u-legend td.u-value', t => t.map(x => x.textContent)), want,
       'loss legend at the last step');
    // Zoom with a box and reset: the page keeps working (errors are checked at the end).
    await page.mouse.move(bb.x + bb.width * 0.5, bb.y + bb.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(bb.x + bb.width * 0.9, bb.y + bb.height * 0.8, { steps: 5 });
    await page.mouse.up();
    await page.mouse.dblclick(bb.x + bb.width * 0.5, bb.y + bb.height * 0.5);
    await page.click('button[data-x="tokens"]');
    const after = await counts();
    eq(after, got, 'the tokens x-axis draws the same charts and series');
    const xLabel = await page.$eval('section[data-chart="loss"] .u-legend tr.u-series th', e => e.textContent).catch(() => '');
    eq(xLabel, 'tokens', 'x values are tokens after the toggle');
    await page.click('button[data-x="step"]');
  }
  // Nothing the user wrote became markup: no element but the page's own kinds.
  eq(await page.$$eval('img, iframe, object, embed', e => e.length), 0, 'no element made from input text');
  const foreign = requests.filter(u => u !== url && !u.startsWith('data:'));
  eq(foreign, [], 'no request but the page itself');
  eq(errors, [], 'no console errors');
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
