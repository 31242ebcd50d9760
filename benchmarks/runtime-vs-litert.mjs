#!/usr/bin/env node
// Times the managed runtime (`mbt bench`) against LiteRT's WebAssembly build (tests/oracle/litert-run.mjs bench)
// on every corpus model in the same run and writes the ratio table into docs/runtime-performance.md.
//
//   node benchmarks/runtime-vs-litert.mjs [--rounds 3] [--runs 20] [--models a,b] [--out docs/runtime-performance.md]
//       [--optimization none|int8|dynamic] [--baseline-mbt PATH/mbt.dll] [--baseline-note TEXT]
//
// --optimization int8|dynamic times the corpus models after `mbt optimize` (int8 calibrated on 8 seeded random
// samples in [0, 1), the distribution `mbt bench` feeds); the quantized models are cached in the temp folder.
// --baseline-mbt adds another build of mbt (e.g. one from before a kernel change) as two more configurations.
// Rounds interleave the configurations (ours 1 thread, ours 2 threads, LiteRT 1 thread, and the baseline's) so
// that load from other processes hits all of them alike; each configuration's figure is its best round median.
// Each optimization writes only its own section of the document (between `<!-- bench:NAME -->` markers).
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const rounds = Number(option('--rounds', '3'));
const runs = Number(option('--runs', '20'));
const out = path.resolve(root, option('--out', 'docs/runtime-performance.md'));
const optimization = option('--optimization', 'none');
if (!['none', 'int8', 'dynamic'].includes(optimization)) throw new Error(`--optimization must be none, int8 or dynamic, not ${optimization}`);
const baselineMbt = option('--baseline-mbt', null);
// What the baseline build is, for the table's caption.
const baselineNote = option('--baseline-note', 'the build of mbt from before the VNNI kernels');
const PEAK_GFLOPS_PER_CORE = 83;  // fp32, this machine: 2 × 256-bit FMA × 8 lanes × 2 FLOP × ~2.6 GHz
// int8 with AVX-VNNI: 2 × 256-bit VPDPBUSD per cycle × 32 multiply-adds × 2 ops × ~2.6 GHz (see docs/runtime-performance.md).
const PEAK_INT8_GOPS_PER_CORE = 333;

