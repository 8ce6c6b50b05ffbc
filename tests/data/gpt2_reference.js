// gpt2_reference.js — the npm gpt-3-encoder package as the reference GPT-2 tokenizer.
//
// Contract: `node gpt2_reference.js MODULE_DIR OUT_FILE FILE.jsonl...` encodes the "text" field
// of every JSON line of every file, in order, with MODULE_DIR's encode(), and writes OUT_FILE
// as little-endian int32: for each document its token count, then its ids. The C++ parity
// test (test_tokenizers.cpp) encodes the same documents and compares id by id.
'use strict';
const fs = require('fs');
const [moduleDir, outFile, ...files] = process.argv.slice(2);
const { encode } = require(moduleDir);
const chunks = [];
for (const f of files) {
  for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
    if (!line) continue;
    const ids = encode(JSON.parse(line).text);
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
