#include "report/summary.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "cli/option_table.hpp"
#include "core/resources.hpp"
#include "report/exit_detail.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

int Summary::exit_code() const {
  if (interrupted) return exit_interrupted;
  if (!input_problem.empty()) return exit_usage;
  return failed > 0 || not_run > 0 ? exit_failed_subtasks : exit_success;
}

std::string Summary::status_text() const {
  if (interrupted) return "interrupted";
  if (!input_problem.empty()) return "bad_input";
  return failed > 0 || not_run > 0 ? "completed_with_failures" : "completed";
}

namespace {

std::string params_text(const std::map<std::string, std::string>& params) {
  std::string text;
  for (const auto& [name, value] : params) {
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, value);
  }
  return text;
}

// Failure details can hold anything a kernel threw; the summary shows one line of it.
std::string one_line(const std::string& text, std::size_t limit = 100) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > limit) line = line.substr(0, limit - 3) + "...";
  return line;
}

// A deadline as a local date with its offset, as `date --iso-8601=seconds` writes it.
std::string date_text(double unix_seconds) {
  const auto time = static_cast<std::time_t>(std::floor(unix_seconds));
  std::tm local{};
  if (localtime_r(&time, &local) == nullptr) return fmt::format("{:.0f}", unix_seconds);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &local);
  return std::string(text, length);
}

constexpr std::size_t failures_shown = 10;
constexpr std::size_t capped_shown = 10;
// How much of a failed task's command the summary shows (issue 12).
constexpr std::size_t command_shown = 120;

// The task of subtask `id` of a task list, or null (a range job, an id past the list).
const TaskLine* task_of(const Summary& s, SubtaskId id) {
  const TaskListJob* list = s.job.task_list();
  if (list == nullptr || id >= list->tasks.size()) return nullptr;
  return &list->tasks[id];
}

// The first command_shown characters of a command's first line ("..." when cut).
std::string command_text(const TaskLine& task) {
  return one_line(task.text, command_shown);
}

// "#3 (line 4)" for a task list's subtask, "#3" for a range job's.
std::string subtask_text(const Summary& s, SubtaskId id) {
  const TaskLine* task = task_of(s, id);
  if (task == nullptr) return fmt::format("#{}", id);
  if (!task->name.empty())
    return fmt::format("#{} {} (line {})", id, task->name, task->line_number);
  return fmt::format("#{} (line {})", id, task->line_number);
}

// A failure's detail as the summary shows it: a task list speaks of commands, and the
// thread pool's timeout text speaks of kernels.
std::string detail_text(const Summary& s, const std::string& detail) {
  std::string text = detail;
  if (s.job.is_task_list()) {
    constexpr std::string_view kernel_words = "its kernel was asked to stop";
    const auto at = text.find(kernel_words);
    if (at != std::string::npos) text.replace(at, kernel_words.size(), "its command was stopped");
  }
  return text;
}

std::string duration_text(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:.0f} us", seconds * 1e6);
  if (seconds < 1) return fmt::format("{:.1f} ms", seconds * 1e3);
  return fmt::format("{:.2f} s", seconds);
}

}  // namespace

