// Validates Kubernetes manifests rendered by `helm template`, offline:
//  - YAML: every document parses, no key appears twice in a mapping;
//  - types: each object against its kind's schema (kubernetes-models), as the API server would check them;
//  - no unknown field anywhere (the field lists of @kubernetes/client-node's models), which the API server would
//    drop with a mere warning — a misspelt probe or securityContext field would otherwise pass unnoticed;
//  - what this chart promises: non-root, read-only root filesystem, no privilege escalation, probes on
//    /health/live and /health/ready, a memory limit, images without a registry host or `latest`, no Secret created;
//  - the expectations given on the command line for this rendering.
//
// Usage: node validate-manifests.mjs [--workload Kind] [--replicas N] [--[no-]pvc] [--env NAME]... [--no-env NAME]...
//                                    [--[no-]init-container] [--[no-]bridge] [--write-config FILE] rendered.yaml
// --write-config saves the ConfigMap's engram.yaml (for a start of the real server against it).
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseAllDocuments, parseDocument } from 'yaml';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const expect = { env: [], noEnv: [] };
let file;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--workload') expect.workload = args[++i];
  else if (a === '--replicas') expect.replicas = Number(args[++i]);
  else if (a === '--pvc') expect.pvc = true;
  else if (a === '--no-pvc') expect.pvc = false;
  else if (a === '--env') expect.env.push(args[++i]);
  else if (a === '--no-env') expect.noEnv.push(args[++i]);
  else if (a === '--init-container') expect.initContainer = true;
  else if (a === '--no-init-container') expect.initContainer = false;
  else if (a === '--bridge') expect.bridge = true;
  else if (a === '--no-bridge') expect.bridge = false;
  else if (a === '--write-config') expect.writeConfig = args[++i];
  else if (a.startsWith('--')) fail(`unknown option ${a}`);
  else file = a;
}
if (!file) fail('no manifest file given');

const errors = [];
const problem = (where, message) => errors.push(`${where}: ${message}`);

const docs = parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true });
const objects = [];
docs.forEach((doc, i) => {
  for (const e of doc.errors) problem(`document ${i + 1}`, e.message);
  const value = doc.toJS();
  if (value !== null && value !== undefined) objects.push(value);
});

// ---- schema and unknown fields -------------------------------------------------------------------------------

const modelsDir = require.resolve('@kubernetes/client-node/package.json').replace(/package\.json$/, 'dist/gen/models/');

async function kindClass(apiVersion, kind) {
  const mod = await import(`kubernetes-models/${apiVersion}`).catch(() => null);
  return mod && mod[kind];
}

async function modelFor(typeName) {
  const path = `${modelsDir}${typeName}.js`;
  if (!existsSync(path)) return null;
  const mod = await import(path);
  return mod[typeName];
}

async function unknownFields(value, type, path) {
  if (value === null || value === undefined) return;
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) await unknownFields(value[i], m[1], `${path}[${i}]`);
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) await unknownFields(v, m[1], `${path}.${k}`);
    return;
  }
  if (!/^V\d/.test(type) || typeof value !== 'object' || Array.isArray(value)) return;
  const model = await modelFor(type);
  if (!model) return;
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) problem(path, `unknown field "${k}" (${type} has: ${[...fields.keys()].join(', ')})`);
    else await unknownFields(v, fields.get(k), `${path}.${k}`);
  }
}

for (const o of objects) {
  const where = `${o.kind}/${o.metadata?.name}`;
  const Kind = await kindClass(o.apiVersion, o.kind);
  if (!Kind) { problem(where, `no schema for ${o.apiVersion} ${o.kind}`); continue; }
  try {
    new Kind(o).validate();
  } catch (e) {
    problem(where, e.message);
  }
  const version = o.apiVersion.split('/').pop();
  await unknownFields(o, `${version[0].toUpperCase()}${version.slice(1)}${o.kind}`, where);
}

// ---- the chart's promises --------------------------------------------------------------------------------------

const byKind = (kind) => objects.filter((o) => o.kind === kind);
const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
const pods = [
  ...workloads.map((w) => ({ where: `${w.kind}/${w.metadata.name}`, spec: w.spec.template.spec, server: true })),
  ...byKind('Pod').map((p) => ({ where: `Pod/${p.metadata.name}`, spec: p.spec, server: false })),
];

if (byKind('Secret').length) problem('chart', 'renders a Secret: secrets must come from existingSecret');
if (workloads.length !== 1) problem('chart', `expected one workload, got ${workloads.map((w) => w.kind).join(', ') || 'none'}`);

function checkImage(where, image) {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    problem(where, `image "${image}" names a registry host`);
  }
  const tag = image.split('/').pop().split(':')[1];
  if (!tag || tag === 'latest') problem(where, `image "${image}" is not pinned to a version`);
}

