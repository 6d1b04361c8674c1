// Writes the edit lists every system applies (once per run, deterministic for a seed), so that
// shequ, Yjs, Automerge and PouchDB all make exactly the same edits:
//
//   node edits.mjs --community FILE [--city FILE] --seed S --out edits.json
//
//   w2.<set>.a, w2.<set>.b  W2: 1% of the persons of the set (community or city) edited on each
//                           side while apart, different persons on each side; each edited person
//                           gets a new phone and a new occupation (two field edits)
//   w3[r], r = 0..9         W3: 1,000 field edits per replica: the same 500 persons of the
//                           community, phone and occupation, on every replica, each replica its
//                           own values: 10,000 edits, every one in conflict with nine others
//
// An edit is { key: 'P:<card_no>:<index>', card, member, field, value } (common.mjs names the
// records). New values always differ from the generated ones, so that no system can skip one as
// unchanged: the occupations below are not in the generator's list, phones are random.
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs, progress } from './common.mjs';

const OCCUPATIONS = ['园艺师', '调酒师', '潜水员', '驯兽师', '天文学家', '考古学家', '飞行员',
  '雕塑家', '调律师', '登山向导', '茶艺师', '酿酒师', '船长', '护林员', '邮递员', '裁缝', '木匠',
  '陶艺师', '摄影师', '翻译'];
const REPLICAS = 10;
const W3_PERSONS = 500;

// splitmix64 on BigInt, reduced to what we need: integers below n.
function rng(seed) {
  let s = BigInt.asUintN(64, BigInt(seed));
  const next = () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
  return (n) => Number(next() % BigInt(n));
}

// The persons of a cards file, in file order: { card, member, occupation }.
async function readPersons(file) {
  const persons = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (let line of lines) {
    line = line.trim();
    if (line === '[' || line === ']' || line === '') continue;
    if (line.endsWith(',')) line = line.slice(0, -1);
    const card = JSON.parse(line);
    card.members.forEach((m, i) => persons.push({ card: card.card_no, member: i }));
  }
  return persons;
}

// `count` distinct persons, chosen by a partial Fisher-Yates shuffle of the indexes.
function choose(persons, count, next) {
  const idx = persons.map((_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + next(idx.length - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, count).map((i) => persons[i]);
}

function phone(prefix, next) {
  let s = prefix;
  while (s.length < 11) s += String(next(10));
  return s;
}

function edit(p, field, value) {
  return { key: `P:${p.card}:${p.member}`, card: p.card, member: p.member, field, value };
}

function w2(persons, next) {
  const n = Math.max(1, Math.round(persons.length / 100));
  const chosen = choose(persons, 2 * n, next);
  const side = (list) => list.flatMap((p) => [
    edit(p, 'phone', phone('139', next)),
    edit(p, 'occupation', OCCUPATIONS[next(OCCUPATIONS.length)]),
  ]);
  return { a: side(chosen.slice(0, n)), b: side(chosen.slice(n)) };
}

function w3(persons, next) {
  const chosen = choose(persons, W3_PERSONS, next);
  const out = [];
  for (let r = 0; r < REPLICAS; r++) {
    out.push(chosen.flatMap((p) => [
      edit(p, 'phone', phone('13' + r, next)),
      edit(p, 'occupation', OCCUPATIONS[r]),
    ]));
  }
  return out;
}

async function main() {
  const args = parseArgs();
  if (!args.community || !args.out) throw new Error('usage: --community FILE [--city FILE] --seed S --out FILE');
  const seed = Number(args.seed ?? 8);
  const next = rng(seed);
  const community = await readPersons(args.community);
  const out = { seed, w2: { community: w2(community, next) }, w3: w3(community, next) };
  if (args.city) out.w2.city = w2(await readPersons(args.city), next);
  writeFileSync(args.out, JSON.stringify(out));
  const counts = Object.entries(out.w2).map(([k, v]) => `${k} ${v.a.length}+${v.b.length}`);
  progress(`edits: w2 ${counts.join(', ')} field edits; w3 ${out.w3.length} x ${out.w3[0].length}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
