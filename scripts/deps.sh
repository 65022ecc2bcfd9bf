#!/bin/sh
# Installs every Debian 12 package callbackd needs to build and run it
# (scripts/demo.sh), and with "test" also what the test suite runs
# (scripts/test.sh): the SIP peers, the packaging tools, promtool, haproxy.
# Idempotent: does nothing when all are present. Needs root for apt-get.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
      libevent-dev libhiredis-dev libpq-dev libjansson-dev libinih-dev
      libssl-dev libsystemd-dev uuid-dev libcurl4-openssl-dev check systemd
      clang libclang-rt-14-dev clang-format
      redis-server postgresql postgresql-contrib syslog-ng-core
      curl python3 ca-certificates procps chromium"
[ "${1:-}" = test ] && PKGS="$PKGS
      kamailio kamailio-utils-modules sip-tester
      debhelper dpkg-dev fakeroot lintian git
      prometheus openssl haproxy redis-sentinel"
# the browser tests run on Node.js: Debian's, unless the machine has one
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Do not let package scripts start system-wide servers: the project runs its
# own Redis, PostgreSQL and syslog-ng in temporary folders.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	made_policy=1
fi
apt-get install -y -q --no-install-recommends $missing
[ "$made_policy" = 1 ] && rm -f "$policy"
exit 0