const corpusDir = process.env.MBT_CORPUS_DIR || path.join(root, 'tests', 'corpus', '.cache');
const models = option('--models', null)?.split(',') ??
  fs.readFileSync(path.join(root, 'tests', 'corpus', 'corpus.tsv'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#') && l.split('\t')[1] === 'model').map((l) => l.split('\t')[0]);

const run = (cmd, argv) => execFileSync(cmd, argv, {cwd: root, encoding: 'utf8', maxBuffer: 1 << 24});
console.error('building mbt (Release) and fetching the corpus…');
run('dotnet', ['build', 'src/ModelBuildTasks.Cli', '-c', 'Release', '--nologo', '-v', 'q']);
run('dotnet', ['run', '--project', 'tests/ModelBuildTasks.TestSupport', '-c', 'Release', '--', 'fetch', ...models]);
const mbt = path.join(root, 'src', 'ModelBuildTasks.Cli', 'bin', 'Release', 'net8.0', 'mbt.dll');
const oracle = path.join(root, 'tests', 'oracle', 'litert-run.mjs');

/** A float32 .npy file of the given shape filled from a fixed-seed generator with values in [0, 1). */
function writeNpy(file, shape, seed) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state / 4294967296;
  }
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

/** The model file to time: the corpus file itself, or its optimized version (made once, then cached). */
function modelFile(m) {
  const source = path.join(corpusDir, `${m}.tflite`);
  if (optimization === 'none') return source;
  const dir = path.join(os.tmpdir(), 'mbt-bench-models');
  const target = path.join(dir, `${m}.${optimization}.tflite`);
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(dir, {recursive: true});
  const argv = [mbt, 'optimize', source, '-o', target, '--optimization', optimization];
  if (optimization === 'int8') {
    const info = JSON.parse(run('dotnet', [mbt, 'inspect', source, '--json']));
    if (info.inputs.length !== 1) throw new Error(`${m}: calibration data is generated for one-input models only`);
    const data = path.join(dir, `${m}.calibration`);
    fs.mkdirSync(data, {recursive: true});
    for (let i = 0; i < 8; i++) writeNpy(path.join(data, `sample${i}.npy`), info.inputs[0].shape, 1000 + i);
    argv.push('--representative-data', data);
  }
  console.error(`optimizing ${m} (${optimization})…`);
  run('dotnet', argv);
  return target;
}

const configs = ['ours1', 'ours2', 'litert', ...(baselineMbt ? ['before1', 'before2'] : [])];
const results = Object.fromEntries(models.map((m) => [m, {...Object.fromEntries(configs.map((c) => [c, []])), ours1Min: [], litertMin: [], before1Min: [], mac: 0}]));
const files = Object.fromEntries(models.map((m) => [m, modelFile(m)]));
const bench = (dll, file, threads) =>
  JSON.parse(run('dotnet', [dll, 'bench', file, '--runs', String(runs), '--threads', String(threads), '--json']));
for (const m of models) {
  // Quantized kernels do the same multiply-accumulates as the float model's; count them there.
  const float = path.join(corpusDir, `${m}.tflite`);
  results[m].mac = JSON.parse(run('dotnet', [mbt, 'bench', float, '--runs', '1', '--warmup', '0', '--json'])).multiplyAccumulates;
}
for (let r = 0; r < rounds; r++) {
  for (const m of models) {
    const file = files[m];
    const o1 = bench(mbt, file, 1);
    const o2 = bench(mbt, file, 2);
    const lt = JSON.parse(run('node', [oracle, 'bench', file, '--runs', String(runs)]));
    results[m].ours1.push(o1.medianMs);
    results[m].ours2.push(o2.medianMs);
    results[m].litert.push(lt.median_ms);
    results[m].ours1Min.push(o1.minMs);
    results[m].litertMin.push(lt.min_ms);
    let line = `round ${r + 1}/${rounds} ${m}: ours ${o1.medianMs} ms (2 threads ${o2.medianMs}), LiteRT ${lt.median_ms} ms`;
    if (baselineMbt) {
      const b1 = bench(baselineMbt, file, 1);
      const b2 = bench(baselineMbt, file, 2);
      results[m].before1.push(b1.medianMs);
      results[m].before2.push(b2.medianMs);
      results[m].before1Min.push(b1.minMs);
      line += `, baseline ${b1.medianMs} ms (2 threads ${b2.medianMs})`;
    }
    console.error(line);
  }
}

const best = (a) => Math.min(...a);
const f = (x, d = 2) => x.toFixed(d);
const quantized = optimization !== 'none';
const peak = quantized ? PEAK_INT8_GOPS_PER_CORE : PEAK_GFLOPS_PER_CORE;
const unit = quantized ? 'GOP/s' : 'GFLOP/s';
const rows = models.map((m) => {
  const r = results[m];
  const [o1, o2, lt] = [best(r.ours1), best(r.ours2), best(r.litert)];
  const gf = (ms) => (2 * r.mac) / (ms * 1e6);
  const [o1min, ltmin] = [best(r.ours1Min), best(r.litertMin)];
  const before = baselineMbt
    ? ` ${f(best(r.before1))} | ${f(best(r.before2))} | **${f(o1 / best(r.before1))}×** / **${f(o2 / best(r.before2))}×** | ` +
      `${f(best(r.before1Min))} / ${f(o1min)} = ${f(o1min / best(r.before1Min))}× |`
    : '';
  return `| ${m} | ${f(r.mac / 1e6, 1)} | ${f(lt)} | ${f(o1)} | **${f(o1 / lt)}×** | ${f(o2)} | **${f(o2 / lt)}×** |${before} ` +
    `${f(ltmin)} / ${f(o1min)} = ${f(o1min / ltmin)}× | ${f(gf(lt), 1)} | ${f(gf(o1), 1)} (${f(100 * gf(o1) / peak, 0)} %) |`;
});
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const title = {none: 'Float models (as shipped: float32 and float16 weights)', int8: 'Full-integer int8 models',
  dynamic: 'Dynamic-range models (int8 weights, hybrid kernels)'}[optimization];
const made = {none: '', int8: ' Each model was made with `mbt optimize MODEL --optimization int8` calibrated on 8 seeded ' +
  'random samples in [0, 1) (float32 input and output, int8 inside); a model\'s int8 and float versions do the same ' +
  'multiply-accumulates (MMAC, counted on the float model), so GOP/s counts 2 integer ops per multiply-accumulate.',
  dynamic: ' Each model was made with `mbt optimize MODEL --optimization dynamic` (int8 weights, float activations; ' +
  'CONV_2D and FULLY_CONNECTED run hybrid kernels that quantize activations on the fly).'}[optimization];
const beforeHeader = baselineMbt ? ' before 1T ms | before 2T ms | after/before 1T / 2T | min: before / after 1T |' : '';
const beforeRule = baselineMbt ? '---:|---:|---:|---:|' : '';
const section = `## ${title}

${rounds} interleaved rounds × ${runs} timed runs per configuration; each figure is the configuration's best round
median, in milliseconds.${made}${baselineMbt ? ` "before" is ${baselineNote}, timed in the same rounds.` : ''}
The fastest single run of each ("min" columns) is the figure least disturbed by other processes.
Machine: ${cpu}, ${os.cpus().length} logical CPUs. Load average when the run ended: ${os.loadavg().map((x) => x.toFixed(1)).join(', ')}
(1, 5, 15 min). ${unit} of one core at the median, with its share of the ${quantized ? 'int8 AVX-VNNI' : 'fp32'} peak (${peak} ${unit}).

| model | MMAC | LiteRT 1T ms | ours 1T ms | ours/LiteRT | ours 2T ms | ours 2T/LiteRT |${beforeHeader} min: LiteRT / ours 1T | LiteRT ${unit} | ours 1T ${unit} (of peak) |
|---|---:|---:|---:|---:|---:|---:|${beforeRule}---:|---:|---:|
${rows.join('\n')}

Raw round medians (ms), ours 1 thread / ours 2 threads / LiteRT${baselineMbt ? ' / before 1 thread / before 2 threads' : ''}:

${models.map((m) => `- ${m}: ${configs.map((c) => results[m][c].map((x) => f(x)).join(', ')).join(' / ')}`).join('\n')}
`;

// Replace this optimization's section between its markers, or append it; the rest of the document is prose.
const name = optimization === 'none' ? 'float' : optimization;
const [open, close] = [`<!-- bench:${name} -->`, `<!-- /bench:${name} -->`];
const doc = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '# Managed runtime vs LiteRT: speed\n';
const block = `${open}\n${section}${close}`;
const i = doc.indexOf(open);
const j = doc.indexOf(close);
const next = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + close.length) : `${doc.trimEnd()}\n\n${block}\n`;
fs.mkdirSync(path.dirname(out), {recursive: true});
fs.writeFileSync(out, next);
console.error(`wrote ${path.relative(root, out)} (${name})`);
