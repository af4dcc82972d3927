// Rank 0 turns --deadline into an instant before the job starts (issue 14). It reads the
// environment and may ask Slurm; the pure core then gets only job-clock seconds.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cli/deadline_setting.hpp"

namespace tasktrack {

struct ResolvedDeadline {
  std::optional<double> unix_seconds;  // none: no deadline
  std::string warning;                 // one line when auto could not learn Slurm's end time
};

// A variable of the environment, or nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;
// Slurm's end time of the job with this id as squeue prints it (`squeue -h -j ID -o %e`),
// or nullopt when squeue could not say.
using SlurmEndTimeQuery = std::function<std::optional<std::string>(const std::string& job_id)>;

// `start_unix`: the job's start (the job clock's epoch), which +DURATION counts from.
// auto: none outside Slurm (SLURM_JOB_ID unset); under it SLURM_JOB_END_TIME (Unix seconds)
// when set, else `query`; when neither gives a time, no deadline and a warning.
ResolvedDeadline resolve_deadline(const DeadlineSetting& setting, double start_unix,
                                  const EnvironmentLookup& environment,
                                  const SlurmEndTimeQuery& query);

// The real ones: getenv, and squeue run once with a time limit of a few seconds.
std::optional<std::string> process_environment(const char* name);
std::optional<std::string> squeue_end_time(const std::string& job_id);

}  // namespace tasktrack
