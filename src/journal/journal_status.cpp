#include "journal/journal_status.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <ostream>

#include "commands/command_runner.hpp"
#include "commands/task_list.hpp"
#include "journal/fingerprint.hpp"
#include "journal/job_commands.hpp"
#include "journal/journal_reader.hpp"
#include "journal/replay.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// "2024-05-01 12:34:56" in local time, or "?" for a time no calendar shows.
std::string local_time_text(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || unix_seconds < 0 || unix_seconds > 253402300799.0) {
    return "?";
  }
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm local{};
  if (::localtime_r(&seconds, &local) == nullptr) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

// The first line of a failure's detail, kept to one short, printable line.
std::string first_line(const std::vector<std::byte>& payload) {
  constexpr std::size_t max_chars = 100;
  std::string line;
  for (const std::byte b : payload) {
    const auto c = static_cast<char>(b);
    if (c == '\n' || c == '\r') break;
    line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
    if (line.size() > max_chars) {
      line.resize(max_chars - 3);
      line += "...";
      break;
    }
  }
  return line;
}

// `text` with control characters shown as spaces: one line on a terminal.
std::string printable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

// "exit 3", "SIGSEGV", or "-" when the detail tells neither.
std::string ending_text(const ExitDetail& ending) {
  if (ending.signal) return signal_name(*ending.signal);
  if (ending.exit_status) return "exit " + std::to_string(*ending.exit_status);
  return "-";
}

}  // namespace

std::string to_string(JournalStatus::State state) {
  switch (state) {
    case JournalStatus::State::done:
      return "done";
    case JournalStatus::State::failed:
      return "failed";
    case JournalStatus::State::work_left:
      return "work_left";
    case JournalStatus::State::empty:
      return "empty";
    case JournalStatus::State::unknown:
      return "unknown";
  }
  return "unknown";
}

std::uint64_t JournalStatus::left() const {
  const std::uint64_t finished = done + failed;
  return total > finished ? total - finished : 0;
}

JournalStatus::State JournalStatus::state() const {
  if (fingerprint.empty()) return State::empty;
  if (total == 0) return State::unknown;
  if (left() > 0) return State::work_left;
  return failed > 0 ? State::failed : State::done;
}

JournalStatus journal_status(const std::string& path) {
  const JournalContents journal = read_journal(path);
  JournalStatus status;
  status.path = path;
  status.warning = journal.warning;
  status.fingerprint = journal.fingerprint;
  status.sessions = journal.sessions.size();
  if (journal.fingerprint.empty()) return status;

  const RecordedJob job = read_recorded_job(journal.fingerprint);
  if (job.kernel) status.kernel = *job.kernel;
  if (job.range) {
    status.range = std::to_string(job.range->first) + ":" + std::to_string(job.range->second);
  }
  if (job.subtasks) status.total = *job.subtasks;
  // For a task list, a record counts only while its line is unchanged (an edited line is
  // new work), as on resume: that takes the file's lines, when it can be read.
  const JobCommands commands =
      recorded_job_commands(job, path, status.task_file_problem, recorded_task_format(journal));
  const bool lines_known = commands.is_task_list() && !status.task_file_problem;
  if (job.task_file) {
    status.kernel = "commands";
    status.task_file = *job.task_file;
    if (lines_known) status.total = commands.task_lines().size();
  }
  const auto& lines = commands.task_lines();
  const CurrentWork work{lines.size(), [&](SubtaskId id) { return task_line_key(lines[id]); }};
  const JournalHistory history = lines_known ? replay(journal, work) : replay(journal);

  status.last_end_unix = history.last_end_unix;
  status.done = history.done.size();
  for (const DoneSubtask& done : history.done) ++status.ranks[done.rank].done;
  // Every failed attempt that counts (runs hold done subtasks only), as the summary counts
  // failed attempts per rank.
  for (const JournalAttempt& attempt : journal.attempts) {
    if (attempt.state != SubtaskState::failed) continue;
    if (lines_known &&
        (attempt.subtask >= lines.size() || work.key(attempt.subtask) != attempt.key)) {
      continue;
    }
    ++status.ranks[attempt.rank].failed;
  }
  for (const JournalAttempt* failure : history.failed) {
    status.failures.push_back(JournalStatus::FailedTask{
        *failure, commands.line(failure->subtask, failure->key),
        commands.command(failure->subtask, failure->key),
        parse_exit_detail(std::string(reinterpret_cast<const char*>(failure->payload.data()),
                                      failure->payload.size()))});
  }
  status.failed = status.failures.size();

  // Hosts of the ranks with records; a later session's word on a rank replaces an earlier
  // one's.
  for (const JournalSession& session : history.sessions) {
    for (const SessionWorker& worker : session.workers) {
      const auto found = status.ranks.find(worker.rank);
      if (found != status.ranks.end() && !worker.host.empty()) found->second.host = worker.host;
    }
  }
  return status;
}

