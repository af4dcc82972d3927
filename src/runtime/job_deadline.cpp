#include "runtime/job_deadline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

namespace tasktrack {

namespace {

// squeue answers in well under a second; a slurmctld that does not answer must not hold the
// job's start for long: without the end time the job runs with no deadline.
constexpr int squeue_seconds = 10;

}  // namespace

ResolvedDeadline resolve_deadline(const DeadlineSetting& setting, double start_unix,
                                  const EnvironmentLookup& environment,
                                  const SlurmEndTimeQuery& query) {
  using Kind = DeadlineSetting::Kind;
  switch (setting.kind) {
    case Kind::none:
      return {};
    case Kind::at:
      return {setting.seconds, ""};
    case Kind::after:
      return {start_unix + setting.seconds, ""};
    case Kind::automatic:
      break;
  }
  const std::optional<std::string> job_id = environment("SLURM_JOB_ID");
  if (!job_id || job_id->empty()) return {};
  if (const auto end = environment("SLURM_JOB_END_TIME")) {
    if (const auto at = parse_date_time(*end)) return {at, ""};
  }
  const std::optional<std::string> answer = query(*job_id);
  if (answer) {
    if (const auto at = parse_date_time(*answer)) return {at, ""};
  }
  return {std::nullopt,
          fmt::format("warning: --deadline auto: no end time for Slurm job {} ({}); the job "
                      "runs without a deadline",
                      *job_id,
                      answer ? fmt::format("squeue said '{}'", *answer)
                             : std::string("squeue gave no answer"))};
}

std::optional<std::string> process_environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> squeue_end_time(const std::string& job_id) {
  // The id goes into a shell command: only an id of digits (and an array's '_') is asked.
  const bool plain = !job_id.empty() && std::all_of(job_id.begin(), job_id.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '_';
  });
  if (!plain) return std::nullopt;
  const std::string command =
      fmt::format("timeout {} squeue -h -j {} -o %e 2>/dev/null", squeue_seconds, job_id);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string text;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) text += buffer.data();
  const int status = ::pclose(pipe);
  if (status != 0) return std::nullopt;
  text = text.substr(0, text.find('\n'));
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace tasktrack