for (const { where, spec, server } of pods) {
  const psc = spec.securityContext || {};
  if (psc.runAsNonRoot !== true) problem(where, 'pod securityContext.runAsNonRoot is not true');
  if (!(psc.runAsUser > 0)) problem(where, 'pod securityContext.runAsUser is not a non-root uid');
  for (const c of [...(spec.initContainers || []), ...spec.containers]) {
    const cw = `${where} container ${c.name}`;
    const sc = c.securityContext || {};
    if (sc.readOnlyRootFilesystem !== true) problem(cw, 'readOnlyRootFilesystem is not true');
    if (sc.allowPrivilegeEscalation !== false) problem(cw, 'allowPrivilegeEscalation is not false');
    if (!sc.capabilities?.drop?.includes('ALL')) problem(cw, 'capabilities are not all dropped');
    if (!c.resources?.limits?.memory) problem(cw, 'no memory limit');
    checkImage(cw, c.image);
  }
  if (!server) continue;
  const c = spec.containers.find((x) => x.name === 'engram');
  if (!c) { problem(where, 'no container named engram'); continue; }
  const probePath = (p) => p?.httpGet?.path;
  if (probePath(c.livenessProbe) !== '/health/live') problem(where, 'liveness probe is not GET /health/live');
  if (probePath(c.readinessProbe) !== '/health/ready') problem(where, 'readiness probe is not GET /health/ready');
  if (probePath(c.startupProbe) !== '/health/live') problem(where, 'startup probe is not GET /health/live');
  const mounts = new Map((c.volumeMounts || []).map((v) => [v.mountPath, v.name]));
  if (!mounts.has('/tmp')) problem(where, 'no writable /tmp with a read-only root filesystem');
  const volumes = new Set((spec.volumes || []).map((v) => v.name));
  const claims = new Set((workloads[0]?.spec.volumeClaimTemplates || []).map((v) => v.metadata.name));
  for (const [path, name] of mounts) {
    if (!volumes.has(name) && !claims.has(name)) problem(where, `volume "${name}" mounted at ${path} is not defined`);
  }
  for (const e of c.env || []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && (!ref.name || !ref.key)) problem(where, `env ${e.name} refers to a Secret without a name or key`);
  }
  const configPath = (c.env || []).find((e) => e.name === 'ENGRAM_CONFIG')?.value;
  if (!configPath || ![...mounts.keys()].some((m) => configPath.startsWith(`${m}/`))) {
    problem(where, `ENGRAM_CONFIG (${configPath}) is not inside a mounted volume`);
  }
}

// ---- this rendering's expectations -----------------------------------------------------------------------------

const w = workloads[0];
if (w) {
  const spec = w.spec.template.spec;
  const c = spec.containers.find((x) => x.name === 'engram') || spec.containers[0];
  const env = new Set((c.env || []).map((e) => e.name));
  if (expect.workload && w.kind !== expect.workload) problem('expectation', `workload is ${w.kind}, expected ${expect.workload}`);
  if (expect.replicas !== undefined && w.spec.replicas !== expect.replicas) {
    problem('expectation', `replicas is ${w.spec.replicas}, expected ${expect.replicas}`);
  }
  const hasPvc = (w.spec.volumeClaimTemplates || []).some((v) => v.metadata.name === 'data');
  if (expect.pvc !== undefined && hasPvc !== expect.pvc) problem('expectation', `volume claim template: ${hasPvc}, expected ${expect.pvc}`);
  for (const n of expect.env) if (!env.has(n)) problem('expectation', `no env ${n}`);
  for (const n of expect.noEnv) if (env.has(n)) problem('expectation', `env ${n} should not be set`);
  const init = (spec.initContainers || []).length > 0;
  if (expect.initContainer !== undefined && init !== expect.initContainer) {
    problem('expectation', `init container: ${init}, expected ${expect.initContainer}`);
  }
  const service = byKind('Service').find((s) => s.spec.clusterIP !== 'None');
  const bridge = (service?.spec.ports || []).some((p) => p.name === 'bridge');
  if (expect.bridge !== undefined && bridge !== expect.bridge) problem('expectation', `service bridge port: ${bridge}, expected ${expect.bridge}`);
  const config = byKind('ConfigMap')[0]?.data?.['engram.yaml'];
  if (!config) problem('expectation', 'no ConfigMap with engram.yaml');
  else checkConfig(config, init);
}

function checkConfig(text, init) {
  const doc = parseDocument(text, { uniqueKeys: true });
  for (const e of doc.errors) problem('engram.yaml', e.message);
  const root = doc.toJS() || {};
  const known = ['provider', 'strict', 'providers', 'limits', 'checkpoints', 'watch', 'threads', 'cache', 'memory', 'server'];
  for (const k of Object.keys(root)) if (!known.includes(k)) problem('engram.yaml', `unknown top-level key ${k}`);
  if (!root.providers?.[root.provider]) problem('engram.yaml', `no providers.${root.provider} section`);
  // the init container appends the API keys after the file's last line, which must open server.auth.apiKeys
  if (init && !/\n  auth:\n(.*\n)*    apiKeys:\n$/.test(text)) {
    problem('engram.yaml', 'does not end with server.auth.apiKeys, where the API keys are appended');
  }
  if (expect.writeConfig) writeFileSync(expect.writeConfig, text);
}

if (errors.length) {
  for (const e of errors) console.error(`  ${e}`);
  process.exit(1);
}
console.log(`${objects.length} objects valid (${objects.map((o) => o.kind).join(', ')})`);

function fail(message) {
  console.error(message);
  process.exit(2);
}
