#!/bin/sh
# Builds callbackd and runs it in the foreground against a throwaway Redis
# and PostgreSQL that live in ./run/ (or a temp folder when the postgres
# user cannot reach ./run/). The database is made afresh on every run and
# filled with four weeks of a job centre (tools/demo-data); --empty leaves
# it blank. Prints curl commands and a token of each role to try, then
# runs until Ctrl-C, and stops Redis and PostgreSQL on the way out.
set -eu
empty=0
case "${1:-}" in
--empty) empty=1 ;;
"") ;;
*) echo "usage: scripts/demo.sh [--empty]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PG_BIN=/usr/lib/postgresql/15/bin

sh scripts/deps.sh

echo "== building"
autoreconf -fi >/dev/null 2>&1
mkdir -p build/plain
(cd build/plain && ../../configure -q && make -j2 >/dev/null)
bin=$top/build/plain/callbackd

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_free() {
	python3 -c 'import socket, sys; s = socket.socket()
try: s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError: sys.exit(1)' "$1"
}

run=$top/run
mkdir -p "$run"
pgdir=$run/pg
as_pg=""
if [ "$(id -u)" = 0 ]; then
	as_pg="runuser -u postgres --"
	# PostgreSQL refuses root; its data folder must be reachable by postgres.
	if ! runuser -u postgres -- test -x "$run"; then
		pgdir=$(mktemp -d /tmp/callbackd-demo.XXXXXX)
		echo "== the postgres user cannot reach $run; PostgreSQL lives in $pgdir"
	fi
	mkdir -p "$pgdir"
	chown postgres "$pgdir"
fi

redis_port=$(free_port)
pg_port=$(free_port)
http_port=8080
port_free $http_port || http_port=$(free_port)

cleanup() {
	echo "== stopping Redis and PostgreSQL"
	[ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null || true
	$as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting Redis on 127.0.0.1:$redis_port"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$run" --maxmemory-policy noeviction --daemonize no \
	>"$run/redis.log" 2>&1 &
redis_pid=$!

echo "== starting PostgreSQL on 127.0.0.1:$pg_port"
if [ ! -d "$pgdir/data" ]; then
	$as_pg "$PG_BIN/initdb" -D "$pgdir/data" -U callbackd --auth=trust -E UTF8 >/dev/null
fi
$as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -o \
	"-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1" start >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -U callbackd -d postgres -qc "DROP DATABASE IF EXISTS callbackd" \
	-c "CREATE DATABASE callbackd" 2>/dev/null
for i in 1 2 3 4 5 6 7 8 9 10; do
	redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
	sleep 0.2
done

conf=$run/callbackd.ini
sed -e "s/^listen = .*/listen = 127.0.0.1:$http_port/" \
	-e "s/^conninfo = .*/conninfo = host=127.0.0.1 port=$pg_port dbname=callbackd user=callbackd/" \
	-e "s/^port = 6379/port = $redis_port/" \
	-e "s|^\[daemon\]|[daemon]\nwww = $top/www|" \
	callbackd.ini.example >"$conf"

"$bin" -c "$conf" --migrate
token=$("$bin" -c "$conf" --create-token telephony --label demo)
agent=$("$bin" -c "$conf" --create-token agent --label demo)
manager=$("$bin" -c "$conf" --create-token manager --label demo)
admin=$("$bin" -c "$conf" --create-token admin --label demo)
if [ "$empty" = 0 ]; then
	echo "== filling it with four weeks of a job centre (tools/demo-data)"
	python3 tools/demo-data -c "$conf" --callbackd "$bin" \
		--plan "$top/build/plain/tools/demo-plan"
fi
# a caseworker of the first site who takes every topic and language
lists=$(echo config | "$top/build/plain/tools/demo-plan" "$conf" | python3 -c '
import json, sys
c = json.load(sys.stdin)
q = lambda x: "\x27%s\x27" % x
arr = lambda xs: "ARRAY[%s]" % ",".join(q(x) for x in xs)
print(q(c["sites"][0]["name"]), arr(t["name"] for t in c["topics"]), arr(c["languages"]), sep=", ")')
psql -h 127.0.0.1 -p "$pg_port" -U callbackd -d callbackd -qAt -o /dev/null -c \
	"SELECT cbd_caseworker_save(true, 'demo', $lists, true, 'scripts/demo.sh', 'caseworker_created')"
caseworker=$("$bin" -c "$conf" --create-token caseworker --caseworker demo --label demo)

cat <<EOT

== callbackd is starting on http://127.0.0.1:$http_port (config: $conf)
   Create a call-back request (as the telephony system):

curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' \\
  -d '{"phone":"0231 5551234","topic":"housing_approval","site":"dortmund","urgent":true}' \\
  http://127.0.0.1:$http_port/v1/callbacks

   Read it back (as a hotline agent), with ID from the answer above:

curl -s -H 'Authorization: Bearer $agent' http://127.0.0.1:$http_port/v1/callbacks/ID

   The web pages: open http://127.0.0.1:$http_port/ and sign in with
   the agent token      $agent
   the manager token    $manager
   the caseworker token $caseworker (caseworker demo)
   or the admin token   $admin (caseworkers, tokens, access log)

   Readiness: curl -s http://127.0.0.1:$http_port/readyz
   Stop with Ctrl-C.

EOT
"$bin" -c "$conf" -f
