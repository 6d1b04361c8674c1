// The benchmark against the peers, end to end (docs/BENCHMARKS.md, "Against the peers"); the
// `run` script next to this file installs the packages and starts it. It generates the
// population once, writes the edit lists once, then runs every workload for every system, each
// in its own process under a time and a memory limit, and prints one table (and a JSON file).
//
//   W1  initial replication, community (5,000 persons) and city (560,000), A -> empty B
//   W2  reconciliation after each side changed 1% of the persons while apart (both sets)
//   W3  10,000 conflicting field edits from 10 replicas, star sync through replica 0
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync }
  from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../..');
const PEERS = ['yjs', 'automerge', 'pouchdb'];
const ALL_SYSTEMS = ['shequ', ...PEERS];

const USAGE = `usage: tools/bench/peers/run [options]
  --city-persons N       persons of the city (default 560000; 0 skips the city)
  --community-persons N  persons of the community (default 5000)
  --only W1|W2|W3[,..]   workloads (default all)
  --systems LIST         of shequ,yjs,automerge,pouchdb (default all)
  --build-dir DIR        where shequ and tools/bench_peers are, built there with cmake if
                         missing (default build-peers in the repository)
  --shequ PATH           the shequ binary (default BUILD_DIR/shequ)
  --no-build             never run cmake
  --time-limit MIN       of each measured sync (default 20)
  --setup-limit MIN      of the rest of a job: building replicas, edits (default 40)
  --mem-limit GIB        resident memory per system and workload (default 16)
  --seed S               of the edit lists (default 8)
  --repeat N             runs of each community workload, the median reported (default 3)
  --work DIR             data and logs (default a new directory under /tmp, removed after)
  --out FILE             results as JSON, and as Markdown tables beside it (.md)
                         (default BUILD_DIR/bench-peers.json)
  --keep                 keep the work directory
  --no-install           do not run npm ci (the run script's option)`;

function log(text) {
  process.stderr.write(`[run ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', ...opts });
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/model name\s*:\s*(.*)/) || [])[1] ?? 'unknown';
  let nproc = cpus().length;
  try { nproc = Number(sh('nproc', []).trim()); } catch { /* keep os.cpus() */ }
  const memKiB = Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)[1]);
  return { nproc, cpu: model, memory_gib: +(memKiB / 1048576).toFixed(1),
           kernel: sh('uname', ['-r']).trim(), node: process.version };
}

// The commit the benchmark ran at, "+changes" when the working tree differs from it.
function gitDescribe() {
  try {
    const head = sh('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).trim();
    const dirty = sh('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no']).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

function loadAverage() {
  return loadavg().map((x) => +x.toFixed(2));
}

// Resident memory of every process of a process group, in KiB.
function groupRssKiB(pgid) {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;  // field 5, pgrp
      const m = readFileSync(`/proc/${name}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) total += Number(m[1]);
    } catch { /* gone meanwhile */ }
  }
  return total;
}

