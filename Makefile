SHELL := /bin/bash

# moneytrail: the two commands are `make demo` and `make test` (see README.md).
# Everything builds in the release profile, so RocksDB's C++ is compiled once and shared by the
# demo, the tests and the benchmarks.

CARGO   ?= cargo
PROFILE := --release
BIN     := target/release/moneytrail
DEMO    ?= target/demo
WORLD   ?= datasets/sample
BENCH   ?= target/bench
BENCH_PERSONS ?= 170000
BENCH_DAYS    ?= 60
FUZZ_SECONDS  ?= 30
DEMO_CASE     ?= CASE-00009
DEMO_SEEDS     = $$(awk -F, '$$1=="$(DEMO_CASE)" {gsub(";", ",", $$6); print $$6}' $(WORLD)/truth/cases.csv)
DEMO_REPORTED  = $$(awk -F, '$$1=="$(DEMO_CASE)" {print $$4}' $(WORLD)/truth/cases.csv)
DEMO_VICTIM    = $$(awk -F, '$$1=="$(DEMO_CASE)" {print $$2}' $(WORLD)/truth/cases.csv)
DEMO_WINDOW    = --from "2026-01-01 00:00:00" --to "2026-03-01 00:00:00"

.PHONY: deps deps-report build test lint unit fuzz fuzz-smoke api-schema browser spark-test demo chaos soak bench bench-scale criterion eval-rings eval-link eval-warnings clean-demo

deps:
	@scripts/install-deps.sh build

# What each later step needs, what was looked for and what was found, before anything is installed: a probe
# that asks the wrong question shows here rather than as a confusing failure twenty minutes later.
deps-report:
	@echo "== set-up check (scripts/install-deps.sh --check; missing parts are installed by the step that needs them) =="
	@scripts/install-deps.sh --check || true

build: deps
	$(CARGO) build $(PROFILE) --bins

lint: deps
	@scripts/check-features.sh
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(PROFILE) --all-targets -- -D warnings

# The binary first: cargo test then compiles only main.rs's test harness, and every later step (api-schema,
# browser, demo) finds the binary built.
unit: build
	@mkdir -p target
	$(CARGO) test $(PROFILE) --lib --bins --tests 2>&1 | tee target/test.log; test $${PIPESTATUS[0]:-0} -eq 0
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "tests: %d passed, %d failed\n", p, f }' target/test.log > target/test-summary.txt

# Short coverage-guided fuzzing of the input parsers: transfer and account rows, statement lines with the
# header search, the NDJSON converter of uploads (chunking must not change the output), amounts and times,
# and the decoders of on-disk records. cargo-fuzz wants nightly features; the stable toolchain provides them
# with RUSTC_BOOTSTRAP (no other toolchain can be installed here). The API's JSON bodies are fuzzed in
# process by tests/api_fuzz.rs (600 bodies in make test, 20,000 in make fuzz).
FUZZ_TARGETS ?= parse_row parse_statement ndjson parse_values decode_records
fuzz-smoke: deps
	@scripts/install-deps.sh fuzz
	@mkdir -p target
	@for t in $(FUZZ_TARGETS); do \
		(cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$t --sanitizer none -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 > ../target/fuzz-$$t.log 2>&1) \
			|| { tail -n 40 target/fuzz-$$t.log; echo "fuzzing $$t found a failure (see above and fuzz/artifacts/$$t/)"; exit 1; }; \
		printf '%s: ' $$t; grep -E '^Done [0-9]+ runs' target/fuzz-$$t.log; \
	done

# The long form: each fuzz target for 10 minutes (FUZZ_SECONDS to change).
fuzz:
	@$(MAKE) --no-print-directory fuzz-smoke FUZZ_SECONDS=$${FUZZ_SECONDS:-600}
	MONEYTRAIL_API_FUZZ_CASES=$${MONEYTRAIL_API_FUZZ_CASES:-20000} $(CARGO) test --release --test api_fuzz -- --nocapture

# The HTTP API against its own OpenAPI document, property-based (schemathesis from PyPI, in target/st-venv),
# on a real server on loopback.
api-schema: build
	@scripts/api-schema-test.sh $(BIN)

# Browser tests of the web view: fresh store from the sample world, the page built into the binary,
# Debian's Chromium driven by playwright-core (scripts/install-deps.sh browser installs both).
browser: build
	@scripts/browser-test.sh $(BIN)

# The whole-graph batch on a local Spark cluster (a master and two workers on 127.0.0.1): features and rings
# equal to the one-node run, also after a worker is SIGKILLed mid-job; partial exports refused.
spark-test: build
	@scripts/spark-test.sh $(BIN) target/spark-test

