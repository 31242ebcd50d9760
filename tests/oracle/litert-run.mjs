#!/usr/bin/env node
// ModelBuildTasks oracle: executes a .tflite file with the official LiteRT.js
// runtime (@litertjs/core, WASM CPU / XNNPACK) under Node.js 20.
//
//   node litert-run.mjs info  MODEL
//   node litert-run.mjs run   MODEL (--inputs in0.bin[,in1.bin...] | --seed N [--range LO,HI]) --out DIR
//   node litert-run.mjs bench MODEL [--runs 30] [--warmup 5] [--warmup-ms 1000] [--seed 0]
//   options: --wasm compat|relaxed (default compat, single thread)   --verbose (echo runtime log)
//            --signature KEY (run that signature; default: the first)
//
// Tensor files are raw little-endian bytes in the model's own dtype.
// Tensor I/O goes through LiteRT.js's low-level tensor-buffer bindings, so
// every dtype works, not only the float32/int32/uint8 of its Tensor class.
//
// LiteRT.js logs unsupported / unresolved ops instead of throwing, and then
// hands back uninitialised outputs. We therefore record the runtime log and
// treat any ERROR/FATAL line as failure.
//
// Exit codes: 0 ok; 1 usage or input error; 2 load failure (including any
// ERROR logged while loading or during the first inference); 3 inference failure.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import v8 from 'node:v8';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const WASM_DIR = path.join(path.dirname(require.resolve('@litertjs/core')), '..', 'wasm') + path.sep;
const WASM_BUILDS = {compat: 'litert_wasm_compat_internal', relaxed: 'litert_wasm_internal'};
// Numbering of litert::ElementType.
const DTYPES = ['none', 'float32', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64',
  'int8', 'float16', 'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4', 'bfloat16'];

class Fail extends Error {
  constructor(code, message, showUsage = false) { super(message); this.code = code; this.showUsage = showUsage; }
}
const usage = (msg) => new Fail(1, msg, true);   // bad command line
const badInput = (msg) => new Fail(1, msg);      // unreadable / mismatched files

// ------------------------------------------------------------- command line
function parse(argv) {
  const [cmd, model, ...rest] = argv;
  const o = {cmd, model, wasm: 'compat', runs: 30, warmup: 5, warmupMs: 1000, range: [0, 1]};
  const intArg = (flag, s) => {
    if (!/^-?\d+$/.test(s ?? '')) throw usage(`${flag} needs an integer`);
    return Number(s);
  };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const next = () => { if (i + 1 >= rest.length) throw usage(`${flag} needs a value`); return rest[++i]; };
    if (flag === '--inputs') o.inputs = next().split(',').filter((s) => s.length > 0);
    else if (flag === '--out') o.out = next();
    else if (flag === '--seed') o.seed = intArg(flag, next());
    else if (flag === '--runs') o.runs = intArg(flag, next());
    else if (flag === '--warmup') o.warmup = intArg(flag, next());
    else if (flag === '--warmup-ms') o.warmupMs = intArg(flag, next());
    else if (flag === '--wasm') o.wasm = next();
    else if (flag === '--signature') o.signature = next();
    else if (flag === '--range') {
      o.range = next().split(',').map(Number);
      if (o.range.length !== 2 || o.range.some(Number.isNaN)) throw usage('--range needs LO,HI');
    } else if (flag === '--verbose') o.verbose = true;
    else throw usage(`unknown option ${flag}`);
  }
  if (!['info', 'run', 'bench'].includes(cmd)) throw usage(`unknown command '${cmd ?? ''}'`);
  if (!model) throw usage('missing MODEL');
  if (!(o.wasm in WASM_BUILDS)) throw usage(`--wasm must be one of ${Object.keys(WASM_BUILDS).join('|')}`);
  if (cmd === 'run') {
    if (!o.out) throw usage('run needs --out DIR');
    if ((o.inputs === undefined) === (o.seed === undefined)) throw usage('run needs exactly one of --inputs, --seed');
  }
  if (o.runs < 1) throw usage('--runs must be at least 1');
  return o;
}

