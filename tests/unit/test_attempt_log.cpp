// `tasktrack log`: the rows built from a hand-made journal, the exit-status parser, and
// each format's quoting, read back the way a consumer would.
#include "journal/attempt_log.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands/task_list.hpp"
#include "report/exit_detail.hpp"

namespace tasktrack {
namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

JournalAttempt record(SubtaskId subtask, SubtaskState state, double start, std::int32_t rank = 1) {
  JournalAttempt attempt;
  attempt.subtask = subtask;
  attempt.state = state;
  attempt.rank = rank;
  attempt.thread = 2;
  attempt.start_unix = start;
  attempt.end_unix = start + 1.5;
  return attempt;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// A minimal RFC 4180 reader: what Python's csv module does with the same bytes.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// The two numbers the log takes from parse_exit_detail().
struct ProcessEnding {
  std::optional<int> exit_status;
  std::optional<int> signal;
  friend bool operator==(const ProcessEnding&, const ProcessEnding&) = default;
};
ProcessEnding parse_process_ending(std::string_view detail) {
  const ExitDetail ending = parse_exit_detail(detail);
  return {ending.exit_status, ending.signal};
}

TEST(ProcessEnding, ReadsWhatTheCommandRunnerWrites) {
  EXPECT_EQ(parse_process_ending("exit code 3"), (ProcessEnding{3, std::nullopt}));
  EXPECT_EQ(parse_process_ending("line 7: exit code 127; stderr: sh: nope: not found"),
            (ProcessEnding{127, std::nullopt}));
  EXPECT_EQ(parse_process_ending("line 2: killed by SIGSEGV; stderr: x"),
            (ProcessEnding{std::nullopt, SIGSEGV}));
  EXPECT_EQ(parse_process_ending("killed by SIGKILL"), (ProcessEnding{std::nullopt, SIGKILL}));
  EXPECT_EQ(parse_process_ending("killed by signal 40"), (ProcessEnding{std::nullopt, 40}));
  EXPECT_EQ(parse_process_ending("line 3: stopped: killed by SIGTERM, then SIGKILL to the rest"),
            (ProcessEnding{std::nullopt, SIGTERM}));
  EXPECT_EQ(parse_process_ending("stopped: exit code 0 after ignoring"),
            (ProcessEnding{0, std::nullopt}));
  // Neither: no process ended, or a kernel's own words.
  EXPECT_EQ(parse_process_ending("stopped: before it started"), ProcessEnding{});
  EXPECT_EQ(parse_process_ending("line 4: stopped: before it started"), ProcessEnding{});
  EXPECT_EQ(parse_process_ending("boom: exit code 3 inside"), ProcessEnding{});
  EXPECT_EQ(parse_process_ending("killed by SIGNOTHING"), ProcessEnding{});
  EXPECT_EQ(parse_process_ending("exit code "), ProcessEnding{});
  EXPECT_EQ(parse_process_ending("line x: exit code 3"), ProcessEnding{});
  EXPECT_EQ(parse_process_ending(""), ProcessEnding{});
}

// A task list of three lines; line 2's record was written for an older text.
class AttemptLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = {TaskLine{1, "echo a, \"quoted\"", {}}, TaskLine{3, "printf 'x\ty'", {}},
              TaskLine{4, "exit 3", {}}};
    journal_.fingerprint = "{}";
    journal_.sessions.push_back(
        {{"started_unix", 1000.0}, {"workers", {{{"rank", 1}, {"host", "node-a"}}}}});
    journal_.sessions.push_back(
        {{"started_unix", 2000.0}, {"workers", {{{"rank", 1}, {"host", "node-b"}}}}});

    JournalAttempt failed = record(2, SubtaskState::failed, 2100.25);
    failed.reason = FailureReason::exit_code;
    failed.attempt = 1;
    failed.key = task_line_key(lines_[2]);
    failed.payload = bytes_of("line 4: exit code 3; stderr: one\ttwo\nthree, \"four\"");
    failed.cores = 2;
    failed.gpus = {"0", "1"};
    failed.usage = AttemptUsage{1 << 20, 0.25, 0.125};
    journal_.attempts.push_back(failed);

    JournalAttempt old_line = record(1, SubtaskState::done, 1500.0);
    old_line.key = 12345;  // not the line's key now
    journal_.attempts.push_back(old_line);

    JournalRun run;  // subtask 0, done fast: a run record
    run.first = 0;
    run.rank = 1;
    run.start_unix = 1000.5;
    run.end_unix = 1000.75;
    run.values = {7};
    run.keys = {task_line_key(lines_[0])};
    journal_.runs.push_back(run);
  }

