# linuxuser: a Python Linux user-mode emulator.
#
#   make setup    install cross compilers, qemu-user and this package (Debian 12)
#   make test     setup, then run the test suite
#   make guests   build the guest test programs into build/guest/<arch>/
#   make demo     setup, then build examples/hello for armhf and aarch64 and run it
#   make bench    setup, then run the benchmarks (bench/run.py) against qemu-user and
#                 native; BENCH=compute,syscall ARCH=arm REPS=5 OUT=dir select and place

PYTHON ?= python3
export PYTHON

EXAMPLES := build/examples

.PHONY: all setup test guests demo bench clean

all: test

setup:
	bash scripts/setup-debian.sh

test: setup
	$(PYTHON) -m pytest -q tests

guests:
	$(PYTHON) tests/guestbuild.py

$(EXAMPLES)/hello-armhf: examples/hello/hello.c
	@mkdir -p $(EXAMPLES)
	arm-linux-gnueabihf-gcc -static -O2 -o $@ $<

$(EXAMPLES)/hello-aarch64: examples/hello/hello.c
	@mkdir -p $(EXAMPLES)
	aarch64-linux-gnu-gcc -static -O2 -o $@ $<

demo: setup
	$(MAKE) --no-print-directory $(EXAMPLES)/hello-armhf $(EXAMPLES)/hello-aarch64
	$(PYTHON) -m linuxuser $(EXAMPLES)/hello-armhf one two
	$(PYTHON) -m linuxuser $(EXAMPLES)/hello-aarch64 one two

REPS ?= 5
bench: setup
	$(PYTHON) bench/setup.py
	$(PYTHON) bench/run.py --reps $(REPS) $(if $(BENCH),--bench $(BENCH)) \
		$(if $(ARCH),--arch $(ARCH)) $(if $(OUT),--out $(OUT))

clean:
	rm -rf build

# make mutation: mutation testing of the core with cosmic-ray (tests/mutation.py;
# docs/testing.md has the last score).  Not part of `make test` or CI: about an
# hour on two cores.  MODULES=linuxuser/memory.py,linuxuser/threads.py selects
# modules, SAMPLE=N mutants per module (0: all), JOBS=N workers.
COSMIC_RAY ?= cosmic-ray==8.7.0
comma := ,
.PHONY: mutation
mutation: setup
	$(PYTHON) -m pip install -q '$(COSMIC_RAY)'
	$(PYTHON) tests/mutation.py $(foreach m,$(subst $(comma), ,$(MODULES)),-m $(m)) \
		$(if $(SAMPLE),--sample $(SAMPLE)) $(if $(JOBS),-j $(JOBS))