// Runs one job (a process group of its own) under the limits; resolves with the JSON lines it
// printed, or with a 'did not finish' reason. The drivers mark the measured parts with progress
// lines: 'measure: ...' starts one, the next progress line ends it. The time limit applies to
// each measured part; everything else (building the replicas, the edits, comparing the states)
// shares the setup limit. The memory limit applies to the whole process group at any time.
function runJob(label, cmd, args, { timeLimitS, setupLimitS, memLimitKiB, cwd, logFile }) {
  return new Promise((resolveJob) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastProgress = '';
    let measuring = false;
    let phaseSince = started;
    let setupSpent = 0;
    let reachedMeasure = false;
    const onProgress = (line) => {
      const text = line.trim().replace(/^\[[^\]]*\]\s*/, '');
      const now = Date.now();
      if (text.startsWith('measure:')) {
        reachedMeasure = true;
        if (!measuring) setupSpent += now - phaseSince;
        measuring = true;
        phaseSince = now;
      } else if (measuring) {
        measuring = false;
        phaseSince = now;
      }
    };
    let peakGroup = 0;
    let killed = null;
    const logLines = [];
    child.stdout.on('data', (d) => { stdout += d; });
    let partial = '';
    child.stderr.on('data', (d) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop();  // an unfinished line waits for the rest
      for (const line of lines) {
        if (!line.trim()) continue;
        logLines.push(line);
        // The last progress line: not a stack trace, not the failure itself.
        if (/^\[/.test(line.trim()) && !/failed:/.test(line)) {
          lastProgress = line.trim();
          onProgress(line);
        }
        if (process.env.BENCH_VERBOSE) process.stderr.write(`    ${label}: ${line}\n`);
      }
    });
    const kill = (why) => {
      if (killed) return;
      killed = why;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    };
    const watchdog = setInterval(() => {
      const rss = groupRssKiB(child.pid);
      peakGroup = Math.max(peakGroup, rss);
      if (rss > memLimitKiB)
        kill(`over the memory limit (${(memLimitKiB / 1048576).toFixed(0)} GiB resident)`);
      else if (measuring && Date.now() - phaseSince > timeLimitS * 1000)
        kill(`over the time limit (${(timeLimitS / 60).toFixed(0)} min) of the measured part`);
      else if (!measuring && setupSpent + Date.now() - phaseSince > setupLimitS * 1000)
        kill(`over the setup's time limit (${(setupLimitS / 60).toFixed(0)} min), not measured`);
    }, 500);
    child.on('close', (code, signal) => {
      clearInterval(watchdog);
      if (partial.trim()) logLines.push(partial);
      writeFileSync(logFile, logLines.join('\n') + '\n');
      const results = stdout.split('\n').filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l));
      const elapsed = (Date.now() - started) / 1000;
      const done = results.filter((r) => !r.error);
      let failure = killed;
      if (!failure && (code !== 0 || signal)) {
        const err = results.find((r) => r.error);
        failure = err ? `failed: ${err.error}` : `exited with ${signal ?? code}`;
        const text = logLines.join('\n');
        if (/heap out of memory|Allocation failed/.test(text))
          failure = 'out of memory (JavaScript heap)';
        else if (/rust_oom|alloc_error/.test(text))
          failure = 'out of memory (WebAssembly: a wasm32 heap ends at 4 GiB)';
      }
      resolveJob({ results: done, failure, lastProgress, elapsed, peakGroupKiB: peakGroup,
                   reachedMeasure });
    });
  });
}

function fmtBytes(n) {
  if (n === undefined || n === null) return '-';
  if (n >= 1e9) return (n / 1e9).toFixed(2) + ' GB';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + ' MB';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + ' kB';
  return n + ' B';
}

function fmtSeconds(s) {
  if (s === undefined || s === null) return '-';
  return s >= 100 ? s.toFixed(0) + ' s' : s >= 1 ? s.toFixed(2) + ' s' : (s * 1000).toFixed(1) + ' ms';
}

function fmtRatio(x) {
  if (!Number.isFinite(x)) return '-';
  return x >= 10 ? x.toFixed(0) + '×' : x.toFixed(2) + '×';
}

// The table of one workload: each system's figures; the ratios are peer / shequ (above 1: we
// use less). Returns the cells, and the goals of the issue (less wall time than every peer,
// bytes within 1.5 x the least of them) as a sentence.
function tableOf(rows) {
  const ours = rows.find((r) => r.system === 'shequ' && r.result);
  const oursTotal = ours ? ours.result.bytes_a_to_b + ours.result.bytes_b_to_a : NaN;
  const head = ['system', 'wall time', 'bytes A→B', 'bytes B→A', 'bytes total', 'round trips',
                'peak RSS', 'converged', 'time / ours', 'bytes / ours', 'load'];
  const lines = [];
  for (const r of rows) {
    const name = r.system + (r.result?.version ? ' ' + r.result.version : '');
    if (!r.result) {
      lines.push({ name, failure: `did not finish: ${r.failure}` });
      continue;
    }
    const x = r.result;
    const total = x.bytes_a_to_b + x.bytes_b_to_a;
    lines.push({ name, cells: [
      name, fmtSeconds(x.seconds),
      fmtBytes(x.bytes_a_to_b), fmtBytes(x.bytes_b_to_a), fmtBytes(total), String(x.round_trips),
      (x.peak_rss_kib / 1024).toFixed(0) + ' MiB', x.converged ? 'yes' : 'NO',
      r.system === 'shequ' ? '1' : fmtRatio(x.seconds / ours?.result.seconds),
      r.system === 'shequ' ? '1' : fmtRatio(total / oursTotal),
      String(r.load_before[0]),
    ] });
  }
  let goal = '';
  const peers = rows.filter((r) => r.system !== 'shequ' && r.result);
  if (ours && peers.length) {
    const fastest = Math.min(...peers.map((r) => r.result.seconds));
    const least = Math.min(...peers.map((r) => r.result.bytes_a_to_b + r.result.bytes_b_to_a));
    const unfinished = rows.filter((r) => r.system !== 'shequ' && !r.result).length;
    goal = `goal, less time than every peer: ${ours.result.seconds < fastest ? 'met' : 'NOT met'}` +
      ` (ours ${fmtSeconds(ours.result.seconds)}, fastest peer ${fmtSeconds(fastest)}` +
      `${unfinished ? `; ${unfinished} peer(s) did not finish` : ''});` +
      ` bytes within 1.5 × the least peer: ${oursTotal <= 1.5 * least ? 'met' : 'NOT met'}` +
      ` (${(oursTotal / least).toFixed(2)} × ${fmtBytes(least)})`;
  }
  if (ours && ours.result.verify_floor_seconds > 0) {
    // The physical limit of our side: every change that crossed is verified by its receiver.
    const x = ours.result;
    goal += `${goal ? '; ' : ''}shequ's floor, verifying its ${x.verified.toLocaleString('en')}` +
      ` signatures at ${Math.round(x.verify_rate_per_core).toLocaleString('en')}/s on each of` +
      ` ${x.cores} cores: ${fmtSeconds(x.verify_floor_seconds)}` +
      ` (ours is ${(x.seconds / x.verify_floor_seconds).toFixed(2)} × the floor)`;
  }
  return { head, lines, goal };
}

