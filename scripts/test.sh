#!/usr/bin/env bash
# scripts/test.sh [GO TEST ARGS...] — the one command that runs tokenward's whole test suite.
#
#   ./scripts/test.sh                          # gofmt, go vet, staticcheck, go test: every module
#   ./scripts/test.sh -run Foo ./client/       # same checks, scoped to the named packages
#   ./scripts/test.sh -run Foo                 # no package named: every module's packages are appended
#
# On a fresh Debian 12 machine (as root; Go and node/npm preinstalled) it installs what the tests
# need, then, every run:
#   1. apt-get install $APT_PACKAGES (skipped entirely when all are installed)
#   2. npm ci in testdata/oidc-provider (skipped when node_modules matches package-lock.json)
#   3. starts redis-server and oidc-provider on 127.0.0.1, waits until they answer, and exports
#        REDIS_ADDR=127.0.0.1:<port>   OIDC_ISSUER=http://127.0.0.1:<port>
#   4. gofmt -l (must print nothing), go vet, staticcheck (installed at a pinned version if missing)
#   5. go test -race -count=1 under scripts/with-keyring.sh (private D-Bus session + unlocked
#      gnome-keyring, so DBUS_SESSION_BUS_ADDRESS is set for the tests)
# Services are stopped on exit (also on failure, Ctrl-C or SIGTERM; a SIGTERM sent to this script
# alone takes effect when the running step ends). Exit status is non-zero if any step fails;
# steps 4-5 all run even if one of them fails, so one run reports every problem. A timing summary
# is printed last. Service logs are kept (path printed) when the run fails.
#
# Environment knobs (all optional):
#   REDIS_PORT   redis port; default: 16379, or the next free port above it
#   OIDC_PORT    oidc-provider port; default: 9400, or the next free port above it
#                (a port given explicitly must be free, else the run fails)
#   SERVICE_TIMEOUT  seconds to wait for each service to become ready (default 30)
#   SKIP_STATICCHECK=1  do not run staticcheck even if it is installed
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Debian packages the tests need. Add more (e.g. chromium) here, space-separated.
APT_PACKAGES="dbus gnome-keyring libsecret-tools redis-server chromium tmux postgresql"
OP_DIR=testdata/oidc-provider
SERVICE_TIMEOUT=${SERVICE_TIMEOUT:-30}

T_START=${EPOCHREALTIME/./}
TIMINGS=()     # "name|seconds|note"
FAILED=()
SERVICE_PIDS=() # background servers, stopped in cleanup
WORK=$(mktemp -d -t tokenward-test.XXXXXX)   # service logs; kept when the run fails

log() { printf '==> %s\n' "$*"; }
die() { printf 'test.sh: ERROR: %s\n' "$*" >&2; exit 1; }
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
secs() { local us=$(($2 - $1)); printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000)); }
record() { TIMINGS+=("$1|$(secs "$2" "$(now_us)")|$3"); }

cleanup() {
	local rc=$? pid _
	trap - EXIT INT TERM
	for pid in "${SERVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${SERVICE_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if ((${#TIMINGS[@]})); then
		printf '\n==> timing\n'
		local t
		for t in "${TIMINGS[@]}"; do
			IFS='|' read -r name s note <<<"$t"
			printf '    %-12s %6ss  %s\n' "$name" "$s" "$note"
		done
		printf '    %-12s %6ss\n' total "$(secs "$T_START" "$(now_us)")"
	fi
	if ((rc != 0)); then
		printf 'test.sh: FAILED%s (service logs kept in %s)\n' "${FAILED[*]:+: ${FAILED[*]}}" "$WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Arguments: split the go test args into flags and package patterns (for vet/staticcheck/gofmt).
# ---------------------------------------------------------------------------------------------
TEST_ARGS=("$@")
PKGS=()
value_flag() { # go test / build flags that take a separate value ("-run Foo")
	case ${1#-} in
	-*) value_flag "${1#-}" ;;
	run | skip | bench | benchtime | count | cpu | parallel | timeout | shuffle | list | fuzz | fuzztime | \
		fuzzminimizetime | coverprofile | covermode | coverpkg | cpuprofile | memprofile | memprofilerate | \
		blockprofile | blockprofilerate | mutexprofile | mutexprofilefraction | outputdir | trace | o | exec | \
		p | tags | ldflags | gcflags | asmflags | mod | modfile | overlay | pkgdir | toolexec | vet | C) return 0 ;;
	*) return 1 ;;
	esac
}
skip_next=0 nflags=$#
for ((i = 1; i <= $#; i++)); do
	a=${!i}
	if ((skip_next)); then skip_next=0; continue; fi
	case $a in
	-args | --args) nflags=$((i - 1)); break ;;
	-*=*) ;;
	-*) value_flag "$a" && skip_next=1 ;;
	*) PKGS+=("$a") ;;
	esac
