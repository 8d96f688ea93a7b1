#!/usr/bin/env bash
# Builds the benchmarks jar and runs the bounded WebSocket load (engine-server in-process on 127.0.0.1); args go to WebSocketLoad, e.g. --duration-seconds 20.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SKIP_BUILD:-}" != "1" ]]; then
  mvn -B -q -pl benchmarks -am package -DskipTests
fi
# a fixed heap: an unbounded server would end in OutOfMemoryError rather than in a slow swap
exec java -Xms512m -Xmx512m -cp benchmarks/target/benchmarks.jar dev.engram.benchmarks.load.WebSocketLoad "$@"