function textTable(title, rows) {
  const { head, lines, goal } = tableOf(rows);
  const full = [head, ...lines.filter((l) => l.cells).map((l) => l.cells)];
  const widths = head.map((_, i) => Math.max(...full.map((l) => l[i].length)));
  let out = `\n${title}\n`;
  for (const l of [{ cells: head }, ...lines]) {
    if (l.failure) out += `  ${l.name.padEnd(widths[0])}  ${l.failure}\n`;
    else out += '  ' + l.cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ') + '\n';
  }
  return out + (goal ? `  ${goal}\n` : '');
}

function markdownTable(title, rows) {
  const { head, lines, goal } = tableOf(rows);
  let out = `\n**${title}**\n\n| ${head.join(' | ')} |\n|${head.map(() => ' --- |').join('')}\n`;
  for (const l of lines) {
    const cells = l.failure ? [l.name, l.failure, ...head.slice(2).map(() => '')] : l.cells;
    out += `| ${cells.join(' | ')} |\n`;
  }
  return out + (goal ? `\n${goal[0].toUpperCase()}${goal.slice(1)}.\n` : '');
}

async function main() {
  const args = parseArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const cityPersons = Number(args['city-persons'] ?? 560000);
  const communityPersons = Number(args['community-persons'] ?? 5000);
  const only = new Set(String(args.only ?? 'W1,W2,W3').toUpperCase().split(','));
  const systems = String(args.systems ?? ALL_SYSTEMS.join(',')).split(',');
  for (const s of systems) if (!ALL_SYSTEMS.includes(s)) throw new Error(`unknown system ${s}`);
  const buildDir = resolve(args['build-dir'] ?? join(REPO, 'build-peers'));
  const shequ = resolve(args.shequ ?? join(buildDir, 'shequ'));
  const benchPeers = join(buildDir, 'tools', 'bench_peers');
  const timeLimitS = Number(args['time-limit'] ?? 20) * 60;
  const setupLimitS = Number(args['setup-limit'] ?? 40) * 60;
  const memLimitKiB = Number(args['mem-limit'] ?? 16) * 1048576;
  const seed = Number(args.seed ?? 8);
  const repeat = Math.max(1, Number(args.repeat ?? 3));
  const out = resolve(args.out ?? join(buildDir, 'bench-peers.json'));

  if (!args['no-build'] && (!existsSync(benchPeers) || (!args.shequ && !existsSync(shequ)))) {
    log(`building shequ and bench_peers in ${buildDir} (cmake, -j2)`);
    sh('cmake', ['-S', REPO, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'inherit' });
    sh('cmake', ['--build', buildDir, '-j2', '--target', 'shequ', 'bench_peers'],
       { stdio: 'inherit' });
  }
  for (const f of [shequ, benchPeers])
    if (!existsSync(f)) throw new Error(`${f} is missing (build it, or drop --no-build)`);

  const work = args.work ? resolve(args.work) : mkdtempSync(join(tmpdir(), 'shequ-peers-'));
  mkdirSync(work, { recursive: true });
  const info = { date: new Date().toISOString(), machine: machine(), load_before: loadAverage(),
                 options: { cityPersons, communityPersons, only: [...only], systems, seed, repeat,
                            timeLimitS, setupLimitS, memLimitGiB: memLimitKiB / 1048576 },
                 shequ, commit: gitDescribe() };
  log(`machine: ${info.machine.nproc} cores, ${info.machine.cpu}, load ${info.load_before}`);

  // The population, generated once, and the edit lists, written once, for everyone.
  const community = join(work, 'community.json');
  const city = join(work, 'city.json');
  const useCity = cityPersons > 0 && (only.has('W1') || only.has('W2'));
  log(`generating the community (${communityPersons} persons)` +
      (useCity ? ` and the city (${cityPersons})` : ''));
  sh(shequ, ['gen', '--persons', String(communityPersons), '--seed', '5', '--today', '2026-11-26',
             '--communities', '150302001002', '--out', community]);
  if (useCity)
    sh(shequ, ['gen', '--persons', String(cityPersons), '--seed', '7', '--today', '2026-11-26',
               '--out', city]);
  const edits = join(work, 'edits.json');
  sh(process.execPath, [join(HERE, 'edits.mjs'), '--community', community,
                        ...(useCity ? ['--city', city] : []), '--seed', String(seed),
                        '--out', edits], { stdio: 'inherit' });

  // The jobs: for shequ one process per set runs W1 and W2 (each measured with fresh shequ
  // processes); for the peers one process per workload and set.
  const sets = [['community', community]];
  if (useCity) sets.push(['city', city]);
  const jobs = [];
  const wanted = (w) => only.has(w.toUpperCase());
  for (const [set, cards] of sets) {
    const ws = ['w1', 'w2'].filter(wanted);
    if (!ws.length) continue;
    if (systems.includes('shequ'))
      jobs.push({ system: 'shequ', set, workloads: ws, cmd: benchPeers,
                  workDir: join(work, `shequ-${set}`),
                  args: ['--shequ', shequ, '--cards', cards, '--edits', edits, '--set', set,
                         '--workloads', ws.join(','), '--work', join(work, `shequ-${set}`),
                         '--timeout', String(timeLimitS)] });
    for (const p of PEERS.filter((s) => systems.includes(s)))
      for (const w of ws) jobs.push({ system: p, set, workloads: [w], ...peerCommand(p, w, set, cards, edits, memLimitKiB) });
  }
  if (wanted('w3')) {
    if (systems.includes('shequ'))
      jobs.push({ system: 'shequ', set: 'community', workloads: ['w3'], cmd: benchPeers,
                  workDir: join(work, 'shequ-w3'),
                  args: ['--shequ', shequ, '--cards', community, '--edits', edits, '--set',
                         'community', '--workloads', 'w3', '--work', join(work, 'shequ-w3'),
                         '--timeout', String(timeLimitS)] });
    for (const p of PEERS.filter((s) => systems.includes(s)))
      jobs.push({ system: p, set: 'community', workloads: ['w3'],
                  ...peerCommand(p, 'w3', 'community', community, edits, memLimitKiB) });
  }

  const rows = [];  // { workload, set, system, result | failure }
  for (const job of jobs) {
    const label = `${job.system} ${job.workloads.join('+').toUpperCase()} ${job.set}`;
    // W2 starts by building the same replica as W1: a peer that could not build it for W1
    // within the limits is not tried again.
    const w1 = rows.find((r) => r.system === job.system && r.set === job.set && r.workload === 'w1');
    if (job.workloads[0] === 'w2' && w1 && !w1.result && w1.stoppedWhileBuilding) {
      log(`${label}: not run, W1 could not build the replica within the limits`);
      rows.push({ workload: 'w2', set: job.set, system: job.system, load_before: loadAverage(),
                  failure: 'not run: W1 did not get past building replica A within the limits' });
      continue;
    }
    // The community's workloads take seconds or less: each runs `repeat` times (a new process
    // each time) and the run with the median wall time is reported; the city's run once.
    const repeats = job.set === 'community' ? repeat : 1;
    const runs = [];
    const load = loadAverage();
    for (let i = 0; i < repeats; i++) {
      // shequ's replicas: a fresh directory for each run, removed after it unless --keep.
      if (job.workDir) rmSync(job.workDir, { recursive: true, force: true });
      const runLoad = loadAverage();
      log(`${label}${repeats > 1 ? ` (run ${i + 1} of ${repeats})` : ''} (load ${runLoad.join(' ')})`);
      const r = await runJob(label, job.cmd, job.args, {
        timeLimitS, setupLimitS, memLimitKiB, cwd: HERE,
        logFile: join(work, `${job.system}-${job.set}-${job.workloads.join('')}-${i + 1}.log`),
      });
      r.load = runLoad;
      runs.push(r);
      if (job.workDir && !args.keep) rmSync(job.workDir, { recursive: true, force: true });
      if (r.failure) break;  // a run that fails will fail again
    }
    for (const w of job.workloads) {
      const row = { workload: w, set: job.set, system: job.system, load_before: load };
      const good = [];
      let bad = null;
      for (const r of runs) {
        const result = r.results.find((x) => x.workload === w);
        if (result && result.converged) good.push({ ...result, load_before: r.load });
        else if (!bad) bad = { r, result };
      }
      if (!bad) {
        good.sort((x, y) => x.seconds - y.seconds);
        row.result = good[Math.floor((good.length - 1) / 2)];
        row.load_before = row.result.load_before;
        if (good.length > 1) row.runs = good;
        const x = row.result;
        log(`  ${w.toUpperCase()}: ${fmtSeconds(x.seconds)}` +
            `${good.length > 1 ? ` (median of ${good.map((g) => fmtSeconds(g.seconds)).join(', ')})` : ''}, ` +
            `${fmtBytes(x.bytes_a_to_b)} / ${fmtBytes(x.bytes_b_to_a)}, ` +
            `${x.round_trips} round trips, ${(x.peak_rss_kib / 1024).toFixed(0)} MiB`);
      } else {
        const { r, result } = bad;
        row.failure = result ? 'the replicas did not converge'
          : `${r.failure ?? 'no result'} after ${r.elapsed.toFixed(0)} s` +
            `${r.lastProgress ? ` (last: ${r.lastProgress})` : ''}`;
        row.elapsed = r.elapsed;
        row.stoppedWhileBuilding = !r.reachedMeasure;
        if (result) row.result_not_converged = result;
        log(`  ${w.toUpperCase()}: did not finish: ${row.failure}`);
      }
      rows.push(row);
    }
  }
  info.load_after = loadAverage();

  const sections = [
    ['w1', 'community', `W1 initial replication, community (${communityPersons} persons)`],
    ['w1', 'city', `W1 initial replication, city (${cityPersons} persons)`],
    ['w2', 'community', `W2 reconciliation after 1% edited on each side, community`],
    ['w2', 'city', `W2 reconciliation after 1% edited on each side, city`],
    ['w3', 'community', 'W3 10,000 conflicting field edits from 10 replicas, star through replica 0'],
  ];
  let text = `\nshequ against Yjs, Automerge and PouchDB, ${info.date.slice(0, 10)}; ` +
    `shequ ${info.commit}, ${info.machine.nproc} cores (${info.machine.cpu}), ` +
    `load ${info.load_before.join(' ')} ` +
    `before, ${info.load_after.join(' ')} after\n` +
    'ratios are peer / shequ: above 1, shequ takes less\n';
  let markdown = `Measured ${info.date.slice(0, 10)}, shequ ${info.commit}, ` +
    `${info.machine.nproc} cores (${info.machine.cpu}), load ${info.load_before.join(' ')} ` +
    `before and ${info.load_after.join(' ')} after; ratios are peer / shequ.\n`;
  for (const [w, set, title] of sections) {
    const these = rows.filter((r) => r.workload === w && r.set === set);
    if (!these.length) continue;
    text += textTable(title, these);
    markdown += markdownTable(title, these);
  }
  process.stdout.write(text);
  writeFileSync(out, JSON.stringify({ ...info, rows }, null, 2) + '\n');
  const md = out.replace(/\.json$/, '') + '.md';
  writeFileSync(md, markdown);
  log(`results in ${out} and ${md}`);
  if (!args.keep && !args.work) rmSync(work, { recursive: true, force: true });
  else log(`work directory kept: ${work}`);
}

// A peer's driver: node with the heap allowed up to the memory limit and gc exposed (the
// drivers collect before measuring their peak).
function peerCommand(system, workload, set, cards, edits, memLimitKiB) {
  const heapMiB = Math.floor(memLimitKiB / 1024);
  return {
    cmd: process.execPath,
    args: [`--max-old-space-size=${heapMiB}`, '--expose-gc', join(HERE, `${system}.mjs`),
           '--workload', workload, '--set', set, '--cards', cards, '--edits', edits],
  };
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