  std::vector<AttemptRow> rows() const {
    return attempt_rows(journal_, JobCommands::of_task_list(lines_));
  }
  std::string written(LogFormat format) const {
    std::ostringstream out;
    write_attempt_log(out, rows(), format);
    return out.str();
  }

  std::vector<TaskLine> lines_;
  JournalContents journal_;
};

TEST_F(AttemptLogTest, RowsComeInStartOrderWithLinesHostsAndEndings) {
  const std::vector<AttemptRow> all = rows();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].subtask, 0u);  // the run's, at 1000.5
  EXPECT_EQ(all[1].subtask, 1u);
  EXPECT_EQ(all[2].subtask, 2u);

  EXPECT_EQ(all[0].line, 1u);
  EXPECT_EQ(all[0].command, "echo a, \"quoted\"");
  EXPECT_EQ(all[0].host, "node-a");
  EXPECT_EQ(all[0].exit_value, 0);
  EXPECT_EQ(all[0].signal, 0);

  EXPECT_FALSE(all[1].line.has_value());  // its line was edited since
  EXPECT_EQ(all[1].command, "");
  EXPECT_EQ(all[1].host, "node-a");  // ran in the first session

  const AttemptRow& failed = all[2];
  EXPECT_EQ(failed.line, 4u);
  EXPECT_EQ(failed.command, "exit 3");
  EXPECT_EQ(failed.host, "node-b");
  EXPECT_EQ(failed.attempt, 1u);
  EXPECT_EQ(failed.exit_value, 3);
  EXPECT_EQ(failed.signal, 0);
  EXPECT_EQ(failed.reason, FailureReason::exit_code);
  EXPECT_EQ(failed.cores, 2);
  ASSERT_TRUE(failed.usage.has_value());
  EXPECT_EQ(failed.usage->max_rss_bytes, 1u << 20);
}

TEST_F(AttemptLogTest, AFailureWithoutAnExitStatusReadsAsMinusOne) {
  journal_.attempts[0].payload = bytes_of("line 4: killed by SIGKILL");
  EXPECT_EQ(rows()[2].exit_value, -1);
  EXPECT_EQ(rows()[2].signal, SIGKILL);
  journal_.attempts[0].payload = bytes_of("worker lost");
  journal_.attempts[0].reason = FailureReason::worker_lost;
  EXPECT_EQ(rows()[2].exit_value, -1);
  EXPECT_EQ(rows()[2].signal, 0);
}

TEST_F(AttemptLogTest, TsvStartsLikeAJoblogAndKeepsOneLinePerRow) {
  const std::vector<std::string> lines = split(written(LogFormat::tsv), '\n');
  ASSERT_EQ(lines.size(), 5u);  // header, 3 rows, the empty string after the last newline
  EXPECT_EQ(lines[4], "");
  const std::vector<std::string> header = split(lines[0], '\t');
  const std::vector<std::string> joblog = {"Seq",     "Host",    "Starttime", "JobRuntime", "Send",
                                           "Receive", "Exitval", "Signal",    "Command"};
  ASSERT_GE(header.size(), joblog.size());
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 9), joblog);
  EXPECT_EQ(header, attempt_log_columns());

  const std::vector<std::string> failed = split(lines[3], '\t');
  ASSERT_EQ(failed.size(), header.size()) << lines[3];
  EXPECT_EQ(failed[0], "3");  // Seq: subtask 2 + 1
  EXPECT_EQ(failed[1], "node-b");
  EXPECT_EQ(failed[2], "2100.250");
  EXPECT_EQ(failed[3], "1.500");
  EXPECT_EQ(failed[6], "3");
  EXPECT_EQ(failed[7], "0");
  EXPECT_EQ(failed[8], "exit 3");
  EXPECT_EQ(failed[10], "4");  // line
  EXPECT_EQ(failed[14], "1970-01-01T00:35:00.250Z");
  EXPECT_EQ(failed[17], "line 4: exit code 3; stderr: one\\ttwo\\nthree, \"four\"");
  EXPECT_EQ(failed[18], "2");
  EXPECT_EQ(failed[19], "0,1");
  EXPECT_EQ(failed[20], "1048576");
  EXPECT_EQ(failed[21], "0.250");
  EXPECT_EQ(failed[22], "0.125");
  const std::vector<std::string> old_line = split(lines[2], '\t');
  ASSERT_EQ(old_line.size(), header.size());
  EXPECT_EQ(old_line[8], "");   // command unknown
  EXPECT_EQ(old_line[10], "");  // line unknown
  EXPECT_EQ(old_line[20], "");  // not measured
  EXPECT_EQ(split(lines[1], '\t')[8], "echo a, \"quoted\"");
}

