// Automerge 3 with its sync protocol (generateSyncMessage / receiveSyncMessage): one document
// per replica holding a map `records` of record key -> map of field -> string. Field values are
// ImmutableStrings (registers: a field is replaced whole, as a card field is), not collaborative
// text, which would cost Automerge an operation per character. A session: both sides generate
// and receive sync messages until neither has anything to send; bytes are the message sizes.
// Sync states are kept per pair of replicas across sessions (encodeSyncState/decodeSyncState),
// as Automerge recommends for peers that meet again.
//
//   node --expose-gc automerge.mjs --workload w1|w2|w3 --cards FILE [--edits FILE] [--set NAME]
import * as Automerge from '@automerge/automerge';
import {
  canonicalDigest, editsByRecord, forEachRecordBatch, loadEdits, newCounter, packageVersion,
  parseArgs, peakMemoryKiB, progress, pump, report, resetPeakMemory, runMain, seconds,
} from './common.mjs';

const VERSION = packageVersion('@automerge/automerge');
const { ImmutableString } = Automerge;

// Actor ids fixed per replica (hex), so that conflicts resolve the same way in every run.
function actor(replica) {
  return (replica + 1).toString(16).padStart(32, '0');
}

async function buildDoc(file) {
  let doc = Automerge.init({ actor: actor(0) });
  doc = Automerge.change(doc, (d) => { d.records = {}; });
  const n = await forEachRecordBatch(file, 10000, (batch) => {
    doc = Automerge.change(doc, (d) => {
      for (const [key, fields] of batch) {
        const rec = {};
        for (const [f, v] of Object.entries(fields)) rec[f] = new ImmutableString(v);
        d.records[key] = rec;
      }
    });
  });
  return { doc, n };
}

// One side of a session over a replica held in `holder.doc`.
class Endpoint {
  constructor(holder, state) {
    this.holder = holder;
    this.state = state;
  }
  produce() {
    const [state, message] = Automerge.generateSyncMessage(this.holder.doc, this.state);
    this.state = state;
    return message ? [message] : [];
  }
  consume(messages) {
    for (const m of messages) {
      const [doc, state] = Automerge.receiveSyncMessage(this.holder.doc, this.state, m);
      this.holder.doc = doc;
      this.state = state;
    }
  }
}

// Sync states persisted between sessions, per (replica, peer).
const savedStates = new Map();

async function session(x, y, counter) {
  const load = (h, peer) => {
    const saved = savedStates.get(`${h.id}/${peer.id}`);
    return saved ? Automerge.decodeSyncState(saved) : Automerge.initSyncState();
  };
  const ex = new Endpoint(x, load(x, y));
  const ey = new Endpoint(y, load(y, x));
  await pump(ex, ey, counter);
  savedStates.set(`${x.id}/${y.id}`, Automerge.encodeSyncState(ex.state));
  savedStates.set(`${y.id}/${x.id}`, Automerge.encodeSyncState(ey.state));
}

function applyEdits(holder, edits) {
  holder.doc = Automerge.change(holder.doc, (d) => {
    for (const [key, fields] of editsByRecord(edits)) {
      const rec = d.records[key];
      if (!rec) throw new Error(`no record ${key}`);
      for (const [f, v] of Object.entries(fields)) rec[f] = new ImmutableString(v);
    }
  });
}

function digest(holder) {
  return canonicalDigest(Object.entries(Automerge.toJS(holder.doc).records ?? {}));
}

function copy(holder, replica) {
  return { id: replica, doc: Automerge.clone(holder.doc, { actor: actor(replica) }) };
}

async function main() {
  const args = parseArgs();
  const workload = args.workload;
  const set = args.set ?? 'community';
  progress(`automerge ${VERSION} ${workload} ${set}: building replica A from ${args.cards}`);
  const built = await buildDoc(args.cards);
  const a = { id: 0, doc: built.doc };
  const counter = newCounter();
  const result = { system: 'automerge', version: VERSION, workload, set, records: built.n };
  if (workload === 'w1') {
    const b = { id: 1, doc: Automerge.init({ actor: actor(1) }) };
    progress('measure: sync A -> empty B');
    resetPeakMemory();
    const t0 = performance.now();
    await session(b, a, counter);
    result.seconds = seconds(t0);
    result.peak_rss_kib = peakMemoryKiB();
    progress(`measured: ${result.seconds.toFixed(3)} s; comparing the replicas (not timed)`);
    [counter.aToB, counter.bToA] = [counter.bToA, counter.aToB];
    result.converged = digest(a) === digest(b);
  } else if (workload === 'w2') {
    const edits = loadEdits(args.edits).w2[set];
    const b = copy(a, 1);
    // The two replicas met when B was made: that session's sync states are what they keep.
    await session(b, a, newCounter());
    applyEdits(a, edits.a);
    applyEdits(b, edits.b);
    progress(`measure: sync after ${edits.a.length} + ${edits.b.length} field edits`);
    resetPeakMemory();
    const t0 = performance.now();
    await session(b, a, counter);
    result.seconds = seconds(t0);
    result.peak_rss_kib = peakMemoryKiB();
    progress(`measured: ${result.seconds.toFixed(3)} s; comparing the replicas (not timed)`);
    [counter.aToB, counter.bToA] = [counter.bToA, counter.aToB];
    result.converged = digest(a) === digest(b);
    result.edits = edits.a.length + edits.b.length;
  } else if (workload === 'w3') {
    const lists = loadEdits(args.edits).w3;
    const replicas = [a];
    for (let r = 1; r < lists.length; r++) {
      replicas.push(copy(a, r));
      await session(replicas[r], a, newCounter());
    }
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
    result.converged = new Set(replicas.map(digest)).size === 1;
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

runMain('automerge', main);
