#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A throwaway one-node Ceph cluster for the tests, demo and bench: one
# monitor on 127.0.0.1, one OSD on memstore (RAM), no authentication, an
# 'rbd' pool of size 1.  Everything lives in DIR: configuration, data,
# sockets, logs and PID files; nothing is written outside it, and no
# system-wide /etc/ceph is read (CEPH_CONF points every tool at DIR's).
# Its clients give up on a request after 10 s without an answer (rados
# osd op timeout), where librbd would wait for ever by default.
#
#   ceph-cluster.sh start DIR     start it; prints 'CEPH_CONF=DIR/ceph.conf'
#   ceph-cluster.sh stop DIR      stop its daemons (by their PIDs), remove DIR
#   ceph-cluster.sh run DIR CMD.. start it, run CMD with CEPH_CONF set, stop
#                                 it whatever CMD did; exits with CMD's status
#
#   CEPH_PORT=N       the monitor's port (default 40330); the OSD binds in
#                     N+1..N+20.  A port in use is refused, not shared.
#   CEPH_MEM_BYTES=N  memstore's capacity (default 8 GiB, taken from RAM
#                     only as it is written)
set -uo pipefail

PORT=${CEPH_PORT:-40330}
MEM_BYTES=${CEPH_MEM_BYTES:-$((8 << 30))}
TIMEOUT=30

die() { echo "ceph-cluster: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop DIR, or $0 run DIR CMD [ARG...]"; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
    local dir=$1 pidfile pid i
    [ -d "$dir" ] || return 0
    for pidfile in "$dir"/run/*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        # Not a PID reused since a run that was killed
        case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
            ceph-*) ;;
            *) continue ;;
        esac
        kill "$pid" 2>/dev/null || continue
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$dir"
}

start() {
    local dir=$1 p fsid
    for cmd in monmaptool ceph-mon ceph-osd ceph rbd; do
        command -v "$cmd" >/dev/null || die "$cmd not found: run 'make deps'"
    done
    [ -e "$dir" ] && die "$dir exists: a cluster runs there, or one was not stopped ('$0 stop $dir')"
    for p in $(seq "$PORT" $((PORT + 20))); do
        port_taken "$p" && die "port $p on 127.0.0.1 is taken: choose other ports with CEPH_PORT"
    done

    mkdir -p "$dir"/{run,log,mon-a,osd-0}
    dir=$(cd "$dir" && pwd)
    fsid=$(cat /proc/sys/kernel/random/uuid)
    # $name and $id are Ceph's own metavariables, hence the quoted heredoc
    # and the sed
    sed "s|@DIR@|$dir|g; s|@FSID@|$fsid|; s|@PORT@|$PORT|g;
         s|@PORT_MIN@|$((PORT + 1))|; s|@PORT_MAX@|$((PORT + 20))|;
         s|@MEM_BYTES@|$MEM_BYTES|" > "$dir/ceph.conf" <<'EOF'
[global]
fsid = @FSID@
mon host = v2:127.0.0.1:@PORT@
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
ms bind msgr1 = false
ms bind port min = @PORT_MIN@
ms bind port max = @PORT_MAX@
run dir = @DIR@/run
admin socket = @DIR@/run/$name.asok
pid file = @DIR@/run/$name.pid
log file = @DIR@/log/$name.log
mon data = @DIR@/mon-$id
osd data = @DIR@/osd-$id
osd objectstore = memstore
memstore device bytes = @MEM_BYTES@
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
osd crush chooseleaf type = 0
# A client killed with its image open holds the image's exclusive lock
# until the OSD drops its watch: 30 s by default, before the next
# client can write
osd client watch timeout = 5
[client]
# librbd waits for a cluster that is gone forever by default: fail its
# requests after this long instead, as the outage test expects
rados osd op timeout = 10
rados mon op timeout = 10
client mount timeout = 10
EOF
    export CEPH_CONF=$dir/ceph.conf

    # From here on a failure leaves daemons behind: stop them
    trap 'stop "$dir"' EXIT
    monmaptool --create --add a "v2:127.0.0.1:$PORT" --fsid "$fsid" "$dir/monmap" \
        >"$dir/log/setup.log" 2>&1 || die "monmaptool failed: see $dir/log/setup.log"
    ceph-mon --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/setup.log" 2>&1 &&
        ceph-mon -i a >>"$dir/log/setup.log" 2>&1 ||
        die "the monitor did not start: see $dir/log/"
    timeout $TIMEOUT ceph --connect-timeout $TIMEOUT osd create >>"$dir/log/setup.log" 2>&1 ||
        die "the monitor does not answer on port $PORT: see $dir/log/"
    ceph-osd -i 0 --mkfs >>"$dir/log/setup.log" 2>&1 &&
        ceph-osd -i 0 >>"$dir/log/setup.log" 2>&1 ||
        die "the OSD did not start: see $dir/log/"
    timeout $TIMEOUT ceph osd pool create rbd 8 >>"$dir/log/setup.log" 2>&1 &&
        timeout $TIMEOUT ceph osd pool application enable rbd rbd >>"$dir/log/setup.log" 2>&1 ||
        die "creating the rbd pool failed: see $dir/log/setup.log"
    # The pool serves I/O once its placement groups are active
    timeout $TIMEOUT rbd create --size 1 rbd/probe >>"$dir/log/setup.log" 2>&1 &&
        timeout $TIMEOUT rbd rm rbd/probe >>"$dir/log/setup.log" 2>&1 ||
        die "the rbd pool serves no I/O: see $dir/log/"
    trap - EXIT
    echo "CEPH_CONF=$CEPH_CONF"
}

[ $# -ge 2 ] || usage
op=$1 dir=$2
shift 2
case "$op" in
    start) [ $# = 0 ] || usage; start "$dir" ;;
    stop) [ $# = 0 ] || usage; stop "$dir" ;;
    run)
        [ $# -gt 0 ] || usage
        start "$dir" >/dev/null || exit 1
        dir=$(cd "$dir" && pwd)
        trap 'stop "$dir"' EXIT
        trap 'exit 130' INT TERM
        CEPH_CONF=$dir/ceph.conf "$@"
        ;;
    *) usage ;;
esac
