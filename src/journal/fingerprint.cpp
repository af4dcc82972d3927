#include "journal/fingerprint.hpp"

#include <nlohmann/json.hpp>
#include <system_error>

#include "cli/option_table.hpp"
#include "core/fnv1a.hpp"

namespace tasktrack {

std::string job_fingerprint(const JobSpec& job) {
  // nlohmann::json objects keep their keys sorted, and dump() without indent is compact:
  // the text is canonical, so equal jobs give equal bytes.
  // A task list is identified by its file, not its content: lines appended to it are new
  // work for the same job, and each record's key says which line text it finished.
  const nlohmann::json fingerprint = job_json(job, in_fingerprint);
  return fingerprint.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool same_job(const std::string& recorded, const std::string& current,
              const std::string& journal_path) {
  if (recorded == current) return true;
  // A task list's fingerprint names its file and no kernel.
  const auto task_file_of = [](const std::string& fingerprint) -> std::optional<std::string> {
    RecordedJob job = read_recorded_job(fingerprint);
    if (job.kernel) return std::nullopt;
    return std::move(job.task_file);
  };
  const auto recorded_file = task_file_of(recorded);
  const auto current_file = task_file_of(current);
  if (!recorded_file || !current_file) return false;
  for (const auto& candidate : task_file_candidates(*recorded_file, journal_path)) {
    std::error_code error;
    if (std::filesystem::equivalent(candidate, *current_file, error) && !error) return true;
  }
  return false;
}

std::string fingerprint_digest(const std::string& fingerprint) {
  return hex16(fnv1a64(fingerprint));
}

RecordedJob read_recorded_job(const std::string& fingerprint) {
  RecordedJob recorded;
  const nlohmann::json job = nlohmann::json::parse(fingerprint, nullptr, false);
  if (!job.is_object()) return recorded;
  if (job.contains("kernel") && job["kernel"].is_string()) {
    recorded.kernel = job["kernel"].get<std::string>();
  }
  if (job.contains("task_file") && job["task_file"].is_string()) {
    recorded.task_file = job["task_file"].get<std::string>();
  }
  if (job.contains("range") && job["range"].is_array() && job["range"].size() == 2 &&
      job["range"][0].is_number_integer() && job["range"][1].is_number_integer()) {
    recorded.range.emplace(job["range"][0].get<std::int64_t>(),
                           job["range"][1].get<std::int64_t>());
  }
  if (job.contains("subtasks") && job["subtasks"].is_number_unsigned()) {
    recorded.subtasks = job["subtasks"].get<std::uint64_t>();
  }
  if (job.contains("params") && job["params"].is_object()) {
    for (const auto& [name, value] : job["params"].items()) {
      recorded.params.emplace_back(name,
                                   value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  return recorded;
}

std::vector<std::filesystem::path> task_file_candidates(const std::string& task_file,
                                                        const std::string& journal_path) {
  std::vector<std::filesystem::path> candidates{task_file};
  if (std::filesystem::path(task_file).is_relative()) {
    candidates.push_back(std::filesystem::path(journal_path).parent_path() / task_file);
  }
  return candidates;
}

}  // namespace tasktrack
