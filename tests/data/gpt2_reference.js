// gpt2_reference.js — the npm gpt-3-encoder package as the reference GPT-2 tokenizer.
//
// Contract: `node gpt2_reference.js MODULE_DIR OUT_FILE FILE.jsonl...` encodes the "text" field
// of every JSON line of every file, in order, with MODULE_DIR's encode(), and writes OUT_FILE
// as little-endian int32: for each document its token count, then its ids. The C++ parity
// test (test_tokenizers.cpp) encodes the same documents and compares id by id.
//
// The package's encode() appends with Array.concat per piece, which is quadratic in document
// length (a 60 KB file costs seconds). So long documents are cut, before calling the package,
// at points "X\nY" with X and Y not whitespace, cutting just before Y: no pre-tokenizer match
// can span such a point (no alternative joins a newline to a non-space, and the lone "\n" is
// one piece whether or not the text ends after it), so the ids are the same as one call's.
// RECIPEC_PARITY_UNCHUNKED=1 calls encode() on whole documents (same output, slower).
'use strict';
const fs = require('fs');
const [moduleDir, outFile, ...files] = process.argv.slice(2);
const { encode } = require(moduleDir);
const unchunked = process.env.RECIPEC_PARITY_UNCHUNKED === '1';

function encodeDocument(text) {
  if (unchunked) return encode(text);
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/(?<=\S\n)(?=\S)/g)) {
    if (m.index - last < 2000) continue;
    for (const id of encode(text.slice(last, m.index))) out.push(id);
    last = m.index;
  }
  for (const id of encode(text.slice(last))) out.push(id);
  return out;
}

const chunks = [];
for (const f of files) {
  for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
    if (!line) continue;
    const ids = encodeDocument(JSON.parse(line).text);
    const buf = new Int32Array(ids.length + 1);
    buf[0] = ids.length;
    for (let i = 0; i < ids.length; i++) {
      // An id the package cannot map comes back undefined: write -1 so the test names it.
      buf[i + 1] = ids[i] === undefined ? -1 : ids[i];
    }
    chunks.push(Buffer.from(buf.buffer));
  }
}
fs.writeFileSync(outFile, Buffer.concat(chunks));
