# The README's two commands: `make demo` and `make test`.
GO ?= go
BIN := bin/yibao

.PHONY: build demo test bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/yibao

demo: build
	./$(BIN) demo

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Short fuzz runs of every parser; FUZZTIME=10m for a longer session.
FUZZTIME ?= 30000x
fuzz:
	$(GO) test ./ingest -run '^$$' -fuzz FuzzJSONDocuments -fuzztime $(FUZZTIME)
	$(GO) test ./ingest -run '^$$' -fuzz FuzzCSVPair -fuzztime $(FUZZTIME)
	$(GO) test ./grouper -run '^$$' -fuzz FuzzGroup -fuzztime $(FUZZTIME)

clean:
	rm -rf bin yibao-data demo-region
