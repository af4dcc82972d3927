// What the run options of option_table.cpp do to a JobSpec, where more than a line: the
// option table names these in its rows. Each throws UsageError (via fail()) naming the
// setting's source on a bad value.
#include "cli/option_actions.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>

#include "cli/setting_checks.hpp"

namespace tasktrack {

namespace {

// A timeout as a percentage of the median run time: 10000% (100 x) is already absurd.
constexpr double max_timeout_percent = 10000;

}  // namespace

std::string real_path(const std::string& path) {
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::weakly_canonical(path, error);
  if (error) resolved = std::filesystem::absolute(path, error).lexically_normal();
  return error ? path : resolved.string();
}

void apply_schedule(const Setting& setting, JobSpec& job) {
  const auto schedule = schedule_from_string(setting.text);
  if (!schedule) {
    fail(setting.where, "unknown schedule '" + setting.text + "' (use static, dynamic or guided)");
  }
  job.schedule = *schedule;
}

void apply_trace(const Setting& setting, JobSpec& job) {
  if (setting.text.empty()) fail(setting.where, "must not be empty");
  job.trace = setting.text;
}

void apply_progress(const Setting& setting, JobSpec& job) {
  const auto style = progress_style_from_string(setting.text);
  if (!style) {
    fail(setting.where,
         "unknown progress style '" + setting.text + "' (use auto, bar, lines or none)");
  }
  job.progress = *style;
}

void apply_timeout(const Setting& setting, JobSpec& job) {
  if (is_percent(setting.text)) {
    job.timeout_percent = parse_percent(setting, max_timeout_percent);
  } else {
    job.timeout = parse_positive_seconds(setting, "leave it out for no timeout");
  }
}

void apply_max_failures(const Setting& setting, JobSpec& job) {
  if (is_percent(setting.text)) {
    // P% of the job's subtasks (known here: the work is read first), at least one, as GNU
    // parallel's --halt soon,fail=P%.
    const double percent = parse_percent(setting, 100);
    job.max_failures = static_cast<std::uint32_t>(
        std::max(1.0, std::ceil(percent / 100 * static_cast<double>(job.subtasks) - 1e-9)));
  } else {
    job.max_failures = parse_positive_count(setting);
  }
}

// A healthy idle worker is silent for up to a heartbeat period; a worker timeout no longer
// than that would declare it lost.
void check_worker_timeout(const Settings& settings, const JobSpec& job) {
  if (job.worker_timeout > job.heartbeat) return;
  const auto describe = [](const Setting* setting, const std::string& flag, double seconds) {
    return setting ? setting->where + " = '" + setting->text + "'"
                   : flag + " = " + seconds_text(seconds) + " (the default)";
  };
  throw UsageError(
      describe(settings.find("worker-timeout"), "--worker-timeout", job.worker_timeout) +
      " must be greater than " +
      describe(settings.find("heartbeat"), "--heartbeat", job.heartbeat) +
      ", or idle workers would be declared lost between heartbeats");
}

void apply_journal(const Setting& setting, JobSpec& job) {
  if (setting.text.empty()) fail(setting.where, "must not be empty: give the journal file's path");
  job.journal = setting.text;
}

// --fresh and --no-retry-failed only say how to treat an existing journal; without one
// they would be silently ignored, which hides a forgotten --journal.
void require_journal(const Setting& setting, const JobSpec& job, const std::string& why) {
  if (setting.text == "true" && job.journal.empty()) {
    fail(setting.where, why + " there is no journal: pass --journal FILE too");
  }
}

// --gpus: the devices each worker owns. Checked on rank 0 so that a typo is bad input
// before anything starts, not a surprise on every worker.
void apply_gpus(const Setting& setting, JobSpec& job) {
  const std::string& text = setting.text;
  const std::string expected = "expected ids such as 0,1,2,3 (or GPU UUIDs), auto or none";
  if (text.empty()) fail(setting.where, "must not be empty: " + expected);
  if (text != "auto" && text != "none") {
    std::set<std::string> ids;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text.find(',', start);
      const std::string id = text.substr(start, comma == std::string::npos ? comma : comma - start);
      if (id.empty()) fail(setting.where, "empty GPU id in '" + text + "': " + expected);
      if (id.find_first_of(" \t") != std::string::npos) {
        fail(setting.where, "GPU id '" + id + "' holds a blank: " + expected);
      }
      if (id == "auto" || id == "none") {
        fail(setting.where, "'" + id + "' stands alone, not in a list, got '" + text + "'");
      }
      if (!ids.insert(id).second) {
        fail(setting.where, "GPU '" + id + "' is listed twice in '" + text + "'");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  job.gpus = text;
}

// --mem: the memory each worker owns for its tasks; the worker works out "auto".
void apply_memory(const Setting& setting, JobSpec& job) {
  if (setting.text != "auto") {
    with_context(setting.where, [&] { return parse_memory_size(setting.text); });
  }
  job.memory = setting.text;
}

void apply_bind(const Setting& setting, JobSpec& job) {
  const auto binding = binding_from_string(setting.text);
  if (!binding) fail(setting.where, "unknown binding '" + setting.text + "' (use none or cores)");
  job.bind = *binding;
}

}  // namespace tasktrack
