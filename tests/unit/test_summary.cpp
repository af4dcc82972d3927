// summary.hpp and exit_detail.hpp: what the end-of-job summary says of failures, capped
// output and what attempts cost (issue 12), in text and JSON.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "report/exit_detail.hpp"
#include "report/summary.hpp"

namespace tasktrack {
namespace {

TEST(ExitDetail, ReadsTheCommandRunnersWords) {
  EXPECT_EQ(parse_exit_detail("exit code 3"), (ExitDetail{3, std::nullopt, false}));
  EXPECT_EQ(parse_exit_detail("line 4: exit code 127; stderr: sh: nosuch: not found"),
            (ExitDetail{127, std::nullopt, false}));
  EXPECT_EQ(parse_exit_detail("line 2: killed by SIGSEGV; stderr: x"),
            (ExitDetail{std::nullopt, 11, false}));
  EXPECT_EQ(parse_exit_detail("killed by signal 70"), (ExitDetail{std::nullopt, 70, false}));
  EXPECT_EQ(parse_exit_detail("stopped: killed by SIGTERM"), (ExitDetail{std::nullopt, 15, true}));
  EXPECT_EQ(parse_exit_detail("line 9: stopped: killed by SIGKILL after ignoring SIGTERM"),
            (ExitDetail{std::nullopt, 9, true}));
  EXPECT_EQ(parse_exit_detail("stopped: before it started"), (ExitDetail{{}, {}, true}));
  // Anything else gives no numbers.
  EXPECT_EQ(parse_exit_detail("std::runtime_error: exit code 3"), ExitDetail{});
  EXPECT_EQ(parse_exit_detail(""), ExitDetail{});
  EXPECT_EQ(parse_exit_detail("line x: exit code 3"), ExitDetail{});
  EXPECT_EQ(parse_exit_detail("exit code -1"), ExitDetail{});
  EXPECT_EQ(parse_exit_detail("exit code 99999999999999999999"), ExitDetail{});
}

Summary task_list_summary() {
  Summary s;
  TaskListJob list;
  list.task_file = "/data/tasks.txt";
  list.tasks = {TaskLine{1, "true", {}}, TaskLine{3, "sh -c 'exit 3'", {}},
                TaskLine{4, std::string(200, 'x'), {}}};
  s.job.work = list;
  s.job.subtasks = 3;
  s.total = 3;
  s.done = 1;
  s.failed = 2;
  s.failures = {FailureSummary{1, 1, FailureReason::exit_code, "line 3: exit code 3"},
                FailureSummary{2, 2, FailureReason::timeout,
                               "attempt ran past 1 s; its kernel was asked to stop"}};
  s.capped = {AttemptRef{0, 0, 1}, AttemptRef{2, 1, 2}};
  s.cost.add(AttemptRef{0, 0, 1}, 2.0, AttemptUsage{300u << 20, 1.5, 0.5});
  s.cost.add(AttemptRef{2, 1, 2}, 2.0, AttemptUsage{100u << 20, 1.0, 0.0});
  s.hints = {"a command that asked for 1 GiB of memory peaked at 3 GiB"};
  return s;
}

TEST(Summary, ATaskListsSummarySpeaksOfCommandsAndNamesThem) {
  std::ostringstream out;
  print_summary(out, task_list_summary());
  const std::string text = out.str();
  EXPECT_NE(text.find("tasktrack: 3 commands of /data/tasks.txt"), std::string::npos) << text;
  EXPECT_EQ(text.find("over [0, 3)"), std::string::npos) << text;
  EXPECT_EQ(text.find("kernel"), std::string::npos) << text;
  EXPECT_NE(text.find("2 commands failed for good"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 (line 3) after 1 attempt: exit_code: line 3: exit code 3\n"
                      "      $ sh -c 'exit 3'\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("its command was stopped"), std::string::npos) << text;
  EXPECT_NE(text.find("$ " + std::string(117, 'x') + "...\n"), std::string::npos) << text;
  EXPECT_NE(text.find("capped     2 attempts' output passed --output-limit: #0 (line 1) attempt "
                      "0, #2 (line 4) attempt 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cost       peak memory 300 MiB (#0 (line 1) attempt 0, rank 1); "
                      "CPU/wall 0.75 over 2 measured attempts"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hint       a command that asked for 1 GiB"), std::string::npos) << text;
}

TEST(Summary, TheJsonFailuresCarryCommandLineAndExitAsNumbers) {
  const nlohmann::json json = summary_to_json(task_list_summary());
  const nlohmann::json& failures = json["failures"];
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0]["line"], 3);
  EXPECT_EQ(failures[0]["command"], "sh -c 'exit 3'");
  EXPECT_EQ(failures[0]["exit_status"], 3);
  EXPECT_TRUE(failures[0]["signal"].is_null());
  EXPECT_TRUE(failures[1]["exit_status"].is_null());
  EXPECT_EQ(json["capped"][1],
            (nlohmann::json{{"subtask", 2}, {"attempt", 1}, {"rank", 2}, {"line", 4}}));
  EXPECT_EQ(json["cost"]["measured_attempts"], 2);
  EXPECT_EQ(json["cost"]["peak_rss_bytes"], 300u << 20);
  EXPECT_EQ(json["cost"]["peak"]["line"], 1);
  EXPECT_DOUBLE_EQ(json["cost"]["cpu_per_wall"].get<double>(), 0.75);
  EXPECT_EQ(json["hints"].size(), 1u);
}

TEST(Summary, ARangeJobKeepsItsKernelWordsAndShowsNoCostWhenNothingWasMeasured) {
  Summary s;
  RangeJob job;
  job.kernel = "noop";
  job.range = Range{0, 5};
  s.job.work = job;
  s.job.subtasks = 5;
  s.failures = {FailureSummary{2, 3, FailureReason::exception, "boom"}};
  std::ostringstream out;
  print_summary(out, s);
  EXPECT_NE(out.str().find("noop over [0, 5) in 5 subtasks"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("1 subtask failed for good"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("cost "), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("$ "), std::string::npos) << out.str();
  const nlohmann::json json = summary_to_json(s);
  EXPECT_FALSE(json["failures"][0].contains("command"));
  EXPECT_TRUE(json["failures"][0]["exit_status"].is_null());
}

TEST(Summary, AttemptsThatLeftProcessesAreCountedOnlyWhenThereAreSome) {
  Summary s = task_list_summary();
  std::ostringstream none;
  print_summary(none, s);
  EXPECT_EQ(none.str().find("leftover"), std::string::npos) << none.str();
  EXPECT_EQ(summary_to_json(s)["left_processes"], 0);
  s.left_processes = 2;
  std::ostringstream two;
  print_summary(two, s);
  EXPECT_NE(two.str().find("  leftover   2 attempts left processes behind; they were ended "
                           "(--keep-background keeps them)\n"),
            std::string::npos)
      << two.str();
  EXPECT_EQ(summary_to_json(s)["left_processes"], 2);
}

}  // namespace
}  // namespace tasktrack
