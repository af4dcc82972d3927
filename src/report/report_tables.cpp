#include "report/report_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/resources.hpp"
#include "journal/fingerprint.hpp"
#include "report/report_time_axis.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack::report_html {
namespace {

constexpr std::size_t max_failure_rows = 2000;
constexpr std::size_t max_capped_rows = 2000;
constexpr std::size_t largest_rows = 10;
// How much of a failed task's command the page shows (issue 12).
constexpr std::size_t command_shown = 120;

// "12 (line 13)" for a task list's subtask whose line is known, "12 lr-0.1 (line 13)" when
// the task has a name, else the id.
std::string subtask_cell(const Report& report, const JournalAttempt& record) {
  const TaskLine* task = command_of(report, record);
  if (task == nullptr) return std::to_string(record.subtask);
  if (!task->name.empty()) {
    return fmt::format("{} {} (line {})", record.subtask, task->name, task->line_number);
  }
  return fmt::format("{} (line {})", record.subtask, task->line_number);
}

}  // namespace

void write_job_section(Buffer& html, const Report& report) {
  html.append(std::string_view("<h2>Job</h2>\n<table class=\"kv\">\n"));
  const auto row = [&](std::string_view key, const std::string& value) {
    fmt::format_to(std::back_inserter(html), "<tr><th>{}</th><td>{}</td></tr>\n", key, value);
  };
  if (!report.task_file.empty()) {
    row("task list", "<code>" + escape(report.task_file) + "</code>");
  } else {
    row("kernel", escape(report.kernel));
  }
  if (report.range) {
    row("range", fmt::format("[{}, {}) \xC2\xB7 {} elements", report.range->lo, report.range->hi,
                             with_commas(range_size(*report.range))));
  }
  if (report.total) row("subtasks", with_commas(*report.total));
  if (!report.params.empty()) {
    std::string text;
    for (const auto& [name, value] : report.params) {
      text += fmt::format("{}<code>{}</code>", text.empty() ? "" : " ", escape(name + "=" + value));
    }
    row("params", text);
  }
  row("fingerprint",
      fmt::format("{} <code>{}</code>", escape(fingerprint_digest(report.journal->fingerprint)),
                  escape(shorten(valid_utf8(report.journal->fingerprint), 600))));
  row("journal", "<code>" + escape(report.journal_path) + "</code>");
  if (!report.bars.empty()) {
    row("first start", escape(utc_text(report.t0)));
    row("last end", escape(utc_text(report.t1)));
  }
  html.append(std::string_view("</table>\n"));

  if (report.journal->sessions.empty()) return;
  html.append(std::string_view(
      "<h3>Sessions</h3>\n<p class=\"note\">Each run of the job with this journal is a session; a "
      "resumed session does not run again what an earlier one finished.</p>\n"
      "<table><tr><th class=\"num\">#</th><th>started</th><th class=\"num\">ranks</th>"
      "<th class=\"num\">workers</th><th class=\"num\">threads</th><th class=\"num\">resumed"
      "</th><th>Slurm job</th><th class=\"num\">records</th><th class=\"num\">span</th></tr>\n"));
  for (std::size_t i = 0; i < report.journal->sessions.size(); ++i) {
    const SessionInfo& session = report.sessions[i];
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                   "<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                   i + 1, escape(utc_text(session.started)), session.ranks, session.workers,
                   session.threads, with_commas(session.resumed),
                   session.slurm_job_id.empty() ? "\xE2\x80\x94" : escape(session.slurm_job_id),
                   with_commas(session.records),
                   session.has_records() ? escape(seconds_text(session.last - session.first))
                                         : "\xE2\x80\x94");
  }
  html.append(std::string_view("</table>\n"));
}

