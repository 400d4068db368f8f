#!/usr/bin/env bash
# A local Elasticsearch node for EsStoreBenchmark: the test distribution the store-elasticsearch
# build unpacks into store-elasticsearch/target/, run as its tests run it (store-elasticsearch's
# EsNode): single node, security off, 127.0.0.1 on free ports, heap 256-512 MB, and as the system
# user cairn-es when started by root (Elasticsearch refuses to run as root).
#
#   url=$(jmh/es-node.sh start DIR)   # prints the node's URL once it is healthy; DIR: new, for its files
#   jmh/es-node.sh stop DIR           # stops the node started with DIR and deletes DIR
#
# Unpack the distribution first when it is missing:
#   mvn -B -o -q -pl store-elasticsearch -am generate-test-resources
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
user=cairn-es
start_timeout=180
stop_timeout=60

die() {
  echo "es-node: $*" >&2
  exit 1
}

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port from $1"
}

as_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir="$1" home
  home="$(find "$root/store-elasticsearch/target" -maxdepth 1 -type d -name 'elasticsearch-*' 2>/dev/null | sort | tail -1)"
  [ -n "$home" ] && [ -x "$home/bin/elasticsearch" ] || die "no Elasticsearch distribution under \
store-elasticsearch/target/: mvn -B -o -q -pl store-elasticsearch -am generate-test-resources"
  [ ! -e "$dir" ] || die "$dir exists: give a new directory"
  if [ "$(id -u)" = 0 ]; then
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    chown -R "$user" "$home"
    if ! runuser -u "$user" -- test -x "$home/bin/elasticsearch"; then
      # the checkout is somewhere the user cannot reach (under /root, say): use a copy
      local copy="${TMPDIR:-/tmp}/cairn-es/$(basename "$home")"
      [ -x "$copy/bin/elasticsearch" ] || { mkdir -p "$(dirname "$copy")"; cp -a "$home" "$copy"; }
      chown -R "$user" "$(dirname "$copy")"
      home="$copy"
    fi
  fi
  mkdir -p "$dir/data" "$dir/logs" "$dir/tmp" "$dir/config/jvm.options.d"
  find "$home/config" -maxdepth 1 -type f -exec cp {} "$dir/config/" \;
  local http transport
  http="$(free_port 19200)"
  transport="$(free_port $((http + 1)))"
  cat >"$dir/config/elasticsearch.yml" <<YML
cluster.name: cairn-bench
node.name: cairn-bench
network.host: 127.0.0.1
http.port: $http
transport.port: $transport
discovery.type: single-node
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
path.data: $dir/data
path.logs: $dir/logs
YML
  echo "$home" >"$dir/home"
  [ "$(id -u)" != 0 ] || chown -R "$user" "$dir"
  local java_home
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  as_user env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$dir/config" ES_TMPDIR="$dir/tmp" \
    ES_JAVA_OPTS="-Xms256m -Xmx512m" "$home/bin/elasticsearch" -d -p "$dir/es.pid" \
    >"$dir/console.log" 2>&1 || die "Elasticsearch did not start; $dir/console.log and $dir/logs/ say why"
  local url="http://127.0.0.1:$http" deadline=$((SECONDS + start_timeout))
  until curl -fsS -m 5 "$url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; do
    if [ $SECONDS -gt $deadline ]; then
      stop "$dir" keep
      die "Elasticsearch was not healthy within $start_timeout s; see $dir/logs/"
    fi
    sleep 1
  done
  echo "$url"
}

stop() {
  local dir="$1" keep="${2:-}" pid
  [ -f "$dir/es.pid" ] && pid="$(cat "$dir/es.pid")" || pid=""
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    local deadline=$((SECONDS + stop_timeout))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -gt $deadline ]; then
        kill -9 "$pid" 2>/dev/null || true
        break
      fi
      sleep 1
    done
  fi
  [ -n "$keep" ] || rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# = 2 ] || die "usage: es-node.sh start DIR"; start "$2" ;;
  stop) [ $# = 2 ] || die "usage: es-node.sh stop DIR"; stop "$2" ;;
  *) die "usage: es-node.sh start|stop DIR" ;;
esac
