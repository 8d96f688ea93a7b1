#!/usr/bin/env bash
# Starts the real server jar the way the image and the chart start it — the image's JVM flags, ENGRAM_DATA_DIR,
# the engram.yaml each chart rendering puts in its ConfigMap (with the API keys appended by the init container's
# own script), the environment each compose service sets — and checks that it accepts that configuration and
# serves: health, readiness against the real Redis and PostgreSQL on 127.0.0.1 when they answer, authentication.
# Everything binds 127.0.0.1 on free ports; every server started here is stopped here.
#
# Usage: deploy/tools/server-smoke.sh JAR RENDERED_DIR   (RENDERED_DIR: check.sh's helm template outputs)
set -euo pipefail

jar=$1
rendered=$2
deploy=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
schema="deploy_check_$$"
failures=0

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    psql -h 127.0.0.1 -U postgres -d test -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '  %s\n' "$*"; }
failed() { say "FAIL: $*"; failures=$((failures + 1)); }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The JVM flags the image sets; the chart's default must be the same.
jvm_options=$(sed -n 's/^ENV JDK_JAVA_OPTIONS="\(.*\)"$/\1/p' "$deploy/Dockerfile")
chart_options=$(sed -n 's/^jvmOptions: "\(.*\)"$/\1/p' "$deploy/helm/engram/values.yaml")
[[ -n $jvm_options ]] || { failed "no JDK_JAVA_OPTIONS in the Dockerfile"; exit 1; }
[[ $jvm_options == "$chart_options" ]] || failed "chart jvmOptions ($chart_options) differ from the image's ($jvm_options)"

redis_up=false; redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && redis_up=true
postgres_up=false; pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && postgres_up=true
closed_port=$(free_port)   # nothing listens there: a store that cannot be reached

# start NAME [VAR=value...]: starts the jar with exactly these variables; sets $port, $pid, $log.
start() {
  local name=$1; shift
  port=$(free_port)
  log="$work/$name.log"
  mkdir -p "$work/$name-data"
  env -i PATH="$PATH" HOME="$work" JDK_JAVA_OPTIONS="$jvm_options" ENGRAM_DATA_DIR="$work/$name-data" "$@" \
    nice -n 10 java -jar "$jar" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  failed "$name: did not start; its log ends with:"
  tail -n 20 "$log" | sed 's/^/      /'
  return 1
}

# stop: SIGTERM, as the orchestrator sends it; the process must be gone within the grace period.
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  failed "did not stop within 30 s of SIGTERM"
  kill -KILL "$pid" 2>/dev/null || true
}

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

expect_status() { # description expected curl-args...
  local what=$1 want=$2; shift 2
  local got
  got=$(status "$@")
  if [[ $got == "$want" ]]; then say "ok: $what ($got)"; else failed "$what: expected $want, got $got"; fi
}

# A rendered ConfigMap's engram.yaml, with the TCP bridge (if on) moved to a free loopback port.
chart_config() {
  local name=$1
  node "$deploy/.tools/validate-manifests.mjs" --write-config "$work/$name.yaml" "$rendered/$name.yaml" >/dev/null
  sed -i "s/^  tcpBridgePort: [0-9][0-9]*$/  tcpBridgePort: $(free_port)/" "$work/$name.yaml"
  echo "$work/$name.yaml"
}

compose_env() { node "$deploy/.tools/validate-compose.mjs" "$deploy/docker-compose.yaml" --print-env "$1"; }

echo "chart, local provider (StatefulSet's engram.yaml, image's JVM flags)"
config=$(chart_config local)
if start chart-local ENGRAM_CONFIG="$config"; then
  expect_status "ready" 200 "http://127.0.0.1:$port/health/ready"
  expect_status "append a turn" 200 -X POST "http://127.0.0.1:$port/v1/threads/chat-1/events" \
    -d '{"events": [{"type": "message", "message": {"role": "user", "content": "hello"}}]}'
  version=$(curl -s "http://127.0.0.1:$port/v1/threads/chat-1/state" | sed -n 's/.*"version":\([0-9]*\).*/\1/p')
  if [[ $version == 1 ]]; then say "ok: state read back at version 1"; else failed "state version: expected 1, got '$version'"; fi
  expect_status "metrics" 200 "http://127.0.0.1:$port/metrics"
  stop
  if [[ -n $(ls -A "$work/chart-local-data") ]]; then say "ok: data written under ENGRAM_DATA_DIR"
  else failed "nothing written under ENGRAM_DATA_DIR"; fi
fi

echo "compose, service engram (local, environment only)"
mapfile -t env_vars < <(compose_env engram)
if start compose-engram "${env_vars[@]}"; then
  expect_status "ready" 200 "http://127.0.0.1:$port/health/ready"
  stop
fi

