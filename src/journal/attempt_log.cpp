#include "journal/attempt_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands/command_runner.hpp"
#include "journal/journal_reader.hpp"
#include "journal/replay.hpp"
#include "report/exit_detail.hpp"

namespace tasktrack {

namespace {

// done, failed (for good) or retried (failed, and given another attempt).
std::string state_text(const AttemptRow& row) {
  return row.retried ? "retried" : std::string(to_string(row.state));
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Which host each rank was on, session by session.
class HostFinder {
 public:
  explicit HostFinder(const std::vector<JournalSession>& sessions) {
    for (const JournalSession& session : sessions) {
      Session named{session.started_unix, {}};
      for (const SessionWorker& worker : session.workers) {
        if (!worker.host.empty()) named.hosts[worker.rank] = worker.host;
      }
      sessions_.push_back(std::move(named));
    }
  }

  std::string host(std::int32_t rank, double start_unix) const {
    std::string any;
    std::string started_before;
    for (const Session& session : sessions_) {
      const auto found = session.hosts.find(rank);
      if (found == session.hosts.end()) continue;
      any = found->second;
      if (!std::isnan(session.started_unix) && session.started_unix <= start_unix) {
        started_before = found->second;
      }
    }
    return started_before.empty() ? any : started_before;
  }

 private:
  struct Session {
    double started_unix;
    std::map<std::int32_t, std::string> hosts;
  };
  std::vector<Session> sessions_;
};

// Seconds with 3 decimals; "" when not finite.
std::string seconds_text(double seconds) {
  return std::isfinite(seconds) ? fmt::format("{:.3f}", seconds) : std::string();
}

double milliseconds_rounded(double seconds) {
  return std::round(seconds * 1000) / 1000;
}

// "2024-05-01T12:34:56.789Z"; "" for a time no calendar shows.
std::string iso_time_text(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || unix_seconds < 0 || unix_seconds > 253402300799.0) {
    return "";
  }
  double whole = 0;
  const double fraction = std::modf(unix_seconds, &whole);
  auto milliseconds = static_cast<int>(std::lround(fraction * 1000));
  auto seconds = static_cast<std::time_t>(whole);
  if (milliseconds == 1000) {
    milliseconds = 0;
    ++seconds;
  }
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return "";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", text, milliseconds);
}

std::string gpus_text(const std::vector<std::string>& gpus) {
  return fmt::format("{}", fmt::join(gpus, ","));
}

// The row's fields in attempt_log_columns() order, as text ("" when unknown).
std::vector<std::string> text_fields(const AttemptRow& row) {
  const double runtime = row.end_unix - row.start_unix;
  const bool measured = row.usage.has_value();
  return {
      std::to_string(static_cast<std::uint64_t>(row.subtask) + 1),
      row.host,
      seconds_text(row.start_unix),
      seconds_text(runtime),
      "0",
      "0",
      std::to_string(row.exit_value),
      std::to_string(row.signal),
      row.command,
      std::to_string(row.subtask),
      row.line ? std::to_string(*row.line) : std::string(),
      std::to_string(row.attempt),
      std::to_string(row.rank),
      std::to_string(row.thread),
      iso_time_text(row.start_unix),
      state_text(row),
      std::string(to_string(row.reason)),
      row.detail,
      row.cores > 0 ? std::to_string(row.cores) : std::string(),
      gpus_text(row.gpus),
      measured && row.usage->max_rss_bytes > 0 ? std::to_string(row.usage->max_rss_bytes)
                                               : std::string(),
      measured ? seconds_text(row.usage->user_cpu_seconds) : std::string(),
      measured ? seconds_text(row.usage->system_cpu_seconds) : std::string(),
      row.name,
  };
}

nlohmann::ordered_json json_row(const AttemptRow& row) {
  using nlohmann::ordered_json;
  const auto number_or_null = [](double value) {
    return std::isfinite(value) ? ordered_json(milliseconds_rounded(value)) : ordered_json(nullptr);
  };
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? ordered_json(nullptr) : ordered_json(text);
  };
  const bool measured = row.usage.has_value();
  return {
      {"Seq", static_cast<std::uint64_t>(row.subtask) + 1},
      {"Host", text_or_null(row.host)},
      {"Starttime", number_or_null(row.start_unix)},
      {"JobRuntime", number_or_null(row.end_unix - row.start_unix)},
      {"Send", 0},
      {"Receive", 0},
      {"Exitval", row.exit_value},
      {"Signal", row.signal},
      {"Command", text_or_null(row.command)},
      {"subtask", row.subtask},
      {"line", row.line ? ordered_json(*row.line) : ordered_json(nullptr)},
      {"attempt", row.attempt},
      {"rank", row.rank},
      {"thread", row.thread},
      {"start_iso", text_or_null(iso_time_text(row.start_unix))},
      {"state", state_text(row)},
      {"reason", std::string(to_string(row.reason))},
      {"detail", text_or_null(row.detail)},
      {"cores", row.cores > 0 ? ordered_json(row.cores) : ordered_json(nullptr)},
      {"gpus", row.gpus},
      {"max_rss_bytes", measured && row.usage->max_rss_bytes > 0
                            ? ordered_json(row.usage->max_rss_bytes)
                            : ordered_json(nullptr)},
      {"user_cpu_seconds",
       measured ? number_or_null(row.usage->user_cpu_seconds) : ordered_json(nullptr)},
      {"system_cpu_seconds",
       measured ? number_or_null(row.usage->system_cpu_seconds) : ordered_json(nullptr)},
      {"name", text_or_null(row.name)},
  };
}

std::string tsv_field(const std::string& text) {
  std::string field;
  field.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
        field += "\\\\";
        break;
      case '\t':
        field += "\\t";
        break;
      case '\n':
        field += "\\n";
        break;
      case '\r':
        field += "\\r";
        break;
      default:
        field += c;
    }
  }
  return field;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string field = "\"";
  for (const char c : text) {
    if (c == '"') field += '"';
    field += c;
  }
  return field + "\"";
}

