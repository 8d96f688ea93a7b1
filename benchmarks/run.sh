#!/usr/bin/env bash
# Runs every Engram benchmark in one short JMH run and prints the ratios against the targets.
# Usage: benchmarks/run.sh [JMH args...]   e.g. benchmarks/run.sh CodecBenchmark -p messages=200 -i 5
# Exits 1 when a target is missed. Needs JDK 17+, and Maven 3.8.7+ to build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"
results="$here/target/results.json"

for a in "$@"; do
  if [[ "$a" == "-rf" || "$a" == "-rff" ]]; then
    echo "run.sh writes JMH's JSON to $results for the report; do not pass $a" >&2
    exit 2
  fi
done

# rebuild when the jar is missing or older than any source it is made of
if [[ ! -f "$jar" ]] || [[ -n "$(find "$root/pom.xml" "$root/engine-core/pom.xml" "$root/engine-core/src/main" \
        "$here/pom.xml" "$here/src" -newer "$jar" -print -quit)" ]]; then
  echo "Building benchmarks.jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl benchmarks -am)
fi

# the short profile, about 12 s per benchmark; JMH refuses an option given twice, so each default is added
# only when the caller did not pass that option
defaults=(-f 1 -wi 2 -w 2s -i 3 -r 2s)
args=(-rf json -rff "$results")
for ((i = 0; i < ${#defaults[@]}; i += 2)); do
  given=false
  for a in "$@"; do
    if [[ "$a" == "${defaults[i]}" ]]; then
      given=true
    fi
  done
  if ! $given; then
    args+=("${defaults[i]}" "${defaults[i + 1]}")
  fi
done

# without a benchmark pattern, the engine's own benchmarks (the backends have backends.sh)
pattern=()
for a in "$@"; do
  [[ "$a" == -* ]] && break
  pattern=("$a")
done
if [[ ${#pattern[@]} -eq 0 ]]; then
  args+=('dev\.engram\.benchmarks\.[A-Za-z]+Benchmark')
fi

rm -f "$results"
java -jar "$jar" "${args[@]}" "$@"
java -cp "$jar" dev.engram.benchmarks.Report "$results"