void write_rank_table(Buffer& html, const Report& report) {
  html.append(std::string_view(
      "<h2>Per rank</h2>\n<p class=\"note\">Hosts and threads from the latest session that "
      "names the rank. <b>done</b> and <b>failed</b> count the records of attempts that rank ran "
      "(failed: failed for good); <b>busy</b> is their summed duration and <b>utilization</b> "
      "busy / (threads \xC3\x97 the span of the sessions it ran in). First and last are the "
      "first attempt's start and the last attempt's end, from the first record of the job. A "
      "lost worker is not recorded as such: its rows end early, and what it had not finished "
      "shows up on the ranks it was reassigned to.</p>\n"
      "<table id=\"ranks\"><tr><th class=\"num\">rank</th><th>host</th><th class=\"num\">threads"
      "</th><th class=\"num\">done</th><th class=\"num\">failed</th><th class=\"num\">busy</th>"
      "<th class=\"num\">utilization</th><th class=\"num\">first</th><th class=\"num\">last</th>"
      "</tr>\n"));
  for (const auto& [rank, stats] : report.ranks) {
    double span = 0;
    for (const std::size_t session : stats.sessions) {
      span += report.sessions[session].last - report.sessions[session].first;
    }
    const std::uint64_t threads = rank_threads(stats);
    const bool ran = stats.done + stats.failed > 0;
    fmt::format_to(
        std::back_inserter(html),
        "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
        "</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        rank, stats.host.empty() ? "?" : escape(stats.host), threads, with_commas(stats.done),
        stats.failed > 0 ? " bad" : "", with_commas(stats.failed), escape(seconds_text(stats.busy)),
        ran && span > 0 && threads > 0
            ? percent_text(stats.busy / (span * static_cast<double>(threads)))
            : "\xE2\x80\x94",
        ran ? escape(elapsed_label(stats.first - report.t0, 0.01, true)) : "\xE2\x80\x94",
        ran ? escape(elapsed_label(stats.last - report.t0, 0.01, true)) : "no records");
  }
  html.append(std::string_view("</table>\n"));
}

void write_failures(Buffer& html, const Report& report) {
  html.append(std::string_view("<h2>Failures</h2>\n"));
  if (report.failures.empty()) {
    html.append(std::string_view(
        report.failed_records > 0
            ? "<p class=\"note\">No subtask is failed: every one that failed for good was done "
              "in a later session.</p>\n"
            : "<p class=\"note\">No subtask failed for good.</p>\n"));
    return;
  }
  std::map<std::string_view, std::uint64_t> by_reason;
  for (const JournalAttempt* failure : report.failures) ++by_reason[to_string(failure->reason)];
  std::string reasons;
  for (const auto& [reason, count] : by_reason) {
    reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", with_commas(count), reason);
  }
  fmt::format_to(std::back_inserter(html),
                 "<p class=\"note\">{} failed for good ({}). <b>attempts</b> is how many it was "
                 "given in its last session; <b>detail</b> is the first line of what the kernel "
                 "reported.{}</p>\n",
                 plural(report.failures.size(), "subtask", "subtasks"), escape(reasons),
                 report.failures.size() > max_failure_rows
                     ? fmt::format(" The first {} are listed.", with_commas(max_failure_rows))
                     : "");
  const bool commands = !report.tasks.empty();
  fmt::format_to(std::back_inserter(html),
                 "<table id=\"failures\"><tr><th class=\"num\">subtask</th><th class=\"num\">"
                 "attempts</th><th>reason</th><th class=\"num\">rank</th><th class=\"num\">at"
                 "</th><th>detail</th>{}</tr>\n",
                 commands ? "<th>command</th>" : "");
  for (std::size_t i = 0; i < std::min(report.failures.size(), max_failure_rows); ++i) {
    const JournalAttempt& failure = *report.failures[i];
    const bool timed = std::isfinite(failure.start_unix) && !report.bars.empty();
    std::string command;
    if (commands) {
      const TaskLine* task = command_of(report, failure);
      command = fmt::format(
          "<td class=\"detail\">{}</td>",
          task != nullptr ? escape(shorten(task->text, command_shown)) : "(line changed or gone)");
    }
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"detail\">{}</td>"
                   "{}</tr>\n",
                   escape(subtask_cell(report, failure)),
                   static_cast<std::uint64_t>(failure.attempt) + 1,
                   escape(to_string(failure.reason)), failure.rank,
                   timed ? escape(elapsed_label(failure.start_unix - report.t0, 0.01, true)) : "?",
                   escape(first_line(failure.payload, 300)), command);
  }
  html.append(std::string_view("</table>\n"));
}

