// Settings -> JobSpec: every check of every option, so that a bad job ends before any work
// starts with one line that names the setting, the value and what is wrong with it.
#pragma once

#include "cli/job_spec.hpp"
#include "cli/settings.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

// Reads the work first (a kernel over a range, or a task file: later checks need its size),
// then every other option in the table's order. Reads the task file. Throws UsageError.
JobSpec make_job(const Settings& settings, const KernelRegistry& registry);

}  // namespace tasktrack