TEST_F(AttemptLogTest, TsvEscapesBackslashesSoEscapesReadBack) {
  lines_[0].text = "a\\tb";  // a literal backslash-t, not a tab
  journal_.runs[0].keys = {task_line_key(lines_[0])};
  const std::vector<std::string> lines = split(written(LogFormat::tsv), '\n');
  EXPECT_EQ(split(lines[1], '\t')[8], "a\\\\tb");
}

TEST_F(AttemptLogTest, CsvQuotesCommasQuotesAndLineBreaks) {
  const std::string text = written(LogFormat::csv);
  const auto table = read_csv(text);
  ASSERT_EQ(table.size(), 4u) << text;
  EXPECT_EQ(table[0], attempt_log_columns());
  for (const auto& row : table) EXPECT_EQ(row.size(), attempt_log_columns().size());
  EXPECT_EQ(table[1][8], "echo a, \"quoted\"");
  EXPECT_EQ(table[3][17], "line 4: exit code 3; stderr: one\ttwo\nthree, \"four\"");
  EXPECT_EQ(table[3][19], "0,1");
  EXPECT_NE(text.find("\"echo a, \"\"quoted\"\"\""), std::string::npos);
}

TEST_F(AttemptLogTest, JsonLinesAreTypedObjects) {
  const std::vector<std::string> lines = split(written(LogFormat::jsonl), '\n');
  ASSERT_EQ(lines.size(), 4u);
  std::vector<nlohmann::json> rows;
  for (std::size_t i = 0; i < 3; ++i) rows.push_back(nlohmann::json::parse(lines[i]));
  const nlohmann::json& failed = rows[2];
  EXPECT_EQ(failed["Seq"], 3);
  EXPECT_EQ(failed["Exitval"], 3);
  EXPECT_EQ(failed["Signal"], 0);
  EXPECT_DOUBLE_EQ(failed["Starttime"].get<double>(), 2100.25);
  EXPECT_DOUBLE_EQ(failed["JobRuntime"].get<double>(), 1.5);
  EXPECT_EQ(failed["line"], 4);
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["reason"], "exit_code");
  EXPECT_EQ(failed["detail"], "line 4: exit code 3; stderr: one\ttwo\nthree, \"four\"");
  EXPECT_EQ(failed["gpus"], nlohmann::json::array({"0", "1"}));
  EXPECT_EQ(failed["max_rss_bytes"], 1048576);
  EXPECT_TRUE(rows[1]["line"].is_null());
  EXPECT_TRUE(rows[1]["Command"].is_null());
  EXPECT_TRUE(rows[1]["max_rss_bytes"].is_null());
  EXPECT_TRUE(rows[1]["cores"].is_null());
  std::vector<std::string> keys;
  const nlohmann::ordered_json first = nlohmann::ordered_json::parse(lines[0]);
  for (const auto& [key, value] : first.items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys, attempt_log_columns());
}

TEST_F(AttemptLogTest, InvalidUtf8InACommandStillMakesJson) {
  lines_[0].text = "echo \xff\xfe";
  journal_.runs[0].keys = {task_line_key(lines_[0])};
  const std::string first = split(written(LogFormat::jsonl), '\n')[0];
  EXPECT_TRUE(nlohmann::json::accept(first)) << first;
}

TEST(AttemptLogRangeJob, NamesTheKernelAndEachSubtasksRange) {
  JournalContents journal;
  journal.fingerprint = "{}";
  JournalAttempt attempt = record(1, SubtaskState::done, 10.0);
  journal.attempts.push_back(attempt);
  const auto rows = attempt_rows(journal, JobCommands::of_range_job("primes", Range{0, 10}, 4));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].command, "primes 3:6");  // blocks 3, 3, 2, 2
  EXPECT_FALSE(rows[0].line.has_value());
  EXPECT_EQ(rows[0].host, "");  // no session names rank 1
  // A partition no fingerprint should hold: the kernel alone.
  EXPECT_EQ(attempt_rows(journal, JobCommands::of_range_job("primes", Range{5, 1}, 4))[0].command,
            "primes");
}

TEST(AttemptLogFormat, ParsesTheThreeNames) {
  EXPECT_EQ(parse_log_format("tsv"), LogFormat::tsv);
  EXPECT_EQ(parse_log_format("csv"), LogFormat::csv);
  EXPECT_EQ(parse_log_format("jsonl"), LogFormat::jsonl);
  EXPECT_FALSE(parse_log_format("json").has_value());
  EXPECT_FALSE(parse_log_format("").has_value());
}

}  // namespace
}  // namespace tasktrack
