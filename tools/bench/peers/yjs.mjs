// Yjs with its own sync protocol (y-protocols/sync): one Y.Doc per replica holding a Y.Map
// `records` of record key -> Y.Map of field -> string. A session is what y-websocket does on
// connect: both sides send SyncStep1 (their state vector), each answers the other's with
// SyncStep2 (the update the other lacks); bytes are the sizes of those messages.
//
//   node --expose-gc yjs.mjs --workload w1|w2|w3 --cards FILE [--edits FILE] [--set NAME]
import * as Y from 'yjs';
import * as sync from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import {
  canonicalDigest, editsByRecord, forEachRecordBatch, loadEdits, newCounter, packageVersion,
  parseArgs, peakMemoryKiB, progress, pump, report, resetPeakMemory, runMain, seconds,
} from './common.mjs';

const VERSION = packageVersion('yjs');

function newDoc(clientId) {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientId;  // fixed, so that conflicts resolve the same way in every run
  return doc;
}

// Doc with every record of the cards file, built in transactions of 10,000 records.
async function buildDoc(file, clientId) {
  const doc = newDoc(clientId);
  const records = doc.getMap('records');
  const n = await forEachRecordBatch(file, 10000, (batch) => {
    doc.transact(() => {
      for (const [key, fields] of batch) records.set(key, new Y.Map(Object.entries(fields)));
    });
  });
  return { doc, n };
}

function copyDoc(src, clientId) {
  const doc = newDoc(clientId);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(src));
  return doc;
}

// One side of a session: starts with SyncStep1, answers what it receives.
class Endpoint {
  constructor(doc) {
    this.doc = doc;
    const e = encoding.createEncoder();
    sync.writeSyncStep1(e, doc);
    this.outbox = [encoding.toUint8Array(e)];
  }
  produce() {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }
  consume(messages) {
    for (const m of messages) {
      const reply = encoding.createEncoder();
      sync.readSyncMessage(decoding.createDecoder(m), reply, this.doc, 'remote');
      if (encoding.length(reply) > 0) this.outbox.push(encoding.toUint8Array(reply));
    }
  }
}

function session(a, b, counter) {
  return pump(new Endpoint(a), new Endpoint(b), counter);
}

function applyEdits(doc, edits) {
  const records = doc.getMap('records');
  doc.transact(() => {
    for (const [key, fields] of editsByRecord(edits)) {
      const rec = records.get(key);
      if (!rec) throw new Error(`no record ${key}`);
      for (const [f, v] of Object.entries(fields)) rec.set(f, v);
    }
  });
}

function digest(doc) {
  return canonicalDigest(Object.entries(doc.getMap('records').toJSON()));
}

async function main() {
  const args = parseArgs();
  const workload = args.workload;
  const set = args.set ?? 'community';
  progress(`yjs ${VERSION} ${workload} ${set}: building replica A from ${args.cards}`);
  const { doc: a, n } = await buildDoc(args.cards, 1);
  const counter = newCounter();
  const result = { system: 'yjs', version: VERSION, workload, set, records: n };
  if (workload === 'w1') {
    const b = newDoc(2);
    progress('measure: sync A -> empty B');
    resetPeakMemory();
    const t0 = performance.now();
    await session(a, b, counter);
    result.seconds = seconds(t0);
    result.peak_rss_kib = peakMemoryKiB();
    progress(`measured: ${result.seconds.toFixed(3)} s; comparing the replicas (not timed)`);
    result.converged = digest(a) === digest(b);
  } else if (workload === 'w2') {
    const edits = loadEdits(args.edits).w2[set];
    const b = copyDoc(a, 2);
    applyEdits(a, edits.a);
    applyEdits(b, edits.b);
    progress(`measure: sync after ${edits.a.length} + ${edits.b.length} field edits`);
    resetPeakMemory();
    const t0 = performance.now();
    await session(b, a, counter);  // B dials A, like the shequ run
    result.seconds = seconds(t0);
    result.peak_rss_kib = peakMemoryKiB();
    progress(`measured: ${result.seconds.toFixed(3)} s; comparing the replicas (not timed)`);
    [counter.aToB, counter.bToA] = [counter.bToA, counter.aToB];
    const da = digest(a);
    result.converged = da === digest(b);
    result.edits = edits.a.length + edits.b.length;
  } else if (workload === 'w3') {
    const lists = loadEdits(args.edits).w3;
    const replicas = [a];
    for (let r = 1; r < lists.length; r++) replicas.push(copyDoc(a, r + 1));
    lists.forEach((list, r) => applyEdits(replicas[r], list));
    progress(`measure: star sync of ${replicas.length} replicas through replica 0, two passes`);
    resetPeakMemory();
    const t0 = performance.now();
    for (let pass = 0; pass < 2; pass++)
      for (let r = 1; r < replicas.length; r++) await session(replicas[r], a, counter);
    result.seconds = seconds(t0);
    result.peak_rss_kib = peakMemoryKiB();
    progress(`measured: ${result.seconds.toFixed(3)} s; comparing the replicas (not timed)`);
    [counter.aToB, counter.bToA] = [counter.bToA, counter.aToB];
    const digests = new Set(replicas.map(digest));
    result.converged = digests.size === 1;
    result.sessions = 2 * (replicas.length - 1);
    result.edits = lists.reduce((s, l) => s + l.length, 0);
  } else {
    throw new Error(`unknown workload ${workload}`);
  }
  Object.assign(result, {
    bytes_a_to_b: counter.aToB, bytes_b_to_a: counter.bToA,
    round_trips: counter.roundTrips, messages: counter.messages,
  });
  report(result);
}

runMain('yjs', main);