// ------------------------------------------------------------ seeded inputs
// mulberry32, one stream for all inputs in order (same as SeededInputs.cs).
function mulberry32(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6D2B79F5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function seeded(desc, next, [lo, hi]) {
  const n = desc.count;
  const fill = (Arr, fn) => { const a = new Arr(n); for (let i = 0; i < n; i++) a[i] = fn(next()); return a; };
  const real = (u) => lo + (hi - lo) * ((u >>> 8) / 16777216);
  const makers = {
    float32: () => fill(Float32Array, real),
    float64: () => fill(Float64Array, real),
    uint8: () => fill(Uint8Array, (u) => u >>> 24),
    bool: () => fill(Uint8Array, (u) => u >>> 31),
    int8: () => fill(Int8Array, (u) => (u >>> 24) - 128),
    int16: () => fill(Int16Array, (u) => (u >>> 16) - 32768),
    int32: () => fill(Int32Array, (u) => u >>> 24),
    int64: () => fill(BigInt64Array, (u) => BigInt(u >>> 24)),
  };
  if (!makers[desc.dtype]) throw badInput(`--seed cannot make ${desc.dtype} input '${desc.name}'`);
  const a = makers[desc.dtype]();
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

// ------------------------------------------------------------------ runtime
const log = [];
const errorSince = (mark) => log.slice(mark).some((l) => /^\s*(ERROR|FATAL)\b/.test(l));
const logText = (mark) => {
  const lines = log.slice(mark).filter((l) => !/^\s*INFO\b|npu_registry/.test(l));
  return lines.length ? '\nruntime log:\n  ' + lines.slice(-25).join('\n  ') : '';
};
const describeError = (e) => (e instanceof Error ? e.message : typeof e === 'number' ? `wasm exception @${e}` : String(e));

async function startRuntime(o) {
  if (o.wasm === 'relaxed') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  // LiteRT.js expects a browser/worker: it pulls its emscripten glue in with
  // importScripts(); the glue, once it detects Node, wants require/__dirname.
  const glue = WASM_DIR + WASM_BUILDS[o.wasm] + '.js';
  Object.assign(globalThis, {
    self: globalThis, require, __dirname: WASM_DIR, __filename: glue,
    importScripts: (url) => {
      const file = String(url).startsWith('file:') ? new URL(url).pathname : String(url);
      vm.runInThisContext(fs.readFileSync(file, 'utf8'), {filename: file});
    },
  });
  const record = (line) => { log.push(String(line)); if (o.verbose) process.stderr.write(line + '\n'); };
  globalThis.Module = {print: record, printErr: record};
  const core = await import('@litertjs/core');
  const warn = console.warn;  // no WebGPU under Node: drop only that warning
  console.warn = (...a) => { if (!/WebGPU/.test(String(a[0]))) warn(...a); };
  try { await core.loadLiteRt(glue); } finally { console.warn = warn; }
  const lrt = core.getGlobalLiteRt();
  return {w: lrt.liteRtWasm, env: lrt.getDefaultEnvironment()};
}

function vector(v) {
  const a = [];
  for (let i = 0; i < v.size(); i++) a.push(v.get(i));
  v.delete();
  return a;
}

function tensorInfo(type, name, index) {
  const layout = type.layout();
  const code = type.elementType().value;
  const d = {index, name, dtype: DTYPES[code] ?? `type${code}`, shape: vector(layout.dimensions()),
    bytes: type.bytes(), count: layout.numElements()};
  layout.delete();
  type.delete();
  return d;
}
const pub = ({count, ...d}) => d;

async function openModel(rt, file, o) {
  let bytes;
  try { bytes = fs.readFileSync(file); } catch (e) { throw badInput(`cannot read ${file}: ${e.message}`); }
  const {w, env} = rt;
  const mark = log.length;
  const t0 = performance.now();
  // The model buffer must outlive the model, so it is never freed.
  const ptr = w._malloc(bytes.byteLength);
  if (!ptr) throw new Fail(2, `no wasm memory for ${bytes.byteLength} model bytes`);
  w.HEAPU8.set(bytes, ptr);
  let model, compiled;
  try {
    model = w.loadModel(env.liteRtEnvironment, ptr, bytes.byteLength);
    compiled = await w.compileModel(env.liteRtEnvironment, model, {
      environment: env, accelerator: 'wasm', cpuOptions: {numThreads: 1}, gpuOptions: {}, webNNOptions: {},
    });
  } catch (e) {
    throw new Fail(2, `cannot load ${file}: ${describeError(e)}${logText(mark)}`);
  }
  if (errorSince(mark)) throw new Fail(2, `runtime reported errors loading ${file}${logText(mark)}`);
  let s = 0;
  if (o.signature !== undefined) {
    const keys = [];
    for (let k = 0; k < model.getNumSignatures(); k++) { const g = model.getSignature(k); keys.push(g.key()); g.delete(); }
    s = keys.indexOf(o.signature);
    if (s < 0) throw badInput(`no signature '${o.signature}' in ${file}; signatures: ${keys.join(', ')}`);
  }
  const sig = model.getSignature(s);
  const inNames = vector(sig.inputNames());
  const outNames = vector(sig.outputNames());
  sig.delete();
  const inputs = inNames.map((n, i) => tensorInfo(model.getInputTensorType(s, i), n, i));
  const outputs = outNames.map((n, i) => tensorInfo(model.getOutputTensorType(s, i), n, i));
  const bad = inputs.find((d) => d.shape.some((x) => x < 0));
  if (bad) throw new Fail(2, `input '${bad.name}' has dynamic shape ${JSON.stringify(bad.shape)}`);
  return {file, model, compiled, sig: s, inputs, outputs, loadMs: performance.now() - t0, warm: false};
}

function inputBuffer(rt, m, d, data) {
  const {w, env} = rt;
  if (data.byteLength !== d.bytes) {
    throw badInput(`input ${d.index} '${d.name}' (${d.dtype}${JSON.stringify(d.shape)}) takes ${d.bytes} bytes, got ${data.byteLength}`);
  }
  const type = m.model.getInputTensorType(m.sig, d.index);
  const buf = w.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, w.LiteRtTensorBufferType.HOST_MEMORY, type, d.bytes);
  const req = m.compiled.getInputBufferRequirements(m.sig, d.index);
  try { w.checkTensorBufferCompatible(buf, type, req); } finally { req.delete(); type.delete(); }
  const p = buf.lock(w.LiteRtTensorBufferLockMode.WRITE);
  try { w.HEAPU8.set(data, p); } finally { buf.unlock(); }
  return buf;
}

function outputBytes(rt, buf) {
  const {w} = rt;
  if (buf.bufferType().value !== w.LiteRtTensorBufferType.HOST_MEMORY.value) throw new Fail(3, 'output is not in host memory');
  if (buf.offset() !== 0 || buf.size() !== buf.packedSize()) throw new Fail(3, 'padded/strided output is not supported');
  const n = buf.packedSize();
  const p = buf.lock(w.LiteRtTensorBufferLockMode.READ);
  try { return w.HEAPU8.slice(p, p + n); } finally { buf.unlock(); }
}

async function infer(m, inBufs) {
  const mark = log.length;
  let outs;
  try { outs = await m.compiled.run(m.sig, inBufs); } catch (e) {
    throw new Fail(3, `inference failed: ${describeError(e)}${logText(mark)}`);
  }
  if (errorSince(mark)) {
    outs.forEach((b) => b.delete());
    // The interpreter is prepared lazily: unsupported ops only show up here.
    throw m.warm ? new Fail(3, `runtime reported errors during inference${logText(mark)}`)
      : new Fail(2, `model failed to prepare on first inference (unsupported or unresolved op?)${logText(mark)}`);
  }
  m.warm = true;
  return outs;
}

// ----------------------------------------------------------------- commands
function readInputs(m, o) {
  if (o.seed !== undefined) {
    const next = mulberry32(o.seed);
    return m.inputs.map((d) => seeded(d, next, o.range));
  }
  if (o.inputs.length !== m.inputs.length) throw badInput(`model takes ${m.inputs.length} input(s), got ${o.inputs.length}`);
  return o.inputs.map((f) => { try { return fs.readFileSync(f); } catch (e) { throw badInput(`cannot read ${f}: ${e.message}`); } });
}

async function cmdRun(rt, m, o) {
  const datas = readInputs(m, o);
  fs.mkdirSync(o.out, {recursive: true});
  if (o.seed !== undefined) datas.forEach((b, k) => fs.writeFileSync(path.join(o.out, `input_${k}.bin`), b));
  const inBufs = m.inputs.map((d, k) => inputBuffer(rt, m, d, datas[k]));
  const t0 = performance.now();
  const outBufs = await infer(m, inBufs);
  const runMs = performance.now() - t0;
  const outputs = outBufs.map((b, k) => {
    const file = `output_${k}.bin`;
    fs.writeFileSync(path.join(o.out, file), outputBytes(rt, b));
    b.delete();
    return {...pub(m.outputs[k]), file};
  });
  inBufs.forEach((b) => b.delete());
  const meta = {model: path.resolve(m.file), wasm: o.wasm, seed: o.seed ?? null,
    inputs: m.inputs.map(pub), outputs, load_ms: ms(m.loadMs), run_ms: ms(runMs)};
  fs.writeFileSync(path.join(o.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  console.log(JSON.stringify({out: path.resolve(o.out), outputs: outputs.length}));
}

async function cmdBench(rt, m, o) {
  const next = mulberry32(o.seed ?? 0);
  const inBufs = m.inputs.map((d) => inputBuffer(rt, m, d, seeded(d, next, o.range)));
  const once = async () => {
    const t0 = performance.now();
    (await infer(m, inBufs)).forEach((b) => b.delete());
    return performance.now() - t0;
  };
  // Warm up until both the run count and the time budget are met, so V8 has
  // moved the hot wasm code from its baseline to its optimising compiler.
  const w0 = performance.now();
  const first = await once();
  let warm = 1;
  while (warm < o.warmup || performance.now() - w0 < o.warmupMs) { await once(); warm++; }
  const t = [];
  for (let i = 0; i < o.runs; i++) t.push(await once());
  t.sort((a, b) => a - b);
  const mid = t.length >> 1;
  const median = t.length % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2;
  console.log(JSON.stringify({model: path.basename(m.file), wasm: o.wasm, threads: 1, runs: t.length,
    warmup_runs: warm, load_ms: ms(m.loadMs), first_run_ms: ms(first), median_ms: ms(median), min_ms: ms(t[0]),
    p90_ms: ms(t[Math.ceil(0.9 * t.length) - 1]), mean_ms: ms(t.reduce((a, b) => a + b, 0) / t.length)}));
}

async function cmdInfo(rt, m) {
  // Run once on zero inputs: unsupported ops are only reported on first use.
  const inBufs = m.inputs.map((d) => inputBuffer(rt, m, d, new Uint8Array(d.bytes)));
  (await infer(m, inBufs)).forEach((b) => b.delete());
  inBufs.forEach((b) => b.delete());
  console.log(JSON.stringify({model: path.resolve(m.file), inputs: m.inputs.map(pub), outputs: m.outputs.map(pub)}, null, 2));
}

const ms = (x) => Math.round(x * 1000) / 1000;

async function main() {
  const o = parse(process.argv.slice(2));
  if (!fs.existsSync(o.model)) throw badInput(`model not found: ${o.model}`);
  const rt = await startRuntime(o);
  const m = await openModel(rt, o.model, o);
  if (o.cmd === 'info') await cmdInfo(rt, m);
  else if (o.cmd === 'run') await cmdRun(rt, m, o);
  else await cmdBench(rt, m, o);
}

main().then(() => process.exit(0), (e) => {
  if (e instanceof Fail) {
    process.stderr.write(`litert-run: ${e.message}\n`);
    if (e.showUsage) process.stderr.write('usage: node litert-run.mjs info|run|bench MODEL [options] (see header of litert-run.mjs)\n');
    process.exit(e.code);
  }
  process.stderr.write(`litert-run: ${describeError(e)}${logText(0)}\n`);
  process.exit(3);
});
