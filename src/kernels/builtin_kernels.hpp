// The built-in kernels, one KernelInfo factory each. Internal: kernel_registry() registers
// them on first use; nothing else should need these. Each returns a fresh KernelInfo.
#pragma once

#include "tasktrack/kernel.hpp"

namespace tasktrack {

KernelInfo primes_kernel_info();      // counts primes in the range (CPU-bound)
KernelInfo pi_kernel_info();          // Monte Carlo estimate of pi
KernelInfo mandelbrot_kernel_info();  // renders one row band per subtask, writes a PNG
KernelInfo sleep_kernel_info();       // sleeps a seeded random duration (scheduling tests)
KernelInfo noop_kernel_info();        // does nothing (per-subtask overhead)

}  // namespace tasktrack