void print_status_text(const JournalStatus& status, std::ostream& out) {
  if (status.warning) out << "warning: " << *status.warning << "\n";
  out << "journal   " << status.path << "\n";
  if (status.fingerprint.empty()) {
    out << "empty: the job that created it has not written its header yet\n";
    return;
  }
  const std::string total = status.total > 0 ? std::to_string(status.total) : "?";
  if (status.task_file.empty()) {
    out << "job       " << status.kernel << ", range " << status.range << ", " << total
        << " subtasks";
  } else {
    out << "job       task list " << status.task_file << ", " << total << " commands";
  }
  out << " (fingerprint " << fingerprint_digest(status.fingerprint) << ")\n";
  if (status.task_file_problem) {
    out << "warning: " << *status.task_file_problem << "; the total is unknown\n";
  }
  out << "sessions  " << status.sessions << "\n";
  out << (status.task_list() ? "commands  " : "subtasks  ") << status.done << " done, "
      << status.failed << " failed";
  if (status.total > 0) out << ", " << status.left() << " left, of " << status.total;
  out << "\n";
  if (status.last_end_unix < 0) {
    out << "last      no finished subtask yet\n";
  } else {
    const double end = status.last_end_unix;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    out << "last      " << local_time_text(end);
    if (std::isfinite(end) && now >= end) {
      out << " (" << static_cast<std::uint64_t>(std::llround(now - end)) << " s ago)";
    }
    out << "\n";
  }

  if (!status.ranks.empty()) {
    std::size_t host_width = 4;
    for (const auto& [rank, counts] : status.ranks) {
      host_width = std::max(host_width, counts.host.size());
    }
    out << "\n"
        << std::setw(6) << "rank"
        << "  " << std::left << std::setw(static_cast<int>(host_width)) << "host" << std::right
        << std::setw(10) << "done" << std::setw(8) << "failed"
        << "\n";
    for (const auto& [rank, counts] : status.ranks) {
      out << std::setw(6) << rank << "  " << std::left << std::setw(static_cast<int>(host_width))
          << counts.host << std::right << std::setw(10) << counts.done << std::setw(8)
          << counts.failed << "\n";
    }
  }

  if (!status.failures.empty()) {
    constexpr std::size_t max_listed = 20;
    const std::size_t listed = std::min(status.failures.size(), max_listed);
    if (status.task_list()) {
      // subtask, line, attempts, reason, how it ended, the command; the detail below it.
      out << "\nfailed commands: " << status.failures.size() << "\n"
          << std::setw(9) << "subtask" << std::setw(7) << "line" << std::setw(10) << "attempts"
          << "  " << std::left << std::setw(12) << "reason" << std::setw(10) << "ended"
          << "command" << std::right << "\n";
      for (std::size_t i = 0; i < listed; ++i) {
        const JournalStatus::FailedTask& failure = status.failures[i];
        const JournalAttempt& record = failure.record;
        out << std::setw(9) << record.subtask << std::setw(7)
            << (failure.line ? std::to_string(*failure.line) : "?") << std::setw(10)
            << static_cast<std::uint64_t>(record.attempt) + 1 << "  " << std::left << std::setw(12)
            << to_string(record.reason) << std::setw(10) << ending_text(failure.ending)
            << (failure.command.empty() ? "(line changed since)"
                                        : printable(shortened(failure.command)))
            << std::right << "\n";
        out << std::string(28, ' ') << first_line(record.payload) << "\n";
      }
    } else {
      out << "\nfailed subtasks: " << status.failures.size() << "\n"
          << std::setw(9) << "subtask" << std::setw(10) << "attempts"
          << "  " << std::left << std::setw(12) << "reason"
          << "detail" << std::right << "\n";
      for (std::size_t i = 0; i < listed; ++i) {
        const JournalAttempt& failure = status.failures[i].record;
        out << std::setw(9) << failure.subtask << std::setw(10)
            << static_cast<std::uint64_t>(failure.attempt) + 1 << "  " << std::left << std::setw(12)
            << to_string(failure.reason) << first_line(failure.payload) << std::right << "\n";
      }
    }
    if (status.failures.size() > max_listed) {
      out << "  ... and " << status.failures.size() - max_listed << " more\n";
    }
  }
}

