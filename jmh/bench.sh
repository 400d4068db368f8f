#!/usr/bin/env bash
# Runs Cairn's benchmark suite side by side with the alternatives (see docs/performance.md).
#
#   jmh/bench.sh short [extra JMH options]   # the whole suite in under 10 minutes: a quick check
#   jmh/bench.sh full  [extra JMH options]   # the classes' own settings (3 forks): for publishing
#
# Elasticsearch: EsStoreBenchmark writes the store benchmark's spans into a real node, and is
# skipped (with the reason) when none answers:
#   CAIRN_BENCH_ES_URL=http://127.0.0.1:9200 jmh/bench.sh short   # a node that runs already
#   CAIRN_BENCH_ES=start jmh/bench.sh short     # starts the test distribution store-elasticsearch
#                                               # unpacks (jmh/es-node.sh) and stops it at the end
# CAIRN_BENCH_ONLY="store store-es" runs only those subjects (app-1t app-2t format shipper store
# store-es).
#
# Builds jmh/target/benchmarks.jar first when it is missing. Results go to the console and, as
# JSON, to jmh/target/bench-<mode>-<subject>.json. The JVM flags every Cairn JVM needs (Chronicle
# Queue's opens/exports, the parent pom's cairn.jvm.flags) are passed to JMH, whose forks inherit
# them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-short}"
shift || true
jar="$root/jmh/target/benchmarks.jar"
if [ ! -f "$jar" ]; then
  (cd "$root" && mvn -B -q -DskipTests -pl jmh -am package)
fi
flags="$(sed -n 's:.*<cairn.jvm.flags>\(.*\)</cairn.jvm.flags>.*:\1:p' "$root/pom.xml")"
# shellcheck disable=SC2086 # the flags are a whitespace-separated list on purpose
run() {
  local name="$1"
  shift
  if [ -n "${CAIRN_BENCH_ONLY:-}" ] && [[ " $CAIRN_BENCH_ONLY " != *" $name "* ]]; then
    return
  fi
  echo "== $name: java -jar jmh/target/benchmarks.jar $*" >&2
  java $flags -jar "$jar" "$@" -rf json -rff "$root/jmh/target/bench-$mode-$name.json" "${extra[@]}"
}
extra=("$@")

# The Elasticsearch variant of the store benchmark, or the reason it is skipped.
run_es() {
  local name=store-es es_url="${CAIRN_BENCH_ES_URL:-}"
  if [ -n "${CAIRN_BENCH_ONLY:-}" ] && [[ " $CAIRN_BENCH_ONLY " != *" $name "* ]]; then
    return
  fi
  if [ "${CAIRN_BENCH_ES:-}" = start ] && [ -z "$es_url" ]; then
    es_dir="$root/jmh/target/es-node-$$"
    trap '"$root/jmh/es-node.sh" stop "$es_dir"' EXIT
    echo "== $name: starting Elasticsearch (jmh/es-node.sh start $es_dir)" >&2
    es_url="$("$root/jmh/es-node.sh" start "$es_dir")" || es_url=""
  fi
  if java -cp "$jar" dev.cairn.bench.store.EsProbe "$es_url" >&2; then
    run "$name" 'bench.store.EsStoreBenchmark' -p esUrl="$es_url" "$@"
  else
    echo "== $name: skipped" >&2
  fi
}

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)" >&2
case "$mode" in
  short)
    run app-1t 'bench.app.AppThreadBenchmark' -f 1 -wi 40 -i 80 -prof gc
    run app-2t 'bench.app.AppThreadBenchmark.(cairn|otelSdk)$' -p shape=4attrs -t 2 -f 1 -wi 40 -i 80 -prof gc
    run format 'bench.format.FormatBenchmark' -f 1 -wi 2 -w 1 -i 3 -r 1
    run shipper 'bench.shipper.ShipperBenchmark' -f 1 -wi 1 -w 1 -i 3 -r 2
    run store 'bench.store.StoreBenchmark' -p spans=20000 -f 1 -wi 1 -w 1 -i 3 -r 2
    run_es -p spans=20000 -f 1 -wi 6 -w 2 -i 3 -r 2
    ;;
  full)
    run app-1t 'bench.app.AppThreadBenchmark' -prof gc
    run app-2t 'bench.app.AppThreadBenchmark.(cairn|otelSdk|log4j2AsyncJsonLine)$' -t 2 -prof gc
    run format 'bench.format.FormatBenchmark'
    run shipper 'bench.shipper.ShipperBenchmark'
    run store 'bench.store.StoreBenchmark' -p spans=100000,1000000
    run_es -p spans=100000,1000000
    ;;
  *)
    echo "usage: jmh/bench.sh short|full [JMH options]" >&2
    exit 2
    ;;
esac
