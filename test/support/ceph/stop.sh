#!/usr/bin/env bash
# Stops the cluster of start.sh by the pid files in its state dir (never by process name).
#   usage: stop.sh [STATE_DIR]      (default /tmp/ditto-ceph)
state=${1:-/tmp/ditto-ceph}
[ -d "$state/run" ] || exit 0
daemons="client.rgw.ditto osd.0 mon.a"
for d in $daemons; do
  [ -f "$state/run/$d.pid" ] && kill "$(cat "$state/run/$d.pid")" 2>/dev/null
done
for d in $daemons; do
  f="$state/run/$d.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$f"
done
exit 0
