// The HTML report (report.hpp): a synthetic journal in, one self-contained, escaped,
// well-nested page out; and the `report` subcommand's command line.
#include "report/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_line.hpp"
#include "commands/task_list.hpp"
#include "journal/journal.hpp"
#include "tasktrack/error.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double job_start = 1700000000.0;

std::vector<std::byte> bytes_of(const std::string& text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

JournalAttempt attempt_of(SubtaskId subtask, std::int32_t rank, std::uint16_t thread, double start,
                          double seconds) {
  JournalAttempt attempt;
  attempt.subtask = subtask;
  attempt.state = SubtaskState::done;
  attempt.rank = rank;
  attempt.thread = thread;
  attempt.start_unix = job_start + start;
  attempt.end_unix = job_start + start + seconds;
  attempt.value = 10;
  return attempt;
}

const std::string script_detail = "<script>alert('x')</script> & more\nsecond line of the detail";
const std::string script_detail_escaped =
    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more";

// A job of 40 subtasks on 2 worker ranks x 2 threads (plus rank 0, the coordinator), four
// attempts of 80 ms every 100 ms. Subtasks 7 and 21 failed for good; 14 was done at its third
// attempt (the two failed ones before it are not journaled).
JournalContents synthetic_journal() {
  JournalContents journal;
  journal.fingerprint =
      R"({"kernel":"failing","params":{"every":"7"},"range":[0,400],"subtasks":40})";
  journal.sessions.push_back(
      json{{"started_unix", job_start - 0.5},
           {"ranks", 3},
           {"workers", json::array({json{{"rank", 1}, {"host", "node<a>&1"}, {"threads", 2}},
                                    json{{"rank", 2}, {"host", "node-2"}, {"threads", 2}}})},
           {"resumed", 0}});
  for (SubtaskId id = 0; id < 40; ++id) {
    const std::int32_t rank = 1 + static_cast<std::int32_t>(id % 2);
    const auto thread = static_cast<std::uint16_t>(id / 2 % 2);
    JournalAttempt attempt = attempt_of(id, rank, thread, 0.1 * (id / 4), 0.08);
    if (id == 7) {
      attempt.state = SubtaskState::failed;
      attempt.reason = FailureReason::exception;
      attempt.attempt = 2;
      attempt.payload = bytes_of(script_detail);
    } else if (id == 21) {
      attempt.state = SubtaskState::failed;
      attempt.reason = FailureReason::timeout;
      attempt.attempt = 1;
      attempt.payload = bytes_of("timed out & gave up");
    } else if (id == 14) {
      attempt.attempt = 2;
    }
    journal.attempts.push_back(attempt);
  }
  return journal;
}

std::string report_of(const JournalContents& journal, const std::string& path = "job.journal") {
  std::ostringstream out;
  write_html_report(journal, path, out);
  return out.str();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// The text of the element that starts with `opening` (up to its closing `</svg>`).
std::string svg_with_id(const std::string& html, const std::string& id) {
  const auto begin = html.find("<svg id=\"" + id + "\"");
  if (begin == std::string::npos) return "";
  const auto end = html.find("</svg>", begin);
  return html.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// Checks that every element is closed, in order: a stack of open tags over the page. The page
// escapes all text, so every '<' starts a tag (the style sheet has none).
::testing::AssertionResult well_nested(const std::string& html) {
  static const std::set<std::string> void_elements{"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  for (auto at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    const auto end = html.find('>', at);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed tag at " << at;
    const std::string tag = html.substr(at + 1, end - at - 1);
    if (tag.rfind("!DOCTYPE", 0) == 0) continue;
    const bool closing = !tag.empty() && tag[0] == '/';
    const std::string body = closing ? tag.substr(1) : tag;
    const std::string name = body.substr(0, body.find_first_of(" \n/"));
    if (name.empty()) return ::testing::AssertionFailure() << "empty tag at " << at;
    if (closing) {
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure() << "</" << name << "> at " << at << " closes <"
                                             << (open.empty() ? "" : open.back()) << ">";
      }
      open.pop_back();
    } else if (tag.back() != '/' && void_elements.count(name) == 0) {
      open.push_back(name);
    }
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

// Valid UTF-8 with no control character but tab and newline.
bool clean_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
      ++i;
      continue;
    }
    const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

TEST(ReportHtml, TheNestingCheckCatchesMistakes) {
  EXPECT_TRUE(well_nested("<!DOCTYPE html><html><meta charset=\"utf-8\"><p>a<b/>c</p></html>"));
  EXPECT_FALSE(well_nested("<svg><g></svg></g>"));
  EXPECT_FALSE(well_nested("<table><tr><td>x</td></table>"));
  EXPECT_FALSE(well_nested("<p>a < b</p>"));
}

TEST(ReportHtml, IsOneSelfContainedWellNestedPage) {
  const std::string html = report_of(synthetic_journal());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
  EXPECT_TRUE(well_nested(html));
  EXPECT_TRUE(clean_utf8(html));
  // Nothing fetched, and no script at all.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  // One SVG per chart.
  EXPECT_EQ(count_of(html, "<svg "), 3u);
  EXPECT_EQ(count_of(html, "</svg>"), 3u);
  for (const char* id : {"gantt", "utilization", "durations"}) {
    EXPECT_FALSE(svg_with_id(html, id).empty()) << id;
  }
}

TEST(ReportHtml, EscapesFailureDetailsAndHosts) {
  const std::string html = report_of(synthetic_journal(), "runs/<j>&.journal");
  // The failures table: subtask, attempts, reason, rank, when, the detail's first line.
  EXPECT_TRUE(std::regex_search(
      html,
      std::regex("<tr><td class=\"num\">7</td><td class=\"num\">3</td><td>exception</td>"
                 "<td class=\"num\">2</td><td class=\"num\">[0-9.]+ s</td>"
                 "<td class=\"detail\">" +
                 std::string("&lt;script&gt;alert\\(&#39;x&#39;\\)&lt;/script&gt; &amp; more") +
                 "</td></tr>")))
      << html;
  EXPECT_TRUE(std::regex_search(
      html, std::regex("<tr><td class=\"num\">21</td><td class=\"num\">2</td><td>timeout</td>"
                       ".*timed out &amp; gave up</td></tr>")));
  EXPECT_EQ(html.find("second line of the detail"), std::string::npos);  // first line only
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("node<a>"), std::string::npos);
  EXPECT_NE(html.find("node&lt;a&gt;&amp;1"), std::string::npos);
  EXPECT_NE(html.find("runs/&lt;j&gt;&amp;.journal"), std::string::npos);
  // The failed attempt's tooltip on the Gantt chart names it, its reason and its detail.
  const std::string gantt = svg_with_id(html, "gantt");
  EXPECT_NE(gantt.find("<title>subtask 7 \xC2\xB7 attempt 3 \xC2\xB7 failed (exception)"),
            std::string::npos);
  EXPECT_NE(gantt.find(script_detail_escaped), std::string::npos);
  EXPECT_TRUE(well_nested(html));
}

TEST(ReportHtml, PerRankRowsAndHeadline) {
  const std::string html = report_of(synthetic_journal());
  // rank, host, threads, done, failed, busy: rank 1 ran the even ids (20, 7 is odd), rank 2
  // the odd ones (20, of which 7 and 21 failed); each attempt took 80 ms.
  EXPECT_TRUE(std::regex_search(
      html, std::regex("<tr><td class=\"num\">1</td><td>node&lt;a&gt;&amp;1</td><td "
                       "class=\"num\">2</td><td class=\"num\">20</td><td class=\"num\">0</td>"
                       "<td class=\"num\">1.6 s</td>")))
      << html;
  EXPECT_TRUE(std::regex_search(
      html, std::regex("<tr><td class=\"num\">2</td><td>node-2</td><td class=\"num\">2</td>"
                       "<td class=\"num\">18</td><td class=\"num bad\">2</td>"
                       "<td class=\"num\">1.6 s</td>")));
  EXPECT_NE(html.find("38 / 40"), std::string::npos);  // subtasks done
  EXPECT_NE(html.find("2 failed for good"), std::string::npos);
  EXPECT_NE(html.find("980 ms"), std::string::npos);  // wall span: 9 x 100 ms + 80 ms
  // The kernel's reduction is not in the journal: no result is made up for it.
  EXPECT_NE(html.find("not recorded"), std::string::npos);
}

TEST(ReportHtml, DrawsOneBarPerAttemptWithAFourRowGantt) {
  const std::string gantt = svg_with_id(report_of(synthetic_journal()), "gantt");
  EXPECT_EQ(count_of(gantt, "<rect class=\"d\""), 38u);
  EXPECT_EQ(count_of(gantt, "<rect class=\"f\""), 2u);
  for (const char* row : {"rank 1 \xC2\xB7 thread 0", "rank 1 \xC2\xB7 thread 1",
                          "rank 2 \xC2\xB7 thread 0", "rank 2 \xC2\xB7 thread 1"}) {
    EXPECT_NE(gantt.find(row), std::string::npos) << row;
  }
}

TEST(ReportHtml, CapsTheGanttAndKeepsEveryFailure) {
  JournalContents journal = synthetic_journal();
  journal.attempts.clear();
  const std::size_t total = report_max_gantt_bars + 10000;
  for (std::size_t i = 0; i < total; ++i) {
    JournalAttempt attempt =
        attempt_of(static_cast<SubtaskId>(i), 1 + static_cast<std::int32_t>(i % 2),
                   static_cast<std::uint16_t>(i / 2 % 2), 0.001 * static_cast<double>(i), 0.002);
    if (i % 1000 == 3) {
      attempt.state = SubtaskState::failed;
      attempt.reason = FailureReason::exception;
    }
    journal.attempts.push_back(attempt);
  }
  const std::string html = report_of(journal);
  const std::string gantt = svg_with_id(html, "gantt");
  EXPECT_EQ(count_of(gantt, "<rect class=\"d\"") + count_of(gantt, "<rect class=\"f\""),
            report_max_gantt_bars);
  EXPECT_EQ(count_of(gantt, "<rect class=\"f\""), total / 1000);
  EXPECT_NE(html.find("draws 20,000 of the 30,000 attempt records"), std::string::npos);
  EXPECT_LT(html.size(), 8u << 20);
  EXPECT_TRUE(well_nested(html));
}

TEST(ReportHtml, AnEmptyJournalStillMakesAPage) {
  const std::string html = report_of(JournalContents{});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("This journal is empty"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg "), 3u);
  EXPECT_TRUE(well_nested(html));
}

TEST(ReportHtml, BadBytesBecomeReplacementCharacters) {
  JournalContents journal = synthetic_journal();
  journal.attempts[7].payload = bytes_of(std::string("bad \xff\xfe bytes\x01\x1b[31m\xc3 end", 22));
  journal.sessions[0]["workers"][1]["host"] = "host\x7f";
  journal.warning = "journal 'x': torn record at byte 1234 <cut>";
  const std::string html = report_of(journal);
  EXPECT_TRUE(clean_utf8(html));
  EXPECT_NE(html.find("bad \xEF\xBF\xBD\xEF\xBF\xBD bytes"), std::string::npos);
  EXPECT_NE(html.find("torn record at byte 1234 &lt;cut&gt;"), std::string::npos);
  EXPECT_TRUE(well_nested(html));
}

// A journal passes its CRCs and can still say anything: the page is made all the same.
TEST(ReportHtml, HostileContentsStillMakeAWellNestedPage) {
  JournalContents journal = synthetic_journal();
  journal.fingerprint = "not json <at all>";
  journal.sessions.push_back(json::array({1, 2}));
  journal.sessions.push_back(json{{"started_unix", 1e18},
                                  {"ranks", "three"},
                                  {"workers", json::array({json{{"rank", 1e12}}, 7})}});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double infinite = std::numeric_limits<double>::infinity();
  for (const auto& [start, end] : std::vector<std::pair<double, double>>{
           {nan, 1}, {1, infinite}, {-1e308, 1e308}, {1e18 + 1, 1e18 + 2}, {5, 4}, {-5, -4}}) {
    JournalAttempt attempt = attempt_of(99, -7, 65535, 0, 0);
    attempt.start_unix = start;
    attempt.end_unix = end;
    attempt.attempt = 0xffffffffu;
    journal.attempts.push_back(attempt);
  }
  const std::string html = report_of(journal);
  EXPECT_TRUE(well_nested(html));
  EXPECT_TRUE(clean_utf8(html));
  EXPECT_EQ(count_of(html, "<svg "), 3u);
  EXPECT_NE(html.find("3 records had no usable start or end time"), std::string::npos);

  journal.fingerprint =
      R"({"kernel":"pi","range":[-9223372036854775808,9223372036854775807],"subtasks":3})";
  EXPECT_TRUE(well_nested(report_of(journal)));
}

TEST(ReportHtml, ResumedSessionsFarApartGetAnAxisBreak) {
  JournalContents journal = synthetic_journal();
  json later = journal.sessions[0];
  later["started_unix"] = job_start + 7200;
  later["resumed"] = 38;
  journal.sessions.push_back(later);
  JournalAttempt retried = attempt_of(7, 2, 0, 7200.5, 0.3);
  retried.attempt = 0;
  journal.attempts.push_back(retried);
  const std::string html = report_of(journal);
  EXPECT_NE(html.find("39 / 40"), std::string::npos);  // 7 was done in session 2
  EXPECT_NE(html.find("1 failed for good"), std::string::npos);
  EXPECT_NE(svg_with_id(html, "gantt").find("session 2"), std::string::npos);
  EXPECT_NE(svg_with_id(html, "gantt").find("class=\"break\""), std::string::npos);
  EXPECT_NE(html.find("in 2 sessions"), std::string::npos);
  EXPECT_TRUE(well_nested(html));
}

TEST(ReportHtml, ShowsTheResultOnlyWhereTheValuesGiveIt) {
  JournalContents journal = synthetic_journal();
  journal.fingerprint = R"({"kernel":"primes","params":{},"range":[0,400],"subtasks":40})";
  for (JournalAttempt& attempt : journal.attempts) {
    attempt.state = SubtaskState::done;
    attempt.reason = FailureReason::none;
    attempt.payload.clear();
  }
  const std::string html = report_of(journal);
  EXPECT_NE(html.find("<div class=\"v\">400</div>"), std::string::npos);  // 40 x 10
  EXPECT_NE(html.find("primes: the sum of the per-subtask counts"), std::string::npos);
}

TEST(ReportHtml, RunRecordsCountAsAttempts) {
  JournalContents journal = synthetic_journal();
  JournalRun run;
  run.first = 100;
  run.rank = 1;
  run.start_unix = job_start + 2;
  run.end_unix = job_start + 2.5;
  run.values = {1, 2, 3, 4, 5};
  journal.runs.push_back(run);
  const std::string html = report_of(journal);
  EXPECT_EQ(count_of(svg_with_id(html, "gantt"), "<rect class=\"d\""), 38u + 5u);
  EXPECT_NE(html.find("5 attempts were recorded in runs"), std::string::npos);
}

// The page counts subtasks as replay() settles them: a subtask failed in one session and
// done in a later one is done; one failed twice shows its last failed record.
TEST(ReportHtml, CountsSubtasksAsTheReplaySettlesThem) {
  JournalContents journal = synthetic_journal();
  JournalAttempt later = attempt_of(7, 1, 0, 5, 0.05);  // subtask 7, done in session two
  journal.attempts.push_back(later);
  JournalAttempt again = attempt_of(21, 2, 1, 5.1, 0.05);
  again.state = SubtaskState::failed;
  again.reason = FailureReason::exit_code;
  again.attempt = 4;
  again.payload = bytes_of("failed once more");
  journal.attempts.push_back(again);
  const std::string html = report_of(journal);
  EXPECT_NE(html.find("39 / 40"), std::string::npos);
  EXPECT_NE(html.find("1 failed for good"), std::string::npos);
  const std::size_t table = html.find("<table id=\"failures\">");
  ASSERT_NE(table, std::string::npos);
  const std::string failures = html.substr(table, html.find("</table>", table) - table);
  EXPECT_NE(failures.find("<td class=\"num\">21</td><td class=\"num\">5</td><td>exit_code"),
            std::string::npos)
      << failures.substr(0, 600);
  EXPECT_EQ(failures.find("<td class=\"num\">7</td>"), std::string::npos);
}

TEST(ReportHtml, ATaskListShowsItsTotalCommandsCappedOutputAndLargestAttempts) {
  const fs::path dir =
      fs::temp_directory_path() / ("tasktrack-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string tasks = (dir / "tasks.txt").string();
  std::ofstream(tasks) << "true\nsh -c 'exit 3'\nsleep 1\n";
  JournalContents journal;
  journal.fingerprint = json{{"task_file", tasks}}.dump();
  const std::vector<TaskLine> lines = read_task_file(tasks);
  JournalAttempt done = attempt_of(0, 1, 0, 0, 2);
  done.key = task_line_key(lines[0]);
  done.cores = 1;
  done.usage = AttemptUsage{300u << 20, 1.5, 0.5};
  done.output_capped = true;
  JournalAttempt failed = attempt_of(1, 1, 1, 0, 1);
  failed.key = task_line_key(lines[1]);
  failed.state = SubtaskState::failed;
  failed.reason = FailureReason::exit_code;
  failed.payload = bytes_of("line 2: exit code 3");
  failed.usage = AttemptUsage{100u << 20, 0.25, 0.0};
  journal.attempts = {done, failed};
  const std::string html = report_of(journal, (dir / "tasks.journal").string());
  fs::remove_all(dir);
  EXPECT_NE(html.find("1 / 3"), std::string::npos) << html;  // the file's 3 lines: no "?"
  EXPECT_NE(html.find("<td class=\"detail\">sh -c &#39;exit 3&#39;</td>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<td class=\"num\">1 (line 2)</td>"), std::string::npos);
  const std::string capped = html.substr(html.find("<table id=\"capped\">"));
  EXPECT_NE(capped.find("<td class=\"num\">0 (line 1)</td><td class=\"num\">0</td><td>done"),
            std::string::npos)
      << capped.substr(0, 400);
  const std::string largest = html.substr(html.find("<table id=\"largest\">"));
  EXPECT_LT(largest.find("300 MiB"), largest.find("100 MiB")) << largest.substr(0, 800);
  EXPECT_NE(html.find("CPU/wall 0.75"), std::string::npos);
  EXPECT_NE(html.find("<h2>Peak memory per attempt</h2>"), std::string::npos);
}

// ---- the subcommand --------------------------------------------------------------------

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack_report.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ReportCommand, WritesThePageFromAJournalFile) {
  const std::string journal_path = (dir_ / "job.journal").string();
  const JournalContents journal = synthetic_journal();
  {
    JournalWriter writer(journal_path, journal.fingerprint);
    writer.append_session(journal.sessions[0]);
    for (const JournalAttempt& attempt : journal.attempts) writer.append(attempt);
  }
  const std::string html_path = (dir_ / "report.html").string();
  EXPECT_EQ(run_report_command(journal_path, html_path), 0);
  EXPECT_FALSE(fs::exists(html_path + ".partial"));
  std::ifstream in(html_path);
  const std::string html{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(html, report_of(journal, journal_path));
}

TEST_F(ReportCommand, AMissingJournalOrOutputDirectoryIsAUsageError) {
  EXPECT_THROW(run_report_command((dir_ / "none.journal").string(), (dir_ / "r.html").string()),
               UsageError);
  const std::string journal_path = (dir_ / "job.journal").string();
  { JournalWriter writer(journal_path, synthetic_journal().fingerprint); }
  EXPECT_THROW(run_report_command(journal_path, (dir_ / "no" / "such" / "r.html").string()),
               UsageError);
}

TEST(ReportCommandLine, ParsesJournalAndHtml) {
  KernelRegistry registry;
  const Command command =
      parse_command_line({"report", "runs/job.journal", "--html", "out.html"}, registry);
  EXPECT_EQ(command.kind, Command::Kind::report);
  EXPECT_EQ(command.journal, "runs/job.journal");
  EXPECT_EQ(command.html, "out.html");
  EXPECT_NE(parse_command_line({}, registry).help_text.find("report"), std::string::npos);
  // `report j` alone writes j.html (test_job_spec.cpp).
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"report", "--html", "o.html"},
        {"report", "", "--html", "o.html"},
        {"report", "j", "--html", ""}}) {
    try {
      parse_command_line(args, registry);
      ADD_FAILURE() << "no UsageError for " << args.size() << " args";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("report"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace tasktrack
