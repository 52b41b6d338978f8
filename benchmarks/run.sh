#!/bin/sh
# Runs the side-by-side benchmarks of tokenward, golang.org/x/oauth2 and
# cloud.google.com/go/auth (about 2.5 minutes on 2 cores), prints the
# benchstat summary of the micro-benchmarks and the ratios against the
# targets, and redraws the plot. Writes testdata/micro.txt,
# testdata/scenarios.txt, testdata/latency.csv and latency.png.
#
# The micro-benchmarks (scenarios 1 and 2) run 6 times, each time in a new
# process that runs every library once, so that drift over the run hits
# them alike; the scenarios that take seconds (3 to 6) run once. The fleet
# scenario uses REDIS_ADDR, or starts its own redis-server if one is on
# PATH.
set -eu
cd "$(dirname "$0")"
: >testdata/micro.txt
for i in 1 2 3 4 5 6; do
	go test -run '^$' -bench '^Benchmark(CachedToken|Transport)$' -benchtime 0.3s . | tee -a testdata/micro.txt
done
go test -run '^$' -bench '^Benchmark(Stampede|RefreshBoundary|Fleet|Outage)$' -benchtime 1x -timeout 10m . | tee testdata/scenarios.txt
go tool benchstat -col /impl testdata/micro.txt
go run ./cmd/report testdata/micro.txt testdata/scenarios.txt
go run ./cmd/plot -in testdata/latency.csv -out latency.png
