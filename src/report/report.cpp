// The HTML report: the journal replayed (replay.hpp), a model of the job built from that
// history (report_model.hpp), then the page written from it: cards and tables
// (report_tables.hpp) and charts as inline SVG (report_charts.hpp). Nothing on the page is
// fetched: the page has no script and a Content-Security-Policy that forbids every fetch.
#include "report/report.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string_view>

#include "journal/journal_reader.hpp"
#include "journal/replay.hpp"
#include "report/report_charts.hpp"
#include "report/report_model.hpp"
#include "report/report_tables.hpp"
#include "report/report_text.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using namespace report_html;

// Bars of the memory chart: one per attempt, so an even sample of a large job's.
constexpr std::size_t max_memory_bars = 2000;

constexpr std::string_view style = R"(
:root{--done:#4e79a7;--failed:#e15759;--ink:#1f2933;--muted:#52606d;--line:#d9dee3;
--band:#f3f5f8;--area:#9cc3e4;--area-line:#2f6b9a}
*{box-sizing:border-box}
body{margin:0;background:#f7f8fa;color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:12px 24px 48px}
h1{font-size:22px;margin:10px 0 2px}
h2{font-size:17px;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
.sub,.note{color:var(--muted);font-size:13px;max-width:980px}
.warn{background:#fff4e5;border:1px solid #f0b264;border-radius:6px;padding:8px 12px;color:#6b4200}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .k{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:21px;font-weight:600;margin:2px 0;overflow-wrap:anywhere}
.card .n{font-size:12.5px;color:var(--muted);overflow-wrap:anywhere}
.bad{color:#b3261e;font-weight:600}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);font-size:13px;margin:6px 0}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.detail{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
overflow-wrap:anywhere;max-width:640px}
table.kv th{width:120px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;
overflow-wrap:anywhere}
.legend{font-size:13px;color:var(--muted);margin:4px 0 6px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;
margin:0 5px 0 14px}
.legend i.d{background:var(--done)}.legend i.f{background:var(--failed)}
.legend i.a{background:var(--area)}
svg.chart{display:block;width:100%;height:auto;background:#fff;border:1px solid var(--line);
border-radius:6px}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:var(--muted)}
svg .d{fill:var(--done)}svg .f{fill:var(--failed)}
svg .d:hover,svg .f:hover{stroke:#111;stroke-width:1}
svg .band{fill:var(--band)}
svg .hover{fill:transparent}
svg .grid{stroke:#e6e9ed;stroke-width:1}
svg .axis{stroke:#9aa5b1;stroke-width:1}
svg .session{stroke:#7b8794;stroke-dasharray:4 3;fill:#3e4c59}
svg .break rect{fill:#eef0f3}svg .break path{stroke:#7b8794;stroke-width:1.5;fill:none}
svg .area{fill:var(--area);stroke:var(--area-line);stroke-width:1}
svg .capacity{stroke:#b3261e;stroke-dasharray:6 4;fill:#b3261e}
svg g:hover rect.d,svg g:hover rect.f{opacity:.8}
footer{margin-top:36px;color:var(--muted);font-size:12.5px;max-width:980px}
)";

}  // namespace

void write_html_report(const JournalContents& journal, const std::string& journal_path,
                       std::ostream& out) {
  const JournalHistory history = replay(journal);
  const Report report = build_report(history, journal_path);
  Buffer html;
  const std::string title =
      report.task_file.empty()
          ? fmt::format("tasktrack report: {}{}", report.kernel,
                        report.total ? ", " + with_commas(*report.total) + " subtasks" : "")
          : "tasktrack report: task list " + report.task_file;
  // No script, and a policy that forbids fetching anything: the page is all there is.
  fmt::format_to(std::back_inserter(html),
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n<title>{}</title>\n<style>{}</style>\n</head>\n"
                 "<body>\n<main>\n<h1>{}</h1>\n<p class=\"sub\">From the journal <code>{}</code> "
                 "alone: {}, {}.</p>\n",
                 escape(title), style, escape(title), escape(journal_path),
                 plural(report.records.size(), "attempt", "attempts"),
                 plural(journal.sessions.size(), "session", "sessions"));
  if (journal.warning) {
    fmt::format_to(std::back_inserter(html), "<p class=\"warn\">Journal damaged: {}</p>\n",
                   escape(*journal.warning));
  }
  if (journal.fingerprint.empty()) {
    html.append(std::string_view(
        "<p class=\"warn\">This journal is empty: the job that created it has not written its "
        "header yet.</p>\n"));
  }
  if (report.unusable_records > 0) {
    fmt::format_to(std::back_inserter(html),
                   "<p class=\"warn\">{} had no usable start or end time: the charts leave them "
                   "out; the counts include them.</p>\n",
                   plural(report.unusable_records, "record", "records"));
  }
  if (report.run_subtasks > 0) {
    fmt::format_to(std::back_inserter(html),
                   "<p class=\"note\">{} were recorded in runs (consecutive fast subtasks of one "
                   "thread, recorded together with one time span): the charts spread each run's "
                   "span evenly over its subtasks.</p>\n",
                   plural(report.run_subtasks, "attempt", "attempts"));
  }
  write_headline(html, report);
  write_job_section(html, report);

  html.append(std::string_view(
      "<h2>Attempts per worker thread</h2>\n<p class=\"note\">One row per worker thread (rank "
      "\xC2\xB7 thread), one bar per recorded attempt from its start to its end; hover a bar for "
      "its subtask, attempt, duration and, for a failure, its reason. Time runs from the first "
      "attempt's start.</p>\n<div class=\"legend\"><i class=\"d\"></i>done<i class=\"f\"></i>"
      "failed for good</div>\n"));
  write_gantt(html, report, report_max_gantt_bars);
  if (report.gpu_records > 0) {
    html.append(std::string_view(
        "<h2>Attempts per GPU</h2>\n<p class=\"note\">One row per GPU of a worker (rank "
        "\xC2\xB7 GPU id, as CUDA_VISIBLE_DEVICES named it), one bar on each GPU an attempt was "
        "given; no two bars on a row overlap. GPUs no attempt used are empty rows.</p>\n"
        "<div class=\"legend\"><i class=\"d\"></i>done<i class=\"f\"></i>failed for "
        "good</div>\n"));
    write_gpu_gantt(html, report, report_max_gantt_bars);
  }

  html.append(std::string_view(
      "<h2>Busy threads over time</h2>\n<p class=\"note\">Threads running a recorded attempt, "
      "averaged over short intervals; the dashed line is the worker threads the session "
      "had.</p>\n<div class=\"legend\"><i class=\"a\"></i>busy threads</div>\n"));
  write_utilization(html, report);

  html.append(
      std::string_view("<h2>Attempt durations</h2>\n<div class=\"legend\"><i class=\"d\"></i>done"
                       "<i class=\"f\"></i>failed for good</div>\n"));
  write_histogram(html, report);

  if (!report.by_memory.empty()) {
    html.append(std::string_view(
        "<h2>Peak memory per attempt</h2>\n<p class=\"note\">Each measured attempt's peak "
        "resident memory (rusage of its command), in subtask order.</p>\n<div class=\"legend\">"
        "<i class=\"d\"></i>done<i class=\"f\"></i>failed for good</div>\n"));
    write_memory(html, report, max_memory_bars);
  }

  write_rank_table(html, report);
  write_failures(html, report);
  write_capped(html, report);
  write_largest(html, report);
  write_slowest(html, report);

  html.append(std::string_view(
      "<footer>What a journal does not record: attempts that failed and were retried (a record "
      "is a done attempt or one that failed for good; its attempt number tells how many came "
      "before), lost workers and reassignments, duplicates, and the kernel's reduced result. "
      "<code>tasktrack run --summary-json</code> has those for the run that wrote it.</footer>\n"
      "</main>\n</body>\n</html>\n"));
  out.write(html.data(), static_cast<std::streamsize>(html.size()));
}

int run_report_command(const std::string& journal_path, const std::string& html_path) {
  const auto fail = [](const std::string& message) {
    std::cout.flush();
    fmt::print(stderr, "tasktrack: error: {}\n", message);
    std::fflush(stderr);
    return static_cast<int>(exit_failed_subtasks);
  };
  JournalContents journal;
  try {
    journal = read_journal(journal_path);
  } catch (const SystemError& error) {
    return fail(error.what());
  }
  if (journal.warning) {
    fmt::print(stderr, "tasktrack: warning: {}\n", *journal.warning);
    std::fflush(stderr);
  }

  // Written beside the target and renamed into place: a reader sees the old page or the new.
  const std::string partial = html_path + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw UsageError(
        fmt::format("report: cannot write --html file '{}': {}", html_path, std::strerror(errno)));
  }
  write_html_report(journal, journal_path, out);
  out.close();
  std::error_code error;
  if (!out) {
    std::filesystem::remove(partial, error);
    return fail("write " + partial + ": " + std::strerror(errno));
  }
  std::filesystem::rename(partial, html_path, error);
  if (error) {
    const std::string message = "rename " + partial + " to " + html_path + ": " + error.message();
    std::filesystem::remove(partial, error);
    return fail(message);
  }
  std::uint64_t attempts = journal.attempts.size();
  for (const JournalRun& run : journal.runs) attempts += run.values.size();
  const auto size = std::filesystem::file_size(html_path, error);
  std::cout << fmt::format("tasktrack: wrote the report of {} ({} KiB) to {}\n",
                           plural(attempts, "attempt", "attempts"),
                           error ? 0 : (size + 1023) / 1024, html_path);
  return exit_success;
}

}  // namespace tasktrack
