// The other side of shequ's Negentropy conformance test: drives nostr-tools' NIP-77 implementation
// (an independent JavaScript implementation of Negentropy V1) over a line protocol on stdin/stdout.
//
// Requests, one per line; every reply is one line, "ok ..." or "err <message>":
//   version                    -> ok <nostr-tools version>
//   new <sid> <frameSizeLimit> -> ok  (a fresh, unsealed storage)
//   add <sid> <hex>            -> ok  (records: 8-byte big-endian timestamp, 32-byte id)
//   seal <sid>                 -> ok
//   init <sid>                 -> ok <message hex>
//   rec <sid> <message hex>    -> ok <reply hex|-> <have ids hex|-> <need ids hex|->
//   free <sid>                 -> ok
// Ids are concatenated 64-digit hex strings, in the order nostr-tools reported them.
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nip77 } from 'nostr-tools';

// nostr-tools does not export its package.json; read it beside the module we import.
const here = dirname(fileURLToPath(import.meta.url));
const toolsVersion = JSON.parse(
  readFileSync(join(here, 'node_modules', 'nostr-tools', 'package.json'), 'utf8')).version;

const sessions = new Map();

function session(sid) {
  const s = sessions.get(sid);
  if (!s) throw new Error(`no session ${sid}`);
  return s;
}

function timestampOf(hex16) {
  // Exact below 2^53; the test keeps timestamps far below that (docs/RECONCILE.md).
  return parseInt(hex16.slice(0, 8), 16) * 2 ** 32 + parseInt(hex16.slice(8), 16);
}

function handle(words) {
  const [cmd, sid, arg] = words;
  switch (cmd) {
    case 'version':
      return toolsVersion;
    case 'new':
      sessions.set(sid, {
        storage: new nip77.NegentropyStorageVector(),
        limit: Number(arg),
        neg: null,
      });
      return '';
    case 'add': {
      const s = session(sid);
      const hex = arg || '';
      if (hex.length % 80 !== 0) throw new Error('records must be 40 bytes');
      for (let i = 0; i < hex.length; i += 80) {
        s.storage.insert(timestampOf(hex.slice(i, i + 16)), hex.slice(i + 16, i + 80));
      }
      return '';
    }
    case 'seal': {
      const s = session(sid);
      s.storage.seal();
      s.neg = new nip77.Negentropy(s.storage, s.limit);
      return '';
    }
    case 'init':
      return session(sid).neg.initiate();
    case 'rec': {
      const have = [];
      const need = [];
      const onhave = (id) => have.push(id);
      const onneed = (id) => need.push(id);
      const out = session(sid).neg.reconcile(arg || '', onhave, onneed);
      return `${out ?? '-'} ${have.join('') || '-'} ${need.join('') || '-'}`;
    }
    case 'free':
      sessions.delete(sid);
      return '';
    default:
      throw new Error(`unknown request ${cmd}`);
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  let reply;
  try {
    const result = handle(line.trim().split(' '));
    reply = result === '' ? 'ok' : `ok ${result}`;
  } catch (e) {
    reply = `err ${String(e && e.message ? e.message : e).replace(/\s+/g, ' ')}`;
  }
  process.stdout.write(reply + '\n');
});
rl.on('close', () => process.exit(0));
