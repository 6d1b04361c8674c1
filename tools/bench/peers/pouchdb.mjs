// PouchDB with the memory adapter and its replication protocol (the CouchDB one) over a real
// wire: replica A (in W3 replica 0, the hub of the star) is a memory database served over HTTP
// on loopback by express-pouchdb, the PouchDB project's own CouchDB-compatible server; the other
// replicas are memory databases in the same process that replicate with it through
// pouchdb-adapter-http, as a PouchDB client does with a server. One document per record (_id =
// record key, the fields as strings). Bytes are counted on the server's TCP sockets (HTTP
// headers and bodies, gzip where the server compresses), round trips are HTTP requests (each
// waits for its response; push and pull of a two-way sync run side by side).
//
//   node --expose-gc pouchdb.mjs --workload w1|w2|w3 --cards FILE [--edits FILE] [--set NAME]
import PouchDB from 'pouchdb-core';
import memoryAdapter from 'pouchdb-adapter-memory';
import httpAdapter from 'pouchdb-adapter-http';
import replication from 'pouchdb-replication';
import expressPouchDB from 'express-pouchdb';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalDigest, editsByRecord, forEachRecordBatch, loadEdits, newCounter, packageVersion,
  parseArgs, peakMemoryKiB, progress, report, resetPeakMemory, runMain, seconds,
} from './common.mjs';

const VERSION = packageVersion('pouchdb-core');
PouchDB.plugin(memoryAdapter).plugin(httpAdapter).plugin(replication);
const MemoryDB = PouchDB.defaults({ adapter: 'memory' });

// The server: express-pouchdb over memory databases, with byte and request counters.
async function startServer(logDir) {
  const app = expressPouchDB(MemoryDB, {
    mode: 'minimumForPouchDB',
    inMemoryConfig: true,
    logPath: join(logDir, 'log.txt'),
  });
  const server = createServer(app);
  const sockets = new Set();
  const stats = { closedRead: 0, closedWritten: 0, requests: 0 };
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => {
      stats.closedRead += s.bytesRead;
      stats.closedWritten += s.bytesWritten;
      sockets.delete(s);
    });
  });
  server.on('request', (req) => { stats.requests++; if (process.env.POUCH_TRACE) process.stderr.write(`${req.method} ${req.url.slice(0, 80)}\n`); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Totals since the server started: bytes the server read (client -> server) and wrote.
  const totals = () => {
    let read = stats.closedRead;
    let written = stats.closedWritten;
    for (const s of sockets) {
      read += s.bytesRead;
      written += s.bytesWritten;
    }
    return { read, written, requests: stats.requests };
  };
  const url = (name) => `http://127.0.0.1:${server.address().port}/${name}`;
  const stop = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  });
  return { totals, url, stop };
}

// A document per record, written as revision 1 with the same revision id everywhere (what a
// replication would have left), so that replicas start equal without a replication.
function toDoc(key, fields) {
  const rev = '1-' + createHash('md5').update(key + JSON.stringify(fields)).digest('hex');
  return { _id: key, _rev: rev, ...fields };
}

async function fill(dbs, file) {
  return forEachRecordBatch(file, 5000, async (batch) => {
    const docs = batch.map(([key, fields]) => toDoc(key, fields));
    for (const db of dbs) await db.bulkDocs(docs, { new_edits: false });
  });
}

// One revision per edited record, saved in one bulkDocs.
async function applyEdits(db, edits) {
  const byRecord = editsByRecord(edits);
  const rows = (await db.allDocs({ keys: [...byRecord.keys()], include_docs: true })).rows;
  const docs = rows.map((row) => {
    if (!row.doc) throw new Error(`no record ${row.key}`);
    return { ...row.doc, ...byRecord.get(row.key) };
  });
  const res = await db.bulkDocs(docs);
  if (res.some((r) => r.error)) throw new Error('an edit failed');
}