void print_summary(std::ostream& out, const Summary& s) {
  const JobSpec& job = s.job;
  if (const TaskListJob* list = job.task_list()) {
    const bool from_stdin = list->growing && list->task_file == "-";
    out << fmt::format("tasktrack: {} command{} of {}{}, schedule {}\n", job.subtasks,
                       job.subtasks == 1 ? "" : "s",
                       from_stdin ? "standard input" : list->task_file,
                       list->growing ? " (read as the job ran)" : "", to_string(job.schedule));
  } else {
    out << fmt::format("tasktrack: {} over [{}, {}) in {} subtasks, schedule {}\n", job.kernel(),
                       job.range().lo, job.range().hi, job.subtasks, to_string(job.schedule));
  }
  if (!job.params().empty()) out << fmt::format("  params     {}\n", params_text(job.params()));
  if (!s.slurm_job_id.empty()) {
    out << fmt::format("  slurm      job {}, restart {}{}\n", s.slurm_job_id,
                       s.slurm_restart_count.empty() ? "0" : s.slurm_restart_count,
                       s.resumed > 0 ? fmt::format(" (resumed {} subtasks)", s.resumed) : "");
  }
  out << fmt::format("  ranks      {} ({} worker{} x {} thread{})\n", s.ranks, s.workers,
                     s.workers == 1 ? "" : "s", s.threads_per_worker,
                     s.threads_per_worker == 1 ? "" : "s");
  out << fmt::format("  status     {}: {} done, {} failed, {} not run of {}\n", s.status_text(),
                     s.done, s.failed, s.not_run, s.total);
  // --retries counts extra attempts (GNU parallel's counts all of them): say both.
  out << fmt::format(
      "  attempts   {} retried, {} timed out, {} reassigned, {} resumed, {} duplicates; "
      "up to {} attempt{} each (--retries {})\n",
      s.retried, s.timed_out, s.reassigned, s.resumed, s.duplicates, job.retries + 1,
      job.retries == 0 ? "" : "s", job.retries);
  if (!s.stop_reason.empty()) out << fmt::format("  stopped    {}\n", s.stop_reason);
  if (s.deadline_unix > 0) {
    out << fmt::format("  deadline   {}{}\n", date_text(s.deadline_unix),
                       s.deadline_stop ? fmt::format(": drained before it, {} task{} held back",
                                                     s.held_back, s.held_back == 1 ? "" : "s")
                                       : "");
  }
  if (!s.input_problem.empty()) {
    out << fmt::format("  input      ended early: {}\n", s.input_problem);
  }
  out << fmt::format("  result     {}\n", s.result_line);
  const double rate = s.wall_seconds > 0 ? (s.done - s.resumed) / s.wall_seconds : 0;
  out << fmt::format("  wall       {:.3f} s, {:.1f} {}/s; rank 0 used {:.3f} CPU s\n",
                     s.wall_seconds, rate, s.job.is_task_list() ? "commands" : "subtasks",
                     s.coordinator_cpu_seconds);
  out << fmt::format(
      "  timing     dispatch-to-start p50 {} p99 {}; load imbalance {:.2f}; tail {:.3f} s\n",
      duration_text(s.start_latency_p50), duration_text(s.start_latency_p99), s.load_imbalance,
      s.tail_seconds);
  if (!s.requirements.empty()) {
    std::vector<std::string> classes;
    for (const RequirementSummary& c : s.requirements) {
      classes.push_back(
          fmt::format("{} {} {}", c.tasks, c.tasks == 1 ? "task" : "tasks", describe(c.need)));
    }
    out << fmt::format("  needs      {}\n", fmt::join(classes, "; "));
  }
  out << fmt::format("  {:>5} {:<20} {:>7} {:>9} {:>7} {:>9} {:>6}  {:>5} {:>9} {}\n", "rank",
                     "host", "threads", "done", "failed", "busy s", "util", "cores", "memory",
                     "gpus");
  for (const RankSummary& r : s.per_rank) {
    const char* note = r.lost ? "  LOST" : r.quarantined ? "  QUARANTINED" : "";
    const std::string memory = r.memory_bytes > 0 ? describe_bytes(r.memory_bytes) : "-";
    const std::string gpus = r.gpus.empty() ? "-" : fmt::format("{}", fmt::join(r.gpus, ","));
    out << fmt::format("  {:>5} {:<20} {:>7} {:>9} {:>7} {:>9.3f} {:>5.1f}%  {:>5} {:>9} {}{}\n",
                       r.rank, one_line(r.host, 20), r.threads, r.done, r.failed, r.busy_seconds,
                       100 * r.utilization, r.cores, memory, one_line(gpus, 40), note);
  }
  if (s.cost.measured > 0) {
    std::string peak;
    if (s.cost.peak_rss_bytes > 0) {
      peak = fmt::format(
          "peak memory {} ({} attempt {}, rank {}); ", describe_bytes(s.cost.peak_rss_bytes),
          subtask_text(s, s.cost.peak.subtask), s.cost.peak.attempt, s.cost.peak.rank);
    }
    out << fmt::format("  cost       {}CPU/wall {:.2f} over {} measured attempt{} ({:.3f} CPU s)\n",
                       peak, s.cost.cpu_per_wall(), s.cost.measured,
                       s.cost.measured == 1 ? "" : "s", s.cost.cpu_seconds);
  }
  for (const std::string& hint : s.hints) out << fmt::format("  hint       {}\n", hint);
  if (!s.capped.empty()) {
    std::vector<std::string> named;
    for (std::size_t i = 0; i < std::min(s.capped.size(), capped_shown); ++i) {
      named.push_back(
          fmt::format("{} attempt {}", subtask_text(s, s.capped[i].subtask), s.capped[i].attempt));
    }
    out << fmt::format("  capped     {} attempt{} output passed --output-limit: {}{}\n",
                       s.capped.size(), s.capped.size() == 1 ? "'s" : "s'", fmt::join(named, ", "),
                       s.capped.size() > capped_shown ? ", ... (see --summary-json)" : "");
  }
  if (s.left_processes > 0) {
    out << fmt::format(
        "  leftover   {} attempt{} left processes behind; they were ended (--keep-background "
        "keeps them)\n",
        s.left_processes, s.left_processes == 1 ? "" : "s");
  }
  if (!s.slowest.empty()) {
    out << "  slowest   ";
    for (const SlowSubtask& slow : s.slowest) {
      out << fmt::format(" #{} {:.3f}s (rank {})", slow.subtask, slow.seconds, slow.rank);
    }
    out << "\n";
  }
  if (!s.failures.empty()) {
    const char* what = s.job.is_task_list() ? "command" : "subtask";
    out << fmt::format("  failures   {} {}{} failed for good:\n", s.failures.size(), what,
                       s.failures.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < std::min(s.failures.size(), failures_shown); ++i) {
      const FailureSummary& f = s.failures[i];
      out << fmt::format("    {} after {} attempt{}: {}: {}\n", subtask_text(s, f.subtask),
                         f.attempts, f.attempts == 1 ? "" : "s", to_string(f.reason),
                         one_line(detail_text(s, f.detail)));
      if (const TaskLine* task = task_of(s, f.subtask)) {
        out << fmt::format("      $ {}\n", command_text(*task));
      }
    }
    if (s.failures.size() > failures_shown) {
      out << fmt::format("    ... and {} more (see --summary-json)\n",
                         s.failures.size() - failures_shown);
    }
  }
}

