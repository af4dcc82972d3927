// Cores, GPUs and memory: what a task asks for and what a worker owns. Pure values; the
// core packs tasks by them (JobState), the worker hands out concrete cores and devices
// (runtime/resource_allocator.hpp), the summary shows them.
#pragma once

#include <cstdint>
#include <string>

namespace tasktrack {

// A quantity of each resource. As a requirement: what one attempt needs at once (at least
// one core). As a capacity: what a worker owns. Memory is a scheduling quantity, never a
// limit: nothing is killed for using more (issue 11).
struct Resources {
  std::uint32_t cores = 1;
  std::uint32_t gpus = 0;
  std::uint64_t memory_bytes = 0;

  friend bool operator==(const Resources&, const Resources&) = default;
  Resources& operator+=(const Resources& other);
  Resources& operator-=(const Resources& other);  // the caller ensures it fits
};

// `from` less `amount`, each quantity floored at 0 (what is free of a capacity; what stays in
// use after a report that may be late).
Resources saturating_minus(Resources from, const Resources& amount);

// True when `available` covers every quantity of `need`.
bool fits(const Resources& need, const Resources& available);

// How many attempts needing `need` run at once on `capacity` (0 when one does not fit).
std::uint32_t slots_for(const Resources& need, const Resources& capacity);

// "8 cores, 1 GPU, 16 GiB" (memory left out when 0, GPUs when 0).
std::string describe(const Resources& resources);

// A memory size as Slurm writes it: "512M", "16G", "1.5T", "64GB", "2048" (a plain number
// is MiB, as in sbatch --mem); K, M, G, T are powers of 1024. -> bytes. Throws UsageError
// naming the text. (Pure parsing: the CLI, the task file's directives and the worker use it.)
std::uint64_t parse_memory_size(const std::string& text);

// Bytes as people read them: "512 MiB", "16 GiB", "1.5 TiB".
std::string describe_bytes(std::uint64_t bytes);

}  // namespace tasktrack