test: deps-report lint unit fuzz-smoke api-schema browser spark-test
	@cat target/test-summary.txt target/browser/summary.txt | awk '{ p += $$2; f += $$4 } END { printf "tests: %d passed, %d failed (Rust and browser; API schema and fuzzing above)\n", p, f }'

demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo "== ingest the sample world ($(WORLD)) =="
	$(BIN) ingest --db $(DEMO)/db --accounts $(WORLD)/accounts.csv --transfers $(WORLD)/transfers.csv
	@echo "== ingest it again: nothing is added =="
	$(BIN) ingest --db $(DEMO)/db --accounts $(WORLD)/accounts.csv --transfers $(WORLD)/transfers.csv
	@echo "== store statistics =="
	$(BIN) stats --db $(DEMO)/db
	@echo "== a first-level mule card's statement =="
	$(BIN) account --db $(DEMO)/db --limit 15 $$(awk -F, 'NR>1 && $$3=="collector" {print $$1; exit}' $(WORLD)/truth/mules.csv)
	@echo "== trace a reported case (CASE-00009) as of its report time =="
	$(BIN) trace --db $(DEMO)/db --seed-txn $(DEMO_SEEDS) --as-of "$(DEMO_REPORTED)"
	@echo "== the same trace for the case folder: diagram and accounts in one page that opens offline =="
	$(BIN) trace --db $(DEMO)/db --seed-txn $(DEMO_SEEDS) --as-of "$(DEMO_REPORTED)" --format html --title $(DEMO_CASE) > $(DEMO)/$(DEMO_CASE).html
	@echo "   written to $(DEMO)/$(DEMO_CASE).html"
	@echo "== extended-freeze proposals for it =="
	$(BIN) freeze --db $(DEMO)/db --seed-txn $(DEMO_SEEDS) --as-of "$(DEMO_REPORTED)"
	@echo "== 串并: which reported cases one gang ran, as an analyst's note (groups, what defines them, shared sinks set aside) =="
	$(BIN) link --db $(DEMO)/db --cases $(WORLD)/truth/cases.csv | head -n 12
	@echo "== 串并 scored against the rings that ran the cases =="
	$(BIN) eval link --world $(WORLD) --db $(DEMO)/db | head -n 11
	@echo "== register the world's reported cases, as a case system would: rings start from them =="
	$(BIN) case import --db $(DEMO)/db --file $(WORLD)/truth/cases.csv
	@echo "== where a level-3 mule card's money came from (upstream), victim by victim with their cases =="
	$(BIN) trace --db $(DEMO)/db --upstream 6217008275268041948 --to "2026-01-22 00:00:00" --rule lifo | cut -c1-200
	@echo "== is the victim of $(DEMO_CASE) connected to that card, and how (paths) =="
	$(BIN) paths --db $(DEMO)/db --from $(DEMO_VICTIM) --to 6217008275268041948 --end "2026-01-22 00:00:00" --max-hops 5 --limit 5 | cut -c1-200
	@echo "== mule-card rings (断卡), ranked, with roles and evidence (naming the cases that reached each card) =="
	$(BIN) rings --db $(DEMO)/db --min-score 50 | head -n 40
	@echo "== ring detection scored against the world's ground truth =="
	$(BIN) eval rings --world $(WORLD) --db $(DEMO)/db
	@echo "== learning from a 断卡 team's confirmed cards (half the world's mule cards), scored on the other half =="
	@awk -F, 'NR > 1 && NR % 2 == 0 { print $$1 }' $(WORLD)/truth/mules.csv > $(DEMO)/confirmed.txt
	$(BIN) rings --db $(DEMO)/db --confirmed $(DEMO)/confirmed.txt --scores $(DEMO)/scores.csv | head -n 12
	$(BIN) eval rings --world $(WORLD) --db $(DEMO)/db --confirmed-share 0.5
	@echo "== freeze proposals scored against the world's ground truth =="
	$(BIN) eval trace --world $(WORLD) --db $(DEMO)/db | head -n 7
	@echo "== bank statements as banks send them (调单 replies): the victim's and the first level's =="
	$(BIN) gen-statements --world $(WORLD) --out $(DEMO)/statements/level-0-1 --case $(DEMO_CASE) --from-level 0 --to-level 1 > /dev/null
	@ls $(DEMO)/statements/level-0-1/statements
	$(BIN) statements import --db $(DEMO)/statements-db $(DEMO)/statements/level-0-1/statements
	$(BIN) statements check --db $(DEMO)/statements-db
	@echo "== trace from the statements: the trace stops at level 2, whose statements are to be requested =="
	$(BIN) trace --db $(DEMO)/statements-db --victim $(DEMO_VICTIM) $(DEMO_WINDOW) --as-of "$(DEMO_REPORTED)"
	@echo "== the level-2 banks reply; the trace now reaches level 3 (shown under lifo: mule cards pass on what just arrived) =="
	$(BIN) gen-statements --world $(WORLD) --out $(DEMO)/statements/level-2 --case $(DEMO_CASE) --from-level 2 --to-level 2 > /dev/null
	$(BIN) statements import --db $(DEMO)/statements-db $(DEMO)/statements/level-2/statements
	$(BIN) trace --db $(DEMO)/statements-db --victim $(DEMO_VICTIM) $(DEMO_WINDOW) --as-of "$(DEMO_REPORTED)" --rule lifo
	@echo "== extended-freeze proposals from the statements: capped by the real balance, citing the statement lines =="
	$(BIN) freeze --db $(DEMO)/statements-db --victim $(DEMO_VICTIM) $(DEMO_WINDOW) --as-of "$(DEMO_REPORTED)"
	@echo "== the LDBC FinBench transfer reads over its sf0.01 snapshot (external check of the path semantics): TCR7, first 5 parameter sets =="
	@head -n 7 datasets/finbench-sf0.01/read_params/complex_7_param.csv > $(DEMO)/tcr7.csv
	$(BIN) finbench tcr7 --data datasets/finbench-sf0.01/snapshot --params $(DEMO)/tcr7.csv
	@echo "== serving the API on http://127.0.0.1:8080/v1 and the web view on http://127.0.0.1:8080/viz/ (Ctrl-C to stop)"
	@echo "   web view: sign in with demo-operator-token-0000, open CASE-00009 (its linked cases at the bottom) or 串并研判; API, try:"
	@echo "   curl -H 'Authorization: Bearer demo-analyst-token-0000' http://127.0.0.1:8080/v1/stats"
	$(BIN) serve --db $(DEMO)/db --config datasets/demo-server.toml --finbench datasets/finbench-sf0.01/snapshot

