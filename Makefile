# linuxuser: a Python Linux user-mode emulator.
#
#   make setup    install cross compilers, qemu-user (Debian 12), and this checkout
#                 with its engine into the virtual environment .venv
#                 (.venv/bin/linuxuser is the command)
#   make test     setup, then run the test suite, then test-install
#   make test-install  pip install this checkout into a fresh virtual environment
#                 and run the thread, atomics and a dynamic-program test with
#                 its installed linuxuser command
#   make guests   build the guest test programs into build/guest/<arch>/
#   make demo     setup, then build examples/hello for armhf and aarch64 and run it
#   make bench    setup, then run the benchmarks (bench/run.py) against qemu-user and
#                 native; BENCH=compute,syscall ARCH=arm REPS=5 OUT=dir select and place

# PYTHON makes the virtual environments; VPY (in .venv) runs everything.
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
export PYTHON VENV

EXAMPLES := build/examples
INSTALL_VENV := build/install-venv
INSTALL_TESTS := tests/test_threads.py tests/test_atomics.py tests/test_engine.py \
	tests/test_dynamic_programs.py::test_dynamic_matches_qemu

.PHONY: all setup test test-install guests demo bench clean

all: test

setup:
	bash scripts/setup-debian.sh

test: setup
	$(VPY) -m pytest -q tests
	$(MAKE) --no-print-directory test-install

# A plain "pip install ." as a user would do it (the engine the checkout already
# built is reused: in-tree builds find it up to date), then tests that fail
# without the engine, run with the installed command and not the checkout (the
# one test left out runs no linuxuser).
test-install: setup
	rm -rf $(INSTALL_VENV)
	$(PYTHON) -m venv $(INSTALL_VENV)
	$(INSTALL_VENV)/bin/pip install -q --disable-pip-version-check .
	$(INSTALL_VENV)/bin/linuxuser --version
	LINUXUSER_COMMAND=$(abspath $(INSTALL_VENV))/bin/linuxuser $(VPY) -m pytest -q \
		-k "not reorders_without_a_fence" $(INSTALL_TESTS)

guests:
	$(VPY) tests/guestbuild.py

$(EXAMPLES)/hello-armhf: examples/hello/hello.c
	@mkdir -p $(EXAMPLES)
	arm-linux-gnueabihf-gcc -static -O2 -o $@ $<

$(EXAMPLES)/hello-aarch64: examples/hello/hello.c
	@mkdir -p $(EXAMPLES)
	aarch64-linux-gnu-gcc -static -O2 -o $@ $<

demo: setup
	$(MAKE) --no-print-directory $(EXAMPLES)/hello-armhf $(EXAMPLES)/hello-aarch64
	$(VENV)/bin/linuxuser $(EXAMPLES)/hello-armhf one two
	$(VENV)/bin/linuxuser $(EXAMPLES)/hello-aarch64 one two

REPS ?= 5
bench: setup
	$(VPY) bench/setup.py
	$(VPY) bench/run.py --reps $(REPS) $(if $(BENCH),--bench $(BENCH)) \
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