if $redis_up; then
  echo "chart, redis provider (JWT HS256 from the Secret's variable)"
  config=$(chart_config redis)
  if start chart-redis ENGRAM_CONFIG="$config" ENGRAM_PROVIDERS_REDIS_URL=redis://127.0.0.1:6379/0 \
      ENGRAM_JWT_SECRET=deploy-check-secret-of-at-least-32-characters; then
    expect_status "ready against Redis" 200 "http://127.0.0.1:$port/health/ready"
    expect_status "no token refused" 401 "http://127.0.0.1:$port/v1/threads/chat-1/state"
    stop
  fi
  echo "compose, service engram-redis (environment only)"
  mapfile -t env_vars < <(compose_env engram-redis | grep -v '^ENGRAM_PROVIDERS_REDIS_PASSWORD=' \
    | sed 's#^ENGRAM_PROVIDERS_REDIS_URL=.*#ENGRAM_PROVIDERS_REDIS_URL=redis://127.0.0.1:6379/0#')
  if start compose-redis "${env_vars[@]}"; then
    expect_status "ready against Redis" 200 "http://127.0.0.1:$port/health/ready"
    stop
  fi
else
  echo "redis cases skipped: no Redis on 127.0.0.1:6379"
fi

if $postgres_up; then
  echo "chart, postgres provider (JWT RS256 public key from the Secret's variable)"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
  openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub" 2>/dev/null
  config=$(chart_config postgres)
  if start chart-postgres ENGRAM_CONFIG="$config" \
      ENGRAM_PROVIDERS_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \
      ENGRAM_PROVIDERS_POSTGRES_PASSWORD=unused-with-trust ENGRAM_PROVIDERS_POSTGRES_SCHEMA="$schema" \
      ENGRAM_JWT_PUBLIC_KEY="$(cat "$work/jwt.pub")"; then
    expect_status "ready against PostgreSQL" 200 "http://127.0.0.1:$port/health/ready"
    expect_status "no token refused" 401 "http://127.0.0.1:$port/v1/threads/chat-1/state"
    stop
  fi
  echo "compose, service engram-postgres (environment only)"
  mapfile -t env_vars < <(compose_env engram-postgres \
    | sed -e 's#^ENGRAM_PROVIDERS_POSTGRES_URL=.*#ENGRAM_PROVIDERS_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test#' \
          -e "s#^ENGRAM_PROVIDERS_POSTGRES_SCHEMA=.*#ENGRAM_PROVIDERS_POSTGRES_SCHEMA=$schema#")
  if start compose-postgres "${env_vars[@]}"; then
    expect_status "ready against PostgreSQL" 200 "http://127.0.0.1:$port/health/ready"
    stop
  fi
else
  echo "postgres cases skipped: no PostgreSQL on 127.0.0.1:5432"
fi

echo "chart, mongodb provider (API keys appended by the init container's script; no MongoDB here)"
config=$(chart_config mongodb)
script="$work/init.sh"
node -e '
  const { parseAllDocuments } = require(process.argv[1]);
  const docs = parseAllDocuments(require("fs").readFileSync(process.argv[2], "utf8")).map((d) => d.toJS());
  const deployment = docs.find((d) => d && d.kind === "Deployment");
  process.stdout.write(deployment.spec.template.spec.initContainers[0].command[2]);
' "$deploy/.tools/node_modules/yaml" "$rendered/mongodb.yaml" >"$script"
mkdir -p "$work/etc-engram" "$work/etc-engram-auth" "$work/run-engram"
cp "$config" "$work/etc-engram/engram.yaml"
sed -i -e "s#/etc/engram-auth/#$work/etc-engram-auth/#g" -e "s#/etc/engram/#$work/etc-engram/#g" \
  -e "s#/run/engram/#$work/run-engram/#g" "$script"
printf '# tenant keys\n' >"$work/etc-engram-auth/api-keys"
if sh -e "$script" 2>/dev/null; then failed "init script accepted a key file without keys"; else say "ok: init script refuses a key file without keys"; fi
printf '"deploy-check-key-acme-0001": acme\n"deploy-check-key-beta-0002": beta' >"$work/etc-engram-auth/api-keys"
if sh -e "$script"; then
  if start chart-mongodb ENGRAM_CONFIG="$work/run-engram/engram.yaml" \
      ENGRAM_PROVIDERS_MONGODB_URL="mongodb://127.0.0.1:$closed_port/?serverSelectionTimeoutMS=500"; then
    expect_status "live without a store" 200 "http://127.0.0.1:$port/health/live"
    expect_status "not ready without a store" 503 "http://127.0.0.1:$port/health/ready"
    expect_status "no key refused" 401 "http://127.0.0.1:$port/v1/threads/chat-1/state"
    expect_status "wrong key refused" 401 -H 'Authorization: Bearer deploy-check-key-none-0000' \
      "http://127.0.0.1:$port/v1/threads/chat-1/state"
    got=$(status -H 'Authorization: Bearer deploy-check-key-beta-0002' "http://127.0.0.1:$port/v1/threads/chat-1/state")
    if [[ $got != 401 ]]; then say "ok: appended key accepted ($got: the store is absent)"; else failed "appended key refused"; fi
    stop
  fi
else
  failed "init script failed on a valid key file"
fi

echo "compose, service engram-mongodb (environment only; no MongoDB here)"
mapfile -t env_vars < <(compose_env engram-mongodb \
  | sed "s#^ENGRAM_PROVIDERS_MONGODB_URL=.*#ENGRAM_PROVIDERS_MONGODB_URL=mongodb://127.0.0.1:$closed_port/?serverSelectionTimeoutMS=500#")
if start compose-mongodb "${env_vars[@]}"; then
  expect_status "options accepted, not ready without a store" 503 "http://127.0.0.1:$port/health/ready"
  stop
fi

exit $(( failures > 0 ))
