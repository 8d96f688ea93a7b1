// Lints the Dockerfile offline (dockerfile-utils: the rules of the Docker language server) and checks what the
// image promises: pinned base images without a registry host, a multi-stage build of engine-server only with
// tests skipped, a non-root user, /data as a volume, ports 8080 and 7000, a HEALTHCHECK on /health/live, and
// container-aware JVM flags.
//
// Usage: node validate-dockerfile.mjs Dockerfile
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { DockerfileParser } = require('dockerfile-ast');
const { validate, ValidationSeverity } = require('dockerfile-utils');

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate-dockerfile.mjs Dockerfile');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
const errors = [];
const problem = (message) => errors.push(message);

for (const d of validate(text, {})) {
  const level = d.severity === ValidationSeverity.ERROR ? 'error' : 'warning';
  problem(`line ${d.range.start.line + 1}: ${level}: ${d.message}`);
}

const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();

// ARG defaults declared before the first FROM are what FROM lines may name.
const globalArgs = new Map();
for (const i of instructions) {
  if (i.getKeyword() === 'FROM') break;
  if (i.getKeyword() === 'ARG') {
    const [name, ...value] = i.getArgumentsContent().split('=');
    globalArgs.set(name.trim(), value.join('=').trim());
  }
}
const resolve = (s) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name) => globalArgs.get(name) ?? m);

// Stages: the instructions from one FROM to the next.
const stages = [];
for (const i of instructions) {
  if (i.getKeyword() === 'FROM') stages.push({ from: i, body: [] });
  else if (stages.length) stages[stages.length - 1].body.push(i);
}
if (stages.length < 2) problem(`expected a multi-stage build, found ${stages.length} stage(s)`);

const stageNames = new Set();
for (const { from } of stages) {
  const [imageRef, as, name] = from.getArgumentsContent().split(/\s+/);
  const image = resolve(imageRef);
  if (!stageNames.has(image)) {
    const first = image.split('/')[0];
    if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
      problem(`FROM ${image}: names a registry host`);
    }
    const tag = image.includes('@') ? 'digest' : image.split('/').pop().split(':')[1];
    if (!tag || tag === 'latest') problem(`FROM ${image}: not pinned to a version`);
    if (tag && tag !== 'digest' && !/\d+\.\d+/.test(tag)) problem(`FROM ${image}: tag "${tag}" floats (pin a x.y[.z] version)`);
  }
  if (as && as.toUpperCase() === 'AS' && name) stageNames.add(name);
}

if (stages.length >= 2) {
  const build = stages[0].body.map((i) => `${i.getKeyword()} ${i.getArgumentsContent() ?? ''}`).join('\n');
  if (!/mvn\b[^\n]*-pl engine-server -am package/.test(build)) problem('the build stage does not build engine-server with -pl engine-server -am');
  if (!/-Dmaven\.test\.skip=true|-DskipTests/.test(build)) problem('the build stage does not skip the tests');

  const runtime = stages[stages.length - 1].body;
  const all = (keyword) => runtime.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');
  const user = all('USER').pop();
  if (!user) problem('the runtime stage sets no USER: it would run as root');
  else if (/^(0|root)(:|$)/.test(user.trim())) problem(`USER ${user} is root`);
  const exposed = all('EXPOSE').join(' ').split(/\s+/).map((p) => p.split('/')[0]);
  for (const port of ['8080', '7000']) if (!exposed.includes(port)) problem(`port ${port} is not exposed`);
  if (!all('VOLUME').some((v) => /(^|["\s\[])\/data(["\s\]]|$)/.test(v))) problem('/data is not a VOLUME');
  const health = all('HEALTHCHECK').pop();
  if (!health) problem('no HEALTHCHECK');
  else if (!health.includes('/health/live')) problem('the HEALTHCHECK does not call /health/live');
  const env = all('ENV').join('\n');
  if (!/-XX:MaxRAMPercentage=\d+/.test(env)) problem('no -XX:MaxRAMPercentage in the JVM options');
  const entrypoint = all('ENTRYPOINT').pop() || '';
  if (!entrypoint.startsWith('[')) problem('ENTRYPOINT is not in exec form: java would not receive SIGTERM');
}

if (errors.length) {
  for (const e of errors) console.error(`  ${e}`);
  process.exit(1);
}
console.log(`${stages.length} stages, ${instructions.length} instructions: lint clean, image policy met`);
