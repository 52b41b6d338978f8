#!/usr/bin/env bash
# scripts/test.sh [GO TEST ARGS...] [PACKAGES...] — installs what the tests need and runs every check.
#
#   ./scripts/test.sh                      # gofmt, go vet, staticcheck, go test -race: every module
#   ./scripts/test.sh -run Foo ./client/   # go test scoped to the packages named (checks: whole tree)
#
#   1. apt-get install $APT (only what is missing; as root, else with sudo; skipped off Debian)
#   2. npm ci in testdata/oidc-provider (when node_modules predates package-lock.json or node)
#   3. gofmt -l on the whole tree; go vet and staticcheck (pinned) on every module of go.work
#   4. go test -race -count=1 on every module (or on the packages named)
# The tests start their services themselves (internal/testenv: oidc-provider, redis-server,
# PostgreSQL, a private D-Bus session with gnome-keyring), so plain `go test ./...` works too.
# Under CI=true (.ci/run) a test whose service is missing fails instead of skipping. Steps 3-4
# all run even if one fails; the exit status is non-zero if any step failed. Timings come last.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
APT="dbus gnome-keyring libsecret-tools redis-server chromium tmux postgresql"
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
OP=testdata/oidc-provider
TIMES=() FAILED=()

step() { # step NAME CMD...: runs CMD, records its duration and outcome
	local name=$1 t0=$SECONDS rc=0
	shift
	printf '==> %s\n' "$name"
	"$@" || rc=$?
	TIMES+=("$(printf '    %-12s %4ds  %s' "$name" $((SECONDS - t0)) "$( ((rc)) && echo "FAILED (exit $rc)" || echo ok)")")
	((rc == 0)) || FAILED+=("$name")
}
apt_install() {
	local missing=() p sudo=()
	command -v dpkg-query >/dev/null || { echo "not Debian: install $APT yourself"; return 0; }
	for p in $APT; do
		[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || sudo=(sudo)
	local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
	"${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
}
npm_ci() { # serialized with concurrent runs in this checkout: npm ci deletes node_modules first
	local stamp=$OP/node_modules/.tokenward-stamp want
	want="$(sha256sum "$OP/package-lock.json" | cut -c1-64) node-$(node --version)" || return 1
	exec 9>"${TMPDIR:-/tmp}/tokenward-npm-$(pwd | sha256sum | cut -c1-12).lock" && flock 9
	[[ $(cat "$stamp" 2>/dev/null) == "$want" ]] ||
		{ (cd "$OP" && npm ci --no-audit --no-fund --loglevel=error) && echo "$want" >"$stamp"; }
	local rc=$?
	exec 9>&-
	return $rc
}
gofmt_tree() {
	local out
	out=$(find . \( -name node_modules -o -name .git \) -prune -o -name '*.go' -print0 | xargs -0 gofmt -l)
	[[ -z $out ]] || { printf 'gofmt: these files need gofmt -w:\n%s\n' "$out" >&2; return 1; }
}
run_staticcheck() {
	local bin
	bin=$(command -v staticcheck) || bin=$(go env GOPATH | cut -d: -f1)/bin/staticcheck
	[[ -x $bin ]] || go install "$STATICCHECK" || return 1
	"$bin" "${MODULES[@]}"
}

mapfile -t MODULES < <(go list -f '{{.Dir}}/...' -m) # every module of go.work, nested ones too
ARGS=("$@")
for a in "$@"; do [[ $a == . || $a == ./* || $a == /* || $a == ../* ]] && { PKGS=1; break; }; done
[[ -n ${PKGS:-} ]] || ARGS+=("${MODULES[@]}")
echo "==> $(go version), node $(node --version 2>/dev/null || echo missing)"

step apt apt_install
step "npm ci" npm_ci
step gofmt gofmt_tree
step "go vet" go vet "${MODULES[@]}"
step staticcheck run_staticcheck
step "go test" go test -race -count=1 "${ARGS[@]}"

printf '\n==> timing (total %ds)\n' "$SECONDS"
printf '%s\n' "${TIMES[@]}"
((${#FAILED[@]} == 0)) || { echo "test.sh: FAILED: ${FAILED[*]}" >&2; exit 1; }