nlohmann::json summary_to_json(const Summary& s) {
  using nlohmann::json;
  json per_rank = json::array();
  for (const RankSummary& r : s.per_rank) {
    per_rank.push_back({{"rank", r.rank},
                        {"host", r.host},
                        {"threads", r.threads},
                        {"cores", r.cores},
                        {"gpus", r.gpus},
                        {"memory_bytes", r.memory_bytes},
                        {"done", r.done},
                        {"failed", r.failed},
                        {"busy_seconds", r.busy_seconds},
                        {"utilization", r.utilization},
                        {"lost", r.lost},
                        {"quarantined", r.quarantined}});
  }
  json failures = json::array();
  for (const FailureSummary& f : s.failures) {
    json failure = {{"subtask", f.subtask},
                    {"attempts", f.attempts},
                    {"reason", to_string(f.reason)},
                    {"detail", detail_text(s, f.detail)}};
    if (const TaskLine* task = task_of(s, f.subtask)) {
      failure["line"] = task->line_number;
      failure["command"] = command_text(*task);
      if (!task->name.empty()) failure["name"] = task->name;
    }
    // As numbers, from the detail text (null when it does not say: a kernel's failure).
    const ExitDetail how = parse_exit_detail(f.detail);
    failure["exit_status"] = how.exit_status ? json(*how.exit_status) : json(nullptr);
    failure["signal"] = how.signal ? json(*how.signal) : json(nullptr);
    failures.push_back(std::move(failure));
  }
  json capped = json::array();
  for (const AttemptRef& ref : s.capped) {
    json entry = {{"subtask", ref.subtask}, {"attempt", ref.attempt}, {"rank", ref.rank}};
    if (const TaskLine* task = task_of(s, ref.subtask)) entry["line"] = task->line_number;
    capped.push_back(std::move(entry));
  }
  json cost = {{"measured_attempts", s.cost.measured},    {"cpu_seconds", s.cost.cpu_seconds},
               {"run_seconds", s.cost.run_seconds},       {"cpu_per_wall", s.cost.cpu_per_wall()},
               {"peak_rss_bytes", s.cost.peak_rss_bytes}, {"peak", nullptr}};
  if (s.cost.peak_rss_bytes > 0) {
    cost["peak"] = {{"subtask", s.cost.peak.subtask},
                    {"attempt", s.cost.peak.attempt},
                    {"rank", s.cost.peak.rank}};
    if (const TaskLine* task = task_of(s, s.cost.peak.subtask)) {
      cost["peak"]["line"] = task->line_number;
    }
  }
  json requirements = json::array();
  for (const RequirementSummary& c : s.requirements) {
    requirements.push_back({{"cores", c.need.cores},
                            {"gpus", c.need.gpus},
                            {"memory_bytes", c.need.memory_bytes},
                            {"tasks", c.tasks}});
  }
  json slowest = json::array();
  for (const SlowSubtask& slow : s.slowest) {
    slowest.push_back({{"subtask", slow.subtask}, {"rank", slow.rank}, {"seconds", slow.seconds}});
  }
  std::ostringstream text;  // the human summary too, for `tasktrack summary FILE`
  print_summary(text, s);
  return json{
      {"version", summary_version},
      {"status", s.status_text()},
      {"exit_code", s.exit_code()},
      {"job", job_json(s.job, in_summary)},
      {"ranks", s.ranks},
      {"workers", s.workers},
      {"threads_per_worker", s.threads_per_worker},
      {"wall_seconds", s.wall_seconds},
      {"subtasks",
       {{"total", s.total},
        {"done", s.done},
        {"failed", s.failed},
        {"not_run", s.not_run},
        {"retried", s.retried},
        {"timed_out", s.timed_out},
        {"reassigned", s.reassigned},
        {"resumed", s.resumed},
        {"duplicates", s.duplicates}}},
      {"stop_reason", s.stop_reason},
      {"deadline", s.deadline_unix > 0 ? json{{"unix", s.deadline_unix},
                                              {"date", date_text(s.deadline_unix)},
                                              {"drained", s.deadline_stop},
                                              {"held_back", s.held_back}}
                                       : json(nullptr)},
      {"input_problem", s.input_problem},
      {"throughput_per_second", s.wall_seconds > 0 ? (s.done - s.resumed) / s.wall_seconds : 0.0},
      {"result", s.result},
      {"coordinator_cpu_seconds", s.coordinator_cpu_seconds},
      {"start_latency_seconds", {{"p50", s.start_latency_p50}, {"p99", s.start_latency_p99}}},
      {"load_imbalance", s.load_imbalance},
      {"tail_seconds", s.tail_seconds},
      {"per_rank", per_rank},
      {"requirements", requirements},
      {"failures", failures},
      {"capped", capped},
      {"left_processes", s.left_processes},
      {"cost", cost},
      {"hints", s.hints},
      {"slowest", slowest},
      {"slurm",
       s.slurm_job_id.empty()
           ? json(nullptr)
           : json{{"job_id", s.slurm_job_id},
                  {"restart_count", s.slurm_restart_count.empty() ? "0" : s.slurm_restart_count},
                  {"submit_dir", s.slurm_submit_dir}}},
      {"text", text.str()},
  };
}

}  // namespace tasktrack