void write_delimited(std::ostream& out, const std::vector<std::string>& fields, LogFormat format) {
  const char* separator = format == LogFormat::tsv ? "\t" : ",";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << separator;
    out << (format == LogFormat::tsv ? tsv_field(fields[i]) : csv_field(fields[i]));
  }
  out << (format == LogFormat::tsv ? "\n" : "\r\n");
}

}  // namespace

std::vector<AttemptRow> attempt_rows(const JournalContents& journal, const JobCommands& commands) {
  const JournalHistory history = replay(journal);
  const HostFinder hosts(history.sessions);
  std::vector<AttemptRow> rows;
  for_each_attempt(journal, [&](const JournalAttempt& attempt) {
    AttemptRow row;
    row.subtask = attempt.subtask;
    row.line = commands.line(attempt.subtask, attempt.key);
    row.attempt = attempt.attempt;
    row.rank = attempt.rank;
    row.host = hosts.host(attempt.rank, attempt.start_unix);
    row.thread = attempt.thread;
    row.start_unix = attempt.start_unix;
    row.end_unix = attempt.end_unix;
    row.state = attempt.state;
    row.retried = attempt.retried;
    row.reason = attempt.reason;
    if (attempt.state != SubtaskState::done) {
      row.detail = text_of(attempt.payload);
      const ExitDetail ending = parse_exit_detail(row.detail);
      row.exit_value = ending.exit_status.value_or(-1);
      row.signal = ending.signal.value_or(0);
    }
    row.command = commands.command(attempt.subtask, attempt.key);
    row.name = commands.name(attempt.subtask, attempt.key);
    row.cores = attempt.cores;
    row.gpus = attempt.gpus;
    row.usage = attempt.usage;
    rows.push_back(std::move(row));
  });
  std::stable_sort(rows.begin(), rows.end(), [](const AttemptRow& a, const AttemptRow& b) {
    const bool a_known = std::isfinite(a.start_unix);
    const bool b_known = std::isfinite(b.start_unix);
    if (a_known != b_known) return a_known;
    if (a_known && a.start_unix != b.start_unix) return a.start_unix < b.start_unix;
    if (a.subtask != b.subtask) return a.subtask < b.subtask;
    return a.attempt < b.attempt;
  });
  return rows;
}

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "tsv") return LogFormat::tsv;
  if (name == "csv") return LogFormat::csv;
  if (name == "jsonl") return LogFormat::jsonl;
  return std::nullopt;
}

const std::vector<std::string>& attempt_log_columns() {
  static const std::vector<std::string> columns = {"Seq",
                                                   "Host",
                                                   "Starttime",
                                                   "JobRuntime",
                                                   "Send",
                                                   "Receive",
                                                   "Exitval",
                                                   "Signal",
                                                   "Command",
                                                   "subtask",
                                                   "line",
                                                   "attempt",
                                                   "rank",
                                                   "thread",
                                                   "start_iso",
                                                   "state",
                                                   "reason",
                                                   "detail",
                                                   "cores",
                                                   "gpus",
                                                   "max_rss_bytes",
                                                   "user_cpu_seconds",
                                                   "system_cpu_seconds",
                                                   "name"};
  return columns;
}

void write_attempt_log(std::ostream& out, const std::vector<AttemptRow>& rows, LogFormat format) {
  if (format == LogFormat::jsonl) {
    for (const AttemptRow& row : rows) {
      out << json_row(row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    return;
  }
  write_delimited(out, attempt_log_columns(), format);
  for (const AttemptRow& row : rows) write_delimited(out, text_fields(row), format);
}

std::string write_journal_log(const std::string& journal_path, std::ostream& out,
                              LogFormat format) {
  const JournalContents journal = read_journal(journal_path);
  std::optional<std::string> problem;
  const JobCommands commands =
      journal.fingerprint.empty()
          ? JobCommands()
          : recorded_job_commands(read_recorded_job(journal.fingerprint), journal_path, problem,
                                  recorded_task_format(journal));
  write_attempt_log(out, attempt_rows(journal, commands), format);
  std::string warning = journal.warning.value_or("");
  if (problem) {
    warning +=
        (warning.empty() ? "" : "; ") + *problem + ": the Command and line columns are empty";
  }
  return warning;
}

}  // namespace tasktrack
