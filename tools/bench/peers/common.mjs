// What the three peer drivers (yjs.mjs, automerge.mjs, pouchdb.mjs) share: their arguments, the
// records every system stores, the edit lists, the duplex message pump that counts bytes and
// round trips, peak memory, canonical digests and the result line.
//
// Every driver runs ONE workload in its own process and prints one JSON line on stdout:
//   node yjs.mjs --workload w1|w2|w3 --cards FILE [--edits FILE] [--set community|city]
// Progress goes to stderr, so the runner can say where a run that did not finish got to.
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';

// --name value pairs and bare --flags.
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    const name = argv[i].slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args[name] = argv[++i];
    else args[name] = true;
  }
  return args;
}

// The installed version of a package (some packages do not export their package.json).
export function packageVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

export function progress(text) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

// The records of a card, as shequ stores them (one change per entity): the household, each
// member and the visit, every value a string, keyed so that every system names them alike:
//   H:<card_no>            household fields, plus card_no and community
//   P:<card_no>:<index>    person fields, plus household = the card number
//   V:<card_no>            the visit (date, result, collector), when the card has one
export function cardRecords(card) {
  const out = [];
  out.push([`H:${card.card_no}`, { card_no: card.card_no, community: card.community,
                                    ...card.household }]);
  card.members.forEach((m, i) => out.push([`P:${card.card_no}:${i}`,
                                          { household: card.card_no, ...m }]));
  if (card.visit && Object.keys(card.visit).length)
    out.push([`V:${card.card_no}`, { household: card.card_no, ...card.visit }]);
  return out;
}

// Streams `shequ gen`'s file (a JSON array, one card per line) and hands the records to `fn`
// in batches of about `batch` records, so that the city's cards never sit in memory at once.
export async function forEachRecordBatch(file, batch, fn) {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let pending = [];
  let count = 0;
  for await (let line of lines) {
    line = line.trim();
    if (line === '[' || line === ']' || line === '') continue;
    if (line.endsWith(',')) line = line.slice(0, -1);
    for (const r of cardRecords(JSON.parse(line))) pending.push(r);
    if (pending.length >= batch) {
      const before = count;
      count += pending.length;
      await fn(pending);
      pending = [];
      // Every 100,000 records, so that a run stopped at its limit says how far it got.
      if (Math.floor(count / 100000) > Math.floor(before / 100000))
        progress(`${count} records stored`);
    }
  }
  if (pending.length) {
    count += pending.length;
    await fn(pending);
  }
  return count;
}

// The edit lists (edits.mjs wrote them once for every system):
//   w2[set] = { a: [edit...], b: [edit...] }   1% of the persons on each side
//   w3      = [ [edit...] x 10 ]               1,000 field edits per replica, colliding
// with edit = { key: 'P:<card_no>:<index>', card, member, field, value }.
export function loadEdits(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// Groups edits by record: Map key -> { field: value } (later edits of a field win).
export function editsByRecord(edits) {
  const out = new Map();
  for (const e of edits) {
    if (!out.has(e.key)) out.set(e.key, {});
    out.get(e.key)[e.field] = e.value;
  }
  return out;
}

// A full-duplex link between two endpoints, driven in ticks: in each tick both sides hand over
// what they have to send (`side.produce()` returns an array of Uint8Array messages), then both
// receive what the other sent (`side.consume(msgs)`). A tick is one one-way trip, so the
// exchange takes ticks / 2 round trips; that is how long it would take on a real link where
// a round trip dominates. The pump stops when a tick sends nothing.
export async function pump(a, b, counter, maxTicks = 1000) {
  let ticks = 0;
  for (;;) {
    const fromA = await a.produce();
    const fromB = await b.produce();
    if (!fromA.length && !fromB.length) break;
    if (++ticks > maxTicks) throw new Error('no convergence after ' + maxTicks + ' ticks');
    for (const m of fromA) { counter.aToB += m.length; counter.messages++; }
    for (const m of fromB) { counter.bToA += m.length; counter.messages++; }
    if (fromA.length) await b.consume(fromA);
    if (fromB.length) await a.consume(fromB);
  }
  counter.ticks += ticks;
  counter.roundTrips += Math.ceil(ticks / 2);
  return ticks;
}

export function newCounter() {
  return { aToB: 0, bToA: 0, messages: 0, ticks: 0, roundTrips: 0 };
}

// Peak memory of this process during the measured part: the kernel's high-water mark is reset
// (after a full collection) when the measured part starts, and read when it ends. The
// high-water mark covers everything resident: both (or all ten) replicas in this process.
export function resetPeakMemory() {
  if (global.gc) global.gc();
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function peakMemoryKiB() {
  const m = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)\s+kB/);
  return m ? Number(m[1]) : process.resourceUsage().maxRSS;
}

// A digest of a state given as [key, value] pairs: keys sorted, values serialised with sorted
// keys, so that equal states give equal digests whatever the insertion order.
export function canonicalDigest(entries) {
  const h = createHash('sha256');
  const sorted = [...entries].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  for (const [k, v] of sorted) h.update(k + '\u0000' + stableJson(v) + '\n');
  return h.digest('hex');
}

function stableJson(v) {
  if (v !== null && typeof v === 'object' && typeof v.toJSON === 'function') v = v.toJSON();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(stableJson).join(',') + ']';
  return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + stableJson(v[k]))
    .join(',') + '}';
}

export function seconds(t0) {
  return (performance.now() - t0) / 1000;
}

// The result line the runner reads. bytes: a_to_b = from the replica that holds the data (or
// replica 0, the hub of the star) to the other(s); b_to_a = the other way.
export function report(fields) {
  const out = {
    ...fields,
    peak_rss_kib: fields.peak_rss_kib ?? peakMemoryKiB(),
    process_peak_rss_kib: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

// Runs `main` and turns any failure into a result line with the error, exit status 1.
export function runMain(system, main) {
  main().then(
    () => process.exit(0),
    (err) => {
      progress(`failed: ${err && err.stack ? err.stack : err}`);
      process.stdout.write(JSON.stringify({ system, error: String(err && err.message) }) + '\n');
      process.exit(1);
    });
}