nlohmann::ordered_json status_to_json(const JournalStatus& status) {
  const auto or_null = [](const auto& value, bool known) {
    return known ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json job = nullptr;
  if (!status.fingerprint.empty()) {
    job = {{"kernel", status.kernel},
           {"range", or_null(status.range, status.task_file.empty())},
           {"task_file", or_null(status.task_file, !status.task_file.empty())},
           {"fingerprint", fingerprint_digest(status.fingerprint)}};
  }
  nlohmann::ordered_json ranks = nlohmann::ordered_json::array();
  for (const auto& [rank, counts] : status.ranks) {
    ranks.push_back(
        {{"rank", rank}, {"host", counts.host}, {"done", counts.done}, {"failed", counts.failed}});
  }
  // The first failures only: a script wants the state and the counts, a person the list.
  constexpr std::size_t max_listed = 1000;
  nlohmann::ordered_json failures = nlohmann::ordered_json::array();
  for (const JournalStatus::FailedTask& failure : status.failures) {
    if (failures.size() == max_listed) break;
    const JournalAttempt& record = failure.record;
    const auto optional_json = [](const auto& value) {
      return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
    };
    failures.push_back(
        {{"subtask", record.subtask},
         {"attempts", static_cast<std::uint64_t>(record.attempt) + 1},
         {"reason", to_string(record.reason)},
         {"detail", first_line(record.payload)},
         {"line", optional_json(failure.line)},
         {"command", failure.command.empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(shortened(failure.command))},
         {"exit_status", optional_json(failure.ending.exit_status)},
         {"signal", optional_json(failure.ending.signal)},
         {"signal_name", failure.ending.signal
                             ? nlohmann::ordered_json(signal_name(*failure.ending.signal))
                             : nlohmann::ordered_json(nullptr)}});
  }
  const bool known_total = status.total > 0;
  return {{"state", to_string(status.state())},
          {"total", or_null(status.total, known_total)},
          {"done", status.done},
          {"failed", status.failed},
          {"left", or_null(status.left(), known_total)},
          {"sessions", status.sessions},
          {"last_record_unix", or_null(status.last_end_unix, status.last_end_unix >= 0)},
          {"journal", status.path},
          {"job", job},
          {"warning", status.warning ? nlohmann::ordered_json(*status.warning)
                                     : nlohmann::ordered_json(nullptr)},
          {"task_file_problem", status.task_file_problem
                                    ? nlohmann::ordered_json(*status.task_file_problem)
                                    : nlohmann::ordered_json(nullptr)},
          {"per_rank", ranks},
          {"failures", failures}};
}

}  // namespace tasktrack
