# vigil - thin wrapper around meson/ninja. See README.md.
#   make run         install missing packages, build, scan the generated samples,
#                    and start the local mail stack under var/ (Postfix ->
#                    vigil-milter -> Dovecot; scripts/stack.sh); returns
#   make stop        stop the local mail stack
#   make check       install missing packages, build, run every test
#   make check-asan  the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench       benchmarks against the peers (writes bench/results/)
#   make fuzz        run the fuzz harnesses (clang/libFuzzer)
#   make format      clang-format every C file

BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON      ?= meson
NINJA      ?= ninja

.PHONY: all deps build run stop check check-asan bench fuzz format clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) >/dev/null

build: deps $(BUILD)/build.ninja
	@$(NINJA) -C $(BUILD) | grep -v '^ninja: no work to do' || true
	@test -x $(BUILD)/src/vigil

STACK_DIR ?= var

run: build
	@./scripts/run.sh $(BUILD)
	@VIGIL_BUILD=$(BUILD) ./scripts/stack.sh start $(STACK_DIR)

stop:
	@./scripts/stack.sh stop $(STACK_DIR)

check: build
	@./tests/run.sh $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null

check-asan: deps $(ASAN_BUILD)/build.ninja
	@$(NINJA) -C $(ASAN_BUILD) | grep -v '^ninja: no work to do' || true
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	 VIGIL_SANITIZED=1 ./tests/run.sh $(ASAN_BUILD)

FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

$(FUZZ_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ_BUILD) -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null

fuzz: deps $(FUZZ_BUILD)/build.ninja
	@$(NINJA) -C $(FUZZ_BUILD) | grep -v '^ninja: no work to do' || true
	@./tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@./bench/run.sh $(BUILD)

format:
	clang-format -i $$(find src include tests/unit tests/fuzz -name '*.[ch]')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
