#!/usr/bin/env bash
# with-keyring.sh CMD [ARGS...]
# Runs CMD inside a private D-Bus session bus with an unlocked gnome-keyring (Secret Service) and a
# throw-away keyring store; stops the daemon and removes the store afterwards. Exit code = CMD's.
set -euo pipefail
export XDG_DATA_HOME="$(mktemp -d -t keyring-ci.XXXXXX)"   # fresh 'login' keyring each run
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
dbus-run-session -- bash -c '
  set -u
  printf %s "ci-keyring-pass" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  KPID=$!
  for _ in $(seq 100); do   # wait (max 5 s) until the daemon owns org.freedesktop.secrets
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
    sleep 0.05
  done
  "$@"; rc=$?
  kill "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null
  exit $rc' _ "$@" 2> >(grep -v "Failed to set fd limit" >&2)
