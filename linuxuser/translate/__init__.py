"""The vCPU: Unicorn engines, arch descriptors and the run loop."""