# The long form of tests/chaos.rs (make test kills the server 4 times): 20 SIGKILLs of the server while it
# takes uploads; every acknowledged upload there exactly once, the repeated ones ending in the same store.
chaos: build
	MONEYTRAIL_CHAOS_KILLS=$${MONEYTRAIL_CHAOS_KILLS:-20} $(CARGO) test --release --test chaos -- --nocapture

# Ten minutes of mixed load on loopback (traces, freezes, account pages, rings, warnings, uploads every 15 s):
# no failed request, p99 within 50 ms, memory flat. SOAK_SECONDS to change the length.
soak: build
	@scripts/soak.sh $(BIN) $(BENCH) $${SOAK_SECONDS:-600}

# Scale run: a ~10M-transfer world, ingested from CSV into a fresh store, with wall time and peak RSS.
bench: build
	@scripts/bench-ingest.sh $(BIN) $(BENCH) $(BENCH_PERSONS) $(BENCH_DAYS)
	@scripts/bench-rings.sh $(BIN) $(BENCH)
	@scripts/bench-warnings.sh $(BIN) $(BENCH)
	@scripts/bench-spark.sh $(BIN) $(BENCH)
	@scripts/bench-link.sh $(BIN) $(BENCH)
	@scripts/bench-statements.sh $(BIN) $(BENCH)
	@scripts/bench-api.sh $(BIN) $(BENCH)
	@scripts/bench-trace-realistic.sh $(BIN) $(BENCH) $(BENCH_PERSONS) $(BENCH_DAYS)
	$(CARGO) bench --bench store --bench trace --bench finbench

# Ring detection per habits setting (datasets/settings/), with and without the case registry and with half
# the mule cards given as confirmed cards, over seeds no tuning used: the table in docs/methods.md, "Rings: evaluation".
EVAL_SEEDS ?= 31 32 33
eval-rings: build
	@scripts/eval-rings.sh $(BIN) target/eval-rings 3000 30 $(EVAL_SEEDS)

# Case linking (串并) per habits setting at 15,000 persons × 30 days: weights were chosen on the tuning
# settings' seeds 41–43; the held-out settings' seeds 31–33 give the figures in docs/methods.md.
eval-link: build
	@scripts/eval-link.sh $(BIN) target/eval-link

# 资金预警 replayed hour by hour per habits setting (20,000 persons, 14 quiet days then 30 days of fraud,
# seed 23): the warnings' rules were chosen on the tune-* worlds (and the sample world); the others are
# reported only. The table in docs/methods.md, "Warnings: measured as it would run".
eval-warnings: build
	@scripts/eval-warnings.sh $(BIN) target/eval-warnings 20000 14 30 23

criterion: deps
	$(CARGO) bench --bench store --bench trace --bench finbench