// The winning revision of every document with its conflicts: equal on converged replicas.
async function digest(db) {
  const rows = (await db.allDocs({ include_docs: true, conflicts: true })).rows;
  return canonicalDigest(rows.map((row) => {
    const { _id, _rev, _conflicts, ...fields } = row.doc;
    return [_id, { rev: _rev, conflicts: (_conflicts ?? []).sort(), fields }];
  }));
}

async function main() {
  const args = parseArgs();
  const workload = args.workload;
  const set = args.set ?? 'community';
  const logDir = mkdtempSync(join(tmpdir(), 'shequ-pouch-'));
  const server = await startServer(logDir);
  const tag = `${process.pid}`;
  const name = (r) => `r${r}-${tag}`;
  const result = { system: 'pouchdb', version: VERSION, workload, set };
  const replicaCount = workload === 'w3' ? 10 : 2;
  // Replica 0 is the served one; this process reaches the same memory store under its name.
  const replicas = [];
  for (let r = 0; r < replicaCount; r++) replicas.push(new MemoryDB(name(r)));
  progress(`pouchdb ${VERSION} ${workload} ${set}: filling ${workload === 'w1' ? 1 : replicaCount}` +
           ` replica(s) from ${args.cards}`);
  result.records = await fill(workload === 'w1' ? [replicas[0]] : replicas, args.cards);
  // Replication's options: batches of 500 documents (default 100; fewer requests, measured
  // faster here), everything else as it comes.
  const options = { batch_size: Number(args['batch-size'] ?? 500) };
  let before;
  let t0;
  const start = () => {
    resetPeakMemory();
    before = server.totals();
    t0 = performance.now();
  };
  const finish = (counter) => {
    result.seconds = seconds(t0);
    result.peak_rss_kib = peakMemoryKiB();
    progress(`measured: ${result.seconds.toFixed(3)} s; comparing the replicas (not timed)`);
    const after = server.totals();
    counter.aToB = after.written - before.written;
    counter.bToA = after.read - before.read;
    counter.roundTrips = after.requests - before.requests;
    counter.messages = counter.roundTrips * 2;
  };
  const counter = newCounter();
  if (workload !== 'w1') {
    // The replicas met before they went apart: one (untimed) sync each leaves the replication
    // checkpoints a real deployment has, so that the measured sync starts from them.
    progress('first sync of each replica with replica 0 (not timed)');
    const remote = new PouchDB(server.url(name(0)));
    for (let r = 1; r < replicas.length; r++) await replicas[r].sync(remote, options);
  }
  if (workload === 'w1') {
    progress('measure: replicate A -> empty B');
    start();
    const remote = new PouchDB(server.url(name(0)));
    const res = await replicas[1].replicate.from(remote, options);
    finish(counter);
    if (!res.ok) throw new Error('replication failed');
    result.converged = (await digest(replicas[0])) === (await digest(replicas[1]));
  } else if (workload === 'w2') {
    const edits = loadEdits(args.edits).w2[set];
    await applyEdits(replicas[0], edits.a);
    await applyEdits(replicas[1], edits.b);
    progress(`measure: sync after ${edits.a.length} + ${edits.b.length} field edits`);
    start();
    const remote = new PouchDB(server.url(name(0)));
    await replicas[1].sync(remote, options);
    finish(counter);
    result.converged = (await digest(replicas[0])) === (await digest(replicas[1]));
    result.edits = edits.a.length + edits.b.length;
  } else if (workload === 'w3') {
    const lists = loadEdits(args.edits).w3;
    for (let r = 0; r < lists.length; r++) await applyEdits(replicas[r], lists[r]);
    progress(`measure: star sync of ${replicas.length} replicas through replica 0, two passes`);
    start();
    const remote = new PouchDB(server.url(name(0)));
    for (let pass = 0; pass < 2; pass++)
      for (let r = 1; r < replicas.length; r++) await replicas[r].sync(remote, options);
    finish(counter);
    const digests = new Set();
    for (const db of replicas) digests.add(await digest(db));
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
  await server.stop();
  rmSync(logDir, { recursive: true, force: true });
  report(result);
}

runMain('pouchdb', main);
