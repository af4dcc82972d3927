// How a job's requirements meet its workers (issue 11): the requirement classes rank 0
// packs by, how many pool threads a worker runs, what each attempt asks of its worker, and
// the check that every task fits some worker before anything starts.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "core/resources.hpp"
#include "core/worker_info.hpp"
#include "runtime/worker_loop.hpp"
#include "runtime/worker_resources.hpp"

namespace tasktrack {

// The distinct requirements of a job's subtasks, in order of first use, and each subtask's
// index into them. A range job and a task list whose lines all ask the same have one class
// and no `class_of` (the core then needs no packing).
struct RequirementClasses {
  std::vector<Resources> requirements;
  std::vector<std::uint16_t> class_of;
};
RequirementClasses requirement_classes(const JobSpec& job);

// What the attempts of subtask `id` need: the line's requirement for a task list, one core
// for a range job.
std::function<Resources(SubtaskId)> requirement_lookup(const JobSpec& job);

// Pool threads for a worker owning `owned`: its cores for a range job, or for lines that ask
// different things (each attempt takes at least a core); for lines that all ask the same,
// how many of them fit at once (0 when none does).
unsigned pool_threads(const JobSpec& job, const OwnedResources& owned);

// How a worker runs its pool for `job`: `threads` pool threads (at least one), what it owns,
// each attempt's requirement (task lists), time limits and heartbeats.
WorkerOptions worker_options(const JobSpec& job, const OwnedResources& owned, unsigned threads);

// What a worker says in its hello (rank is filled in by the hello exchange).
WorkerInfo worker_info(const std::string& host, unsigned threads, const OwnedResources& owned);

// Throws UsageError naming the first line whose requirement no worker can hold, and the
// largest worker: "task file 'F', line 3 needs 8 cores, 2 GPUs; the largest worker (rank 1
// on node01) has 4 cores, 1 GPU, 64 GiB".
void check_every_task_fits(const JobSpec& job, std::span<const WorkerInfo> workers);

}  // namespace tasktrack
