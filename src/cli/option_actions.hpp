// The run options' actions that take more than a line: what an option's value does to the
// JobSpec (apply_*) and checks across options (check_*, require_*). The option table
// (option_table.cpp) names them in its rows; each throws UsageError naming where the bad
// value came from.
#pragma once

#include <cstdint>
#include <string>

#include "cli/job_spec.hpp"
#include "cli/settings.hpp"

namespace tasktrack {

// A subtask's attempt number travels and is journaled in one byte (1 + retries attempts);
// 100 leaves room and is far more than a flaky subtask deserves.
inline constexpr std::uint64_t max_retries = 100;

// `path` absolute, with links, `.` and `..` resolved as far as it exists: a task list's
// fingerprint must not depend on how its path was spelled.
std::string real_path(const std::string& path);

void apply_schedule(const Setting& setting, JobSpec& job);
void apply_trace(const Setting& setting, JobSpec& job);
void apply_progress(const Setting& setting, JobSpec& job);
void apply_timeout(const Setting& setting, JobSpec& job);
void apply_max_failures(const Setting& setting, JobSpec& job);
void apply_journal(const Setting& setting, JobSpec& job);
void apply_gpus(const Setting& setting, JobSpec& job);
void apply_memory(const Setting& setting, JobSpec& job);
void apply_bind(const Setting& setting, JobSpec& job);

// --worker-timeout must exceed --heartbeat.
void check_worker_timeout(const Settings& settings, const JobSpec& job);
// An option that needs --journal (`why` says what for).
void require_journal(const Setting& setting, const JobSpec& job, const std::string& why);

}  // namespace tasktrack
