// Attempt numbers continue across sessions (issue 12, item 7), through the real binary: a
// task that failed for good in one run and is resumed runs again at the next attempt number,
// never at attempt 0 again, with --retries extra attempts in each run; and the JSON
// summary's failures name their command, line, exit status and signal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "journal/journal_reader.hpp"
#include "run_process.hpp"
#include "scratch_run_test.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using testing::processes;  // set by main from --np=N

class AttemptNumbers : public testing::ScratchRunTest {
 protected:
  AttemptNumbers() : ScratchRunTest("tasktrack-attempts") {}

  // Every attempt number the journal records, by subtask, in file order.
  static std::map<SubtaskId, std::vector<std::uint32_t>> attempts_in(const std::string& journal) {
    std::map<SubtaskId, std::vector<std::uint32_t>> numbers;
    const JournalContents contents = read_journal(journal);
    for_each_attempt(contents, [&](const JournalAttempt& attempt) {
      numbers[attempt.subtask].push_back(attempt.attempt);
    });
    return numbers;
  }
};

TEST_F(AttemptNumbers, AResumedFailureRunsAtTheNextNumberWithItsRetriesInEachRun) {
  const std::string marker = path("ready");
  const std::string tasks = path("tasks.txt");
  // Line 2 fails until the marker exists; line 3 always fails.
  std::ofstream(tasks) << "true\ntest -e " << marker << "\nexit 3\n";
  const std::string journal = path("tasks.journal");
  const std::vector<std::string> common{"--task-file", tasks,          "--journal",
                                        journal,       "--output-dir", path("out")};

  std::vector<std::string> args = common;
  args.insert(args.end(), {"--retries", "0"});
  const Run first = run(args);
  ASSERT_EQ(first.process.exit_code, 1) << first.process.err;
  EXPECT_EQ(attempts_in(journal),
            (std::map<SubtaskId, std::vector<std::uint32_t>>{{0, {0}}, {1, {0}}, {2, {0}}}));
  // The JSON summary's failures carry the command, its line and how it ended as numbers.
  const json& failures = first.summary["failures"];
  ASSERT_EQ(failures.size(), 2u) << first.summary.dump(2);
  EXPECT_EQ(failures[0]["line"], 2);
  EXPECT_EQ(failures[0]["command"], "test -e " + marker);
  EXPECT_EQ(failures[0]["exit_status"], 1);
  EXPECT_TRUE(failures[0]["signal"].is_null());
  EXPECT_EQ(failures[1]["line"], 3);
  EXPECT_EQ(failures[1]["command"], "exit 3");
  EXPECT_EQ(failures[1]["exit_status"], 3);

  // Run 2: line 2 now succeeds at attempt 1; line 3 gets 1 + 1 attempts, numbered 1 and 2
  // (every failed attempt is recorded, the retried one too).
  std::ofstream(marker) << "";
  args = common;
  args.insert(args.end(), {"--retries", "1"});
  const Run second = run(args);
  ASSERT_EQ(second.process.exit_code, 1) << second.process.err;
  EXPECT_EQ(attempts_in(journal), (std::map<SubtaskId, std::vector<std::uint32_t>>{
                                      {0, {0}}, {1, {0, 1}}, {2, {0, 1, 2}}}));
  ASSERT_EQ(second.summary["failures"].size(), 1u) << second.summary.dump(2);
  EXPECT_EQ(second.summary["failures"][0]["attempts"], 3);
  EXPECT_EQ(second.summary["subtasks"]["retried"], 1);

  // Run 3, --retries 0: one more attempt of line 3, attempt 3.
  args = common;
  args.insert(args.end(), {"--retries", "0"});
  const Run third = run(args);
  ASSERT_EQ(third.process.exit_code, 1) << third.process.err;
  EXPECT_EQ(attempts_in(journal)[2], (std::vector<std::uint32_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace tasktrack