void write_capped(Buffer& html, const Report& report) {
  if (report.capped.empty()) return;
  fmt::format_to(std::back_inserter(html),
                 "<h2>Capped output</h2>\n<p class=\"note\">{} passed <code>--output-limit"
                 "</code>: the head and the tail of the stream were kept, the middle dropped.{}"
                 "</p>\n<table id=\"capped\"><tr><th class=\"num\">subtask</th><th class=\"num\">"
                 "attempt</th><th>state</th><th class=\"num\">rank</th></tr>\n",
                 plural(report.capped.size(), "attempt's output", "attempts' output"),
                 report.capped.size() > max_capped_rows
                     ? fmt::format(" The first {} are listed.", with_commas(max_capped_rows))
                     : "");
  for (std::size_t i = 0; i < std::min(report.capped.size(), max_capped_rows); ++i) {
    const JournalAttempt& record = *report.capped[i];
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>"
                   "<td class=\"num\">{}</td></tr>\n",
                   escape(subtask_cell(report, record)), record.attempt,
                   escape(to_string(record.state)), record.rank);
  }
  html.append(std::string_view("</table>\n"));
}

void write_largest(Buffer& html, const Report& report) {
  if (report.by_memory.empty()) return;
  const double ratio =
      report.measured_seconds > 0 ? report.measured_cpu / report.measured_seconds : 0;
  fmt::format_to(std::back_inserter(html),
                 "<h2>Largest attempts by peak memory</h2>\n<p class=\"note\">Peak resident "
                 "memory as the attempt's process reported it (rusage). Over the {} measured: "
                 "{:.1f} CPU s in {} of run time, CPU/wall {:.2f}.</p>\n"
                 "<table id=\"largest\"><tr><th class=\"num\">subtask</th><th class=\"num\">"
                 "attempt</th><th class=\"num\">rank</th><th class=\"num\">cores</th>"
                 "<th class=\"num\">peak memory</th><th class=\"num\">CPU s</th>"
                 "<th class=\"num\">CPU/wall</th></tr>\n",
                 plural(report.measured_records, "attempt", "attempts"), report.measured_cpu,
                 seconds_text(report.measured_seconds), ratio);
  for (std::size_t i = 0; i < std::min(report.by_memory.size(), largest_rows); ++i) {
    const JournalAttempt& record = *report.by_memory[i];
    const double cpu = record.usage->user_cpu_seconds + record.usage->system_cpu_seconds;
    const double seconds = record.end_unix - record.start_unix;
    fmt::format_to(
        std::back_inserter(html),
        "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
        "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">"
        "{:.3f}</td><td class=\"num\">{}</td></tr>\n",
        escape(subtask_cell(report, record)), record.attempt, record.rank,
        record.cores > 0 ? std::to_string(record.cores) : "-",
        escape(describe_bytes(record.usage->max_rss_bytes)), cpu,
        std::isfinite(seconds) && seconds > 0 ? fmt::format("{:.2f}", cpu / seconds) : "-");
  }
  html.append(std::string_view("</table>\n"));
}

void write_slowest(Buffer& html, const Report& report) {
  if (report.bars.empty()) return;
  std::vector<const Bar*> slowest;
  for (const Bar& bar : report.bars) slowest.push_back(&bar);
  const std::size_t shown = std::min<std::size_t>(10, slowest.size());
  std::partial_sort(slowest.begin(), slowest.begin() + static_cast<std::ptrdiff_t>(shown),
                    slowest.end(),
                    [](const Bar* a, const Bar* b) { return a->seconds() > b->seconds(); });
  html.append(std::string_view(
      "<h2>Slowest attempts</h2>\n<table id=\"slowest\"><tr><th class=\"num\">subtask</th>"
      "<th class=\"num\">attempt</th><th>state</th><th class=\"num\">rank</th><th class=\"num\">"
      "thread</th><th class=\"num\">duration</th></tr>\n"));
  for (std::size_t i = 0; i < shown; ++i) {
    const JournalAttempt& record = *slowest[i]->record;
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                   "</tr>\n",
                   record.subtask, static_cast<std::uint64_t>(record.attempt) + 1,
                   record.state == SubtaskState::done ? "" : "bad",
                   record.state == SubtaskState::done
                       ? std::string("done")
                       : "failed (" + std::string(to_string(record.reason)) + ")",
                   record.rank, record.thread, escape(seconds_text(slowest[i]->seconds())));
  }
  html.append(std::string_view("</table>\n"));
}

}  // namespace tasktrack::report_html
