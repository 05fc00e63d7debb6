# The README's two commands: `make demo` and `make test`.
GO ?= go
BIN := bin/yibao

.PHONY: build demo test bench fuzz clean vendor browser postgresql

ECHARTS := web/static/vendor/echarts.min.js

# ECharts comes from the npm registry (version pinned in web/ui/package-lock.json) and is
# embedded into the binary.
vendor: $(ECHARTS)
$(ECHARTS): web/ui/package.json web/ui/package-lock.json
	cd web/ui && npm ci --no-audit --no-fund --loglevel=error
	cp web/ui/node_modules/echarts/dist/echarts.min.js $(ECHARTS)

# The browser tests drive Debian's Chromium (with CJK fonts, so that screenshots are
# legible); install them when missing.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || \
	  (echo "installing chromium and CJK fonts for the browser tests"; apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk)

# The store's tests start a throwaway PostgreSQL server (store/postgres/pgtest): Debian's
# postgresql package, installed when missing. The tests fail, not skip, without it.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  (echo "installing postgresql for the store tests"; apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

build: vendor
	$(GO) build -o $(BIN) ./cmd/yibao

demo: build
	./$(BIN) demo

# The suite runs twice: as is, and under the race detector with -short (which leaves out the
# browser tests, run in the first pass, and shortens the PostgreSQL tampering cases).
test: vendor browser postgresql
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) test -race -short -count=1 -timeout 30m ./...

# Every benchmark once; the figures land in docs/benchmarks-latest.md.
bench: postgresql
	GO=$(GO) scripts/bench.sh

# Short fuzz runs of every parser; FUZZTIME=10m for a longer session.
FUZZTIME ?= 30000x
fuzz:
	$(GO) test ./ingest -run '^$$' -fuzz FuzzJSONDocuments -fuzztime $(FUZZTIME)
	$(GO) test ./ingest -run '^$$' -fuzz FuzzCSVPair -fuzztime $(FUZZTIME)
	$(GO) test ./grouper -run '^$$' -fuzz '^FuzzGroup$$' -fuzztime $(FUZZTIME)
	$(GO) test ./grouper -run '^$$' -fuzz '^FuzzCaseCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./grouper -run '^$$' -fuzz '^FuzzSchemeJSON$$' -fuzztime $(FUZZTIME)
	$(GO) test ./grouper -run '^$$' -fuzz '^FuzzCompiledImage$$' -fuzztime $(FUZZTIME)
	$(GO) test ./grouper -run '^$$' -fuzz '^FuzzSplitCodes$$' -fuzztime $(FUZZTIME)
	$(GO) test ./store/postgres -run '^$$' -fuzz '^FuzzRebind$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf bin yibao-data demo-region
