#!/usr/bin/env bash
# scripts/galera.sh start|stop|status|kill N|start-node N
# A 3-node MariaDB Galera cluster on 127.0.0.1 for tests: SQL ports 3311-3313,
# group ports 4567/4577/4587, IST 4568/4578/4588, SST 4444/4454/4464.
# Data lives under $GALERA_DIR (default /tmp/softdelete-galera); mariadbd runs
# as the mysql user (rsync SST refuses to run as root).
# innodb_lock_wait_timeout is $GALERA_LOCK_WAIT_TIMEOUT (default 5 s, not
# 50): it bounds how long a node's applier waits when its brute-force abort
# of a local transaction holding a lock it needs did not take (MariaDB
# 10.11: "BF lock wait long" in the error log; the applier retries the abort
# only when its own lock wait times out, and meanwhile flow control stalls
# the whole cluster). See docs/scaling.md, "Stalls".
set -euo pipefail
DIR=${GALERA_DIR:-/tmp/softdelete-galera}
RUNUSER=${GALERA_USER:-mysql}
LIB=${GALERA_LIB:-/usr/lib/galera/libgalera_smm.so}
N=3

port() { echo $((3310 + $1)); }
gport() { echo $((4557 + 10 * $1)); }
istport() { echo $((4558 + 10 * $1)); }
sstport() { echo $((4434 + 10 * $1)); }

cluster_addr() {
  local a="" i
  for i in $(seq 1 $N); do a="$a${a:+,}127.0.0.1:$(gport "$i")"; done
  echo "gcomm://$a"
}

write_cnf() {
  local i=$1 d="$DIR/node$i"
  cat > "$d/my.cnf" <<CNF
[mariadbd]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
tmpdir=$d/tmp
port=$(port "$i")
bind-address=127.0.0.1
user=$RUNUSER
skip-name-resolve
default_storage_engine=InnoDB
binlog_format=ROW
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
innodb_autoinc_lock_mode=2
innodb_flush_log_at_trx_commit=2
innodb_buffer_pool_size=64M
innodb_lock_wait_timeout=${GALERA_LOCK_WAIT_TIMEOUT:-5}
max_connections=300
wsrep_on=ON
wsrep_provider=$LIB
wsrep_cluster_name=softdelete_test
wsrep_cluster_address=$(cluster_addr)
wsrep_node_name=node$i
wsrep_node_address=127.0.0.1:$(gport "$i")
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gport "$i");ist.recv_addr=127.0.0.1:$(istport "$i");gcache.size=64M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sstport "$i")
CNF
}

ping_node() { mariadb-admin --no-defaults -h127.0.0.1 -P"$(port "$1")" -uroot ping >/dev/null 2>&1; }

wait_node() {
  local i=$1 t
  for t in $(seq 1 90); do
    if ping_node "$i" && [ "$(mariadb --no-defaults -h127.0.0.1 -P"$(port "$i")" -uroot -Nse "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | awk '{print $2}')" = "Synced" ]; then
      return 0
    fi
    sleep 1
  done
  echo "galera: node$i did not become Synced; see $DIR/node$i/error.log" >&2
  tail -20 "$DIR/node$i/error.log" >&2 || true
  return 1
}

start_node() {
  local i=$1 extra=${2:-}
  if ping_node "$i"; then return 0; fi
  # shellcheck disable=SC2086
  start-stop-daemon --start --background --chuid "$RUNUSER" --pidfile "$DIR/node$i/mysqld.pid" --exec /usr/sbin/mariadbd -- \
    --defaults-file="$DIR/node$i/my.cnf" $extra
  wait_node "$i"
}

start() {
  if ping_node 1 && ping_node 2 && ping_node 3; then echo "galera: already running"; return 0; fi
  stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
  mkdir -p "$DIR"
  local i
  for i in $(seq 1 $N); do
    mkdir -p "$DIR/node$i/data" "$DIR/node$i/tmp"
    write_cnf "$i"
    mariadb-install-db --no-defaults --datadir="$DIR/node$i/data" --user="$RUNUSER" \
      --auth-root-authentication-method=normal >"$DIR/node$i/install.log" 2>&1
  done
  chown -R "$RUNUSER:" "$DIR"
  chmod 755 "$DIR"
  start_node 1 --wsrep-new-cluster
  mariadb --no-defaults -h127.0.0.1 -P"$(port 1)" -uroot -e \
    "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE IF NOT EXISTS test" 2>/dev/null || true
  for i in $(seq 2 $N); do start_node "$i"; done
  status
}

stop() {
  local i pid
  for i in $(seq $N -1 1); do
    if [ -f "$DIR/node$i/mysqld.pid" ]; then
      pid=$(cat "$DIR/node$i/mysqld.pid" 2>/dev/null || true)
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
  done
  # A node that never wrote its pid file (killed while it was still joining,
  # or a rejoin that failed) is found by its config file.
  pkill -9 -f -- "--defaults-file=$DIR/node" 2>/dev/null || true
  echo "galera: stopped"
}

status() {
  local i
  for i in $(seq 1 $N); do
    if ping_node "$i"; then
      echo "node$i 127.0.0.1:$(port "$i") $(mariadb --no-defaults -h127.0.0.1 -P"$(port "$i")" -uroot -Nse "SELECT CONCAT(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE_COMMENT','WSREP_CLUSTER_SIZE') ORDER BY VARIABLE_NAME" | tr '\n' ' ')"
    else
      echo "node$i 127.0.0.1:$(port "$i") down"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill) pid=$(cat "$DIR/node$2/mysqld.pid"); kill -9 "$pid"; echo "galera: node$2 killed" ;;
  start-node) start_node "$2" ;;
  *) echo "usage: $0 start|stop|status|kill N|start-node N" >&2; exit 2 ;;
esac