done
SCOPED=1
if ((${#PKGS[@]} == 0)); then
	SCOPED=0
	# Every module of go.work (the core, benchmarks, nested modules): ./... stops at a nested go.mod.
	mapfile -t PKGS < <(go list -f '{{.Dir}}/...' -m)
	TEST_ARGS=("${@:1:nflags}" "${PKGS[@]}" "${@:nflags+1}") # before any -args
fi

# ---------------------------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------------------------
step_apt() {
	local t0 missing=() p sudo=''
	t0=$(now_us)
	if ! command -v dpkg-query >/dev/null; then
		for p in redis-server redis-cli dbus-run-session dbus-send gnome-keyring-daemon; do
			command -v "$p" >/dev/null || die "$p not found and this is not a Debian system: install redis, dbus and gnome-keyring"
		done
		record apt "$t0" "not Debian; tools present"
		return
	fi
	for p in $APT_PACKAGES; do
		[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		record apt "$t0" "all installed"
		return
	fi
	if ((EUID != 0)); then
		command -v sudo >/dev/null || die "must run as root to apt-get install ${missing[*]}"
		sudo='sudo'
	fi
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	local apt=(apt-get -qq -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
	[[ -z $sudo ]] || apt=(sudo DEBIAN_FRONTEND=noninteractive "${apt[@]}")
	# Only reached when something is missing, so the update's few seconds are paid on cold runs only.
	"${apt[@]}" update || die "apt-get update failed"
	"${apt[@]}" install -y --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
		{ tail -n 30 "$WORK/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
	record apt "$t0" "installed ${missing[*]}"
}

# ---------------------------------------------------------------------------------------------
# 2. npm dependencies of the oidc-provider fixture
# ---------------------------------------------------------------------------------------------
step_npm() {
	local t0 want stamp=$OP_DIR/node_modules/.tokenward-stamp
	t0=$(now_us)
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		die "node and npm must be installed (Node.js >= 20)"
	fi
	want="$(sha256sum "$OP_DIR/package-lock.json" | cut -d' ' -f1) node-$(node --version)"
	# Serialize with concurrent runs in the same checkout (npm ci deletes node_modules first).
	exec 9>"${TMPDIR:-/tmp}/tokenward-npm-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).lock"
	command -v flock >/dev/null && flock 9
	if [[ -d $OP_DIR/node_modules && $(cat "$stamp" 2>/dev/null) == "$want" ]]; then
		record "npm ci" "$t0" "up to date"
	else
		log "npm ci in $OP_DIR"
		(cd "$OP_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $OP_DIR"
		printf '%s\n' "$want" >"$stamp"
		record "npm ci" "$t0" "installed"
	fi
	exec 9>&-
}

# ---------------------------------------------------------------------------------------------
# 3. Services
# ---------------------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port_from() { # first free port in [$1, $1+100)
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		port_in_use "$p" || { printf '%s' "$p"; return 0; }
	done
	return 1
}
http_ok() { # http_ok PORT PATH: true if GET returns 200 (plain bash, no curl needed)
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3
		IFS= read -r -t 2 line <&3 || exit 1
		[[ $line == HTTP/1.?\ 200* ]]
	) 2>/dev/null
}

# Each service: a start function (runs in the background with the log as stdout/stderr; exec, so
# $! is the server itself) and a ready function (PORT LOG). Ready means: this run's own process
# logged that it listens on PORT (not another run's server that won the same port) and it answers.
start_redis() {
	exec redis-server --bind 127.0.0.1 --port "$1" --save '' --appendonly no --logfile '' --dir "$WORK"
}
ready_redis() {
	grep -q 'Ready to accept connections' "$2" &&
		[[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}
start_oidc() { cd "$OP_DIR" && PORT=$1 exec node server.mjs; }
ready_oidc() {
	grep -qF "listening on http://127.0.0.1:$1" "$2" && http_ok "$1" /.well-known/openid-configuration
}

# start_service NAME PORT_FROM_ENV DEFAULT_PORT STARTFN READYFN
# Starts NAME on PORT_FROM_ENV (must be free) or on the first free port from DEFAULT_PORT, and
# waits up to SERVICE_TIMEOUT s until it is ready. A port lost to a concurrent run (address in
# use) moves on to the next port. Sets SVC_PORT; the PID goes to SERVICE_PIDS for cleanup.
# Services run as plain background children (foreground mode, killed by PID in cleanup): a
# --daemonize'd redis would be re-parented to PID 1, which may not reap it.
start_service() {
	local name=$1 explicit=$2 port=$3 startfn=$4 readyfn=$5 logf="$WORK/$1.log" pid deadline _
	for _ in 1 2 3 4 5; do
		if [[ -n $explicit ]]; then
			port=$explicit
			! port_in_use "$port" || die "$name: port $port (from the environment) is already in use"
		else
			port=$(free_port_from "$port") || die "$name: no free port in $3..$(($3 + 99))"
		fi
		"$startfn" "$port" >"$logf" 2>&1 &
		pid=$!
		SERVICE_PIDS+=("$pid")
		deadline=$(($(now_us) + SERVICE_TIMEOUT * 1000000))
		until "$readyfn" "$port" "$logf"; do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null || true
				unset 'SERVICE_PIDS[-1]' # reaped: never signal this (reusable) PID again
				if [[ -z $explicit ]] && grep -qi 'already in use' "$logf"; then
					port=$((port + 1)) # lost a race for the port: try the next one
					continue 2
				fi
				tail -n 20 "$logf" >&2
				die "$name exited during startup (log above, full log: $logf)"
			fi
			if (($(now_us) >= deadline)); then
				tail -n 20 "$logf" >&2
				die "$name not ready after ${SERVICE_TIMEOUT}s on port $port (log above, full log: $logf)"
			fi
			sleep 0.05
		done
		SVC_PORT=$port
		return 0
	done
	die "$name: every port tried was taken by another process"
}
step_services() {
	local t0
	t0=$(now_us)
	start_service redis-server "${REDIS_PORT:-}" 16379 start_redis ready_redis
	export REDIS_ADDR=127.0.0.1:$SVC_PORT
	start_service oidc-provider "${OIDC_PORT:-}" 9400 start_oidc ready_oidc
	export OIDC_ISSUER=http://127.0.0.1:$SVC_PORT
	record services "$t0" "REDIS_ADDR=$REDIS_ADDR OIDC_ISSUER=$OIDC_ISSUER"
	log "services ready: REDIS_ADDR=$REDIS_ADDR OIDC_ISSUER=$OIDC_ISSUER"
}

# ---------------------------------------------------------------------------------------------
# 4./5. Checks and tests: each runs, failures are collected.
# ---------------------------------------------------------------------------------------------
check() { # check NAME CMD...
	local name=$1 t0 rc=0
	shift
	log "$name"
	t0=$(now_us)
	"$@" || rc=$?
	if ((rc == 0)); then record "$name" "$t0" ok; else record "$name" "$t0" "FAILED (exit $rc)"; FAILED+=("$name"); fi
}
go_files() {
	if ((SCOPED)); then
		# shellcheck disable=SC2016 # Go template, not shell
		go list -e -f '{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .CgoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .IgnoredGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}' "${PKGS[@]}"
	else
		find . \( -name node_modules -o -name .git \) -prune -o -type f -name '*.go' -print
	fi
}
gofmt_check() {
	local out
	out=$(go_files | sed '/^$/d' | xargs -r -d '\n' gofmt -l | sed "s|^$ROOT/||") || return 1
	[[ -z $out ]] && return 0
	printf 'gofmt: these files need formatting (run gofmt -w):\n%s\n' "$out" >&2
	return 1
}
STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2
staticcheck_bin() {
	local gp
	command -v staticcheck 2>/dev/null && return
	gp=$(go env GOPATH)
	gp=${gp%%:*}
	if [[ ! -x $gp/bin/staticcheck ]]; then
		log "go install staticcheck@$STATICCHECK_VERSION" >&2
		go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" >&2 || return 1
	fi
	printf '%s\n' "$gp/bin/staticcheck"
}

log "$(go version), node $(node --version 2>/dev/null || echo missing); packages: ${PKGS[*]}"
step_apt
step_npm
step_services

check gofmt gofmt_check
check "go vet" go vet "${PKGS[@]}"
if [[ ${SKIP_STATICCHECK:-} == 1 ]]; then
	TIMINGS+=("staticcheck|0.0|skipped (SKIP_STATICCHECK=1)")
elif SC=$(staticcheck_bin) && [[ -n $SC ]]; then
	check staticcheck "$SC" "${PKGS[@]}"
else
	record staticcheck "$(now_us)" "FAILED (cannot install staticcheck@$STATICCHECK_VERSION)"
	FAILED+=(staticcheck)
fi
check "go test" bash scripts/with-keyring.sh go test -race -count=1 "${TEST_ARGS[@]}"

((${#FAILED[@]} == 0)) || exit 1
