#!/usr/bin/env bash
# Backend targets of issue 3 in one run: append throughput (Engram vs plain driver, 1 and 64 writers) and bytes stored per turn.
# Usage: benchmarks/backends.sh [JMH options]   (default: a short profile, about 5 minutes on 2 cores)
# Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (trust, database test).
set -uo pipefail
cd "$(dirname "$0")/.."
jar=benchmarks/target/benchmarks.jar
if [[ ! -f $jar || -n $(find engine-core/src engine-backends/*/src benchmarks/src benchmarks/pom.xml -newer "$jar" -type f -print -quit) ]]; then
  mvn -B -q install -DskipTests && mvn -B -q -DskipTests package -pl benchmarks || exit 2
fi
[[ $# -gt 0 ]] || set -- -f 1 -wi 3 -w 3s -i 5 -r 3s
# warnings only: logging at DEBUG would cost more than the appends it reports
log="-Dlogback.configurationFile=$PWD/benchmarks/backends-logback.xml"
# another JMH run may hold /tmp/jmh.lock on a shared machine; both sides of each ratio run under the same conditions
java "$log" -Djmh.ignoreLock=true -cp "$jar" dev.engram.benchmarks.backends.BackendThroughput "$@" -jvmArgsAppend "$log" \
  | tee /tmp/engram-backends-jmh.log | sed -n '/^Append throughput/,$p'
throughput=${PIPESTATUS[0]}
java "$log" -cp "$jar" dev.engram.benchmarks.backends.StorageFootprint
storage=$?
echo
echo "throughput target: $([[ $throughput == 0 ]] && echo PASS || echo FAIL); storage target: $([[ $storage == 0 ]] && echo PASS || echo FAIL)  (full JMH log: /tmp/engram-backends-jmh.log)"
[[ $throughput == 0 && $storage == 0 ]]
