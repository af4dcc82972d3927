#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "report/report_tables.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack::report_html {
namespace {

void write_card(Buffer& html, std::string_view key, const std::string& value,
                const std::string& note, std::string_view value_class = "") {
  fmt::format_to(std::back_inserter(html),
                 "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v{}{}\">{}</div>"
                 "<div class=\"n\">{}</div></div>\n",
                 key, value_class.empty() ? "" : " ", value_class, value, note);
}

// The result, where the journal alone gives it: its values are per subtask, its reduction
// is not recorded. For the kernels whose result is the sum of those values (or, for pi,
// 4 hits / samples) it is shown; otherwise the page says it is not recorded.
std::pair<std::string, std::string> result_text(const Report& report) {
  const bool complete = report.total && report.done_subtasks == *report.total;
  const std::string partial =
      report.total ? fmt::format("partial: from the {} of {} subtasks done",
                                 with_commas(report.done_subtasks), with_commas(*report.total))
                   : "from the subtasks done";
  if (!report.task_file.empty()) return {"\xE2\x80\x94", "a task list has no reduced result"};
  if (report.value_overflow) {
    return {"not recorded", "the kernel's reduction is not in the journal"};
  }
  if (report.kernel == "primes" || report.kernel == "noop") {
    const std::string unit = report.kernel == "primes" ? "primes" : "elements";
    return {with_commas(report.value_sum),
            complete ? unit + ": the sum of the per-subtask counts" : unit + ", " + partial};
  }
  if (report.kernel == "pi" && report.done_elements > 0) {
    const double estimate =
        4.0 * static_cast<double>(report.value_sum) / static_cast<double>(report.done_elements);
    return {fmt::format("\xCF\x80 \xE2\x89\x88 {:.6f}", estimate),
            fmt::format("{} hits in {} samples{}", with_commas(report.value_sum),
                        with_commas(report.done_elements), complete ? "" : "; " + partial)};
  }
  return {"not recorded", fmt::format("the journal holds per-subtask values (they sum to {}), not "
                                      "the {} kernel's reduction",
                                      with_commas(report.value_sum), escape(report.kernel))};
}

}  // namespace

void write_headline(Buffer& html, const Report& report) {
  html.append(std::string_view("<section class=\"cards\">\n"));
  std::string job_note;
  if (!report.task_file.empty()) {
    job_note = "task list " + escape(report.task_file);
  } else {
    if (report.range) job_note = fmt::format("range {}:{}", report.range->lo, report.range->hi);
    for (const auto& [name, value] : report.params) {
      job_note += (job_note.empty() ? "" : " \xC2\xB7 ") + escape(name + "=" + value);
    }
  }
  write_card(html, "job", escape(report.kernel), job_note);

  const std::uint64_t finished = report.done_subtasks + report.failed_subtasks;
  const std::string total = report.total ? with_commas(*report.total) : "?";
  std::string subtasks_note =
      fmt::format("<span class=\"{}\">{} failed for good</span>",
                  report.failed_subtasks > 0 ? "bad" : "", with_commas(report.failed_subtasks));
  if (report.total) {
    subtasks_note += fmt::format(
        " \xC2\xB7 {} not finished",
        with_commas(*report.total > finished ? *report.total - finished : std::uint64_t{0}));
  }
  write_card(html, "subtasks done", with_commas(report.done_subtasks) + " / " + total,
             subtasks_note);

  std::uint64_t sessions_with_records = 0;
  for (const SessionInfo& session : report.sessions) sessions_with_records += session.has_records();
  write_card(
      html, "wall span", report.bars.empty() ? "\xE2\x80\x94" : seconds_text(report.t1 - report.t0),
      sessions_with_records > 1 ? fmt::format("{} of it running, in {} sessions",
                                              seconds_text(report.active), sessions_with_records)
                                : "first attempt's start to last attempt's end");

  std::uint64_t capacity = 0;
  for (const SessionInfo& session : report.sessions) {
    if (session.has_records()) capacity = std::max(capacity, session.threads);
  }
  const double mean_busy = report.active > 0 ? report.busy / report.active : 0;
  write_card(html, "busy time", seconds_text(report.busy),
             capacity > 0
                 ? fmt::format("{:.1f} of {} threads busy on average ({})", mean_busy, capacity,
                               percent_text(mean_busy / static_cast<double>(capacity)))
                 : fmt::format("{:.1f} threads busy on average", mean_busy));

  write_card(html, "attempts recorded",
             with_commas(static_cast<std::uint64_t>(report.records.size())),
             fmt::format("{} failed \xC2\xB7 {} after a retry", with_commas(report.failed_records),
                         with_commas(report.retried_records)));

  const SessionInfo* latest = nullptr;
  for (const SessionInfo& session : report.sessions) {
    if (session.ranks > 0 || session.workers > 0) latest = &session;
  }
  if (latest != nullptr) {
    write_card(html, "ranks", with_commas(latest->ranks),
               fmt::format("{} \xC2\xB7 {} in all (latest session)",
                           plural(latest->workers, "worker", "workers"),
                           plural(latest->threads, "thread", "threads")));
  } else {
    write_card(html, "ranks", with_commas(static_cast<std::uint64_t>(report.ranks.size())),
               "ranks with records (no session record)");
  }
  const auto [result, result_note] = result_text(report);
  write_card(html, "result", result, result_note);
  write_card(html, "sessions",
             with_commas(static_cast<std::uint64_t>(report.journal->sessions.size())),
             report.journal->sessions.size() > 1 ? "the job was resumed" : "one run, not resumed");
  html.append(std::string_view("</section>\n"));
}

}  // namespace tasktrack::report_html
