#!/usr/bin/env bash
# Starts a disposable single-node Ceph cluster (monitor, one OSD, RADOS Gateway) for the S3
# tests, listening on 127.0.0.1 only, without cephx authentication.
#   usage: start.sh [STATE_DIR]      (default /tmp/ditto-ceph)
# Prints nothing but the endpoint line on success. Set CEPH_STORE=bluestore for a disk-backed
# OSD (large benchmarks); the default memstore keeps every object in RAM.
set -euo pipefail

state=${1:-/tmp/ditto-ceph}
store=${CEPH_STORE:-memstore}
key=${DITTO_CEPH_KEY:-DITTOTESTKEY}
secret=${DITTO_CEPH_SECRET:-DITTOTESTSECRET}

# Stop a previous cluster of this state dir before wiping it.
"$(dirname "$0")/stop.sh" "$state" || true
rm -rf "$state"
mkdir -p "$state/run" "$state/log" "$state/mon" "$state/osd" "$state/rgw"
conf="$state/ceph.conf"
cluster_id=$(cat /proc/sys/kernel/random/uuid)

cat >"$conf" <<CONF
[global]
fsid = $cluster_id
mon_host = v1:127.0.0.1:6789
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr2 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $state/run
pid_file = $state/run/\$name.pid
admin_socket = $state/run/\$name.asok
log_file = $state/log/\$name.log
# One OSD: pools of size one, few placement groups, no health nagging about it.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 2
mon_data_avail_crit = 1
[mon]
mon_data = $state/mon
[osd]
osd_data = $state/osd
osd_objectstore = $store
memstore_device_bytes = 8589934592
bluestore_block_path = $state/osd/block.file
bluestore_block_create = true
bluestore_block_size = 21474836480
bluestore_block_db_create = false
bluestore_block_wal_create = false
osd_max_object_size = 134217728
[client.rgw.ditto]
# tcp_nodelay: without it beast holds small responses for the client's delayed ACK (a 4 KiB
# ranged GET took ~50 ms at p50, a 64 KiB one 10 ms), which measures Nagle, not our code.
rgw_frontends = beast endpoint=127.0.0.1:7480 tcp_nodelay=1
# Deleted objects' data is freed after this many seconds instead of two hours, so benches and
# long test runs do not fill the in-memory OSD with garbage waiting for collection.
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
rgw_data = $state/rgw
rgw_dns_name = 127.0.0.1
CONF

wait_for() { # seconds, command...
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

monmaptool --create --add a 127.0.0.1:6789 --fsid "$cluster_id" "$state/monmap" >/dev/null
ceph-mon -c "$conf" -i a --mkfs --monmap "$state/monmap"
ceph-mon -c "$conf" -i a 2>>"$state/log/start.err"
wait_for 20 ceph -c "$conf" --connect-timeout 2 mon stat || { echo "ceph-mon did not come up" >&2; exit 1; }

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
ceph -c "$conf" osd new "$osd_uuid" >/dev/null
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$state/log/start.err" 2>&1
# A brand-new OSD can lose a race with the monitor on its first boot and exit early; the
# second try succeeds.
started=0
for try in 1 2 3 4 5; do
  if ceph-osd -c "$conf" -i 0 2>>"$state/log/start.err"; then started=1; break; fi
  echo "ceph-osd start attempt $try failed, retrying" >&2
  sleep 1
done
[ "$started" = 1 ] || { echo "ceph-osd would not start; see $state/log" >&2; exit 1; }
osd_up() { ceph -c "$conf" osd stat | grep -q '1 up'; }
wait_for 60 osd_up || { echo "osd.0 never came up; see $state/log" >&2; exit 1; }

radosgw -c "$conf" -n client.rgw.ditto 2>>"$state/log/start.err"
wait_for 60 curl -sf -o /dev/null http://127.0.0.1:7480/ || {
  echo "radosgw is not answering on 127.0.0.1:7480; see $state/log" >&2
  exit 1
}
radosgw-admin -c "$conf" user create --uid=ditto --display-name=ditto-tests \
  --access-key="$key" --secret="$secret" >/dev/null
echo "ceph rgw ready: http://127.0.0.1:7480 key=$key"
