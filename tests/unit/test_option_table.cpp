// The option table (cli/option_table.hpp): one row per option of `tasktrack run`, and the
// job's JSON views it drives. The fingerprint texts are pinned: old journals resume by them.
#include "cli/option_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "journal/journal.hpp"

namespace tasktrack {
namespace {

TEST(OptionTable, NamesKeysAndListPositionsAreUnique) {
  std::set<std::string_view> names;
  std::set<std::string_view> keys;
  std::set<int> positions;
  for (const OptionSpec& option : run_options()) {
    SCOPED_TRACE(std::string(option.name));
    EXPECT_TRUE(names.insert(option.name).second);
    EXPECT_TRUE(keys.insert(option.job_file_key).second);
    EXPECT_TRUE(positions.insert(option.key_list_position).second);
    EXPECT_FALSE(option.help.empty());
    EXPECT_EQ(option.value_name.empty(), option.kind == ValueKind::boolean);
    // Options of one kind of job are read together by make_job; the others each alone.
    EXPECT_EQ(option.apply == nullptr, option.scope != Scope::any_job);
    EXPECT_EQ(option.views == not_shown, option.json_value == nullptr);
    EXPECT_EQ(find_option(option.name), &option);
    EXPECT_EQ(find_job_file_key(option.job_file_key), &option);
  }
  EXPECT_EQ(*positions.begin(), 0);
  EXPECT_EQ(*positions.rbegin(), static_cast<int>(run_options().size()) - 1);
  EXPECT_EQ(find_option("params"), nullptr);  // the flag is --param, the key params
  EXPECT_EQ(find_job_file_key("param"), nullptr);
}

TEST(OptionTable, JobFileKeysKeepTheirListedOrder) {
  const std::vector<std::string> keys = job_file_keys(true);
  ASSERT_EQ(keys.size(), run_options().size());
  EXPECT_EQ(keys.front(), "kernel");
  EXPECT_EQ(keys.at(3), "params");
  EXPECT_EQ(keys.at(24), "trace");
  EXPECT_EQ(keys.at(33), "reserve-after");  // issue 11's keys came before it, 13's after
  const std::vector<std::string> without = job_file_keys(false);
  EXPECT_EQ(without.size(), keys.size() - 1);
  EXPECT_EQ(without.at(3), "schedule");
}

JobSpec range_job() {
  JobSpec job;
  job.work = RangeJob{"primes", Range{0, 1000}, {{"seed", "5"}}};
  job.subtasks = 7;
  job.schedule = Schedule::static_shares;
  job.retries = 3;
  job.timeout = 9;  // in neither view
  return job;
}

TEST(JobJson, SummaryShowsTheWorkScheduleAndRetries) {
  EXPECT_EQ(job_json(range_job(), in_summary).dump(),
            R"({"kernel":"primes","params":{"seed":"5"},"range":[0,1000],"retries":3,)"
            R"("schedule":"static","subtasks":7})");
  JobSpec list;
  list.work = TaskListJob{"t.txt", {{1, "true", {}}, {2, "false", {}}}, "t.txt.output", 1, 0, 0};
  list.subtasks = 2;
  EXPECT_EQ(job_json(list, in_summary).dump(),
            R"({"kernel":"commands","params":{},"range":[0,2],"retries":2,)"
            R"("schedule":"guided","subtasks":2})");
}

// The exact text journals carry in their header: it must never change.
TEST(JobJson, FingerprintTextIsPinned) {
  EXPECT_EQ(job_fingerprint(range_job()),
            R"({"kernel":"primes","params":{"seed":"5"},"range":[0,1000],"subtasks":7})");
  JobSpec list;
  list.work = TaskListJob{"/nonexistent/dir/../t.txt", {}, "elsewhere", 3};
  list.subtasks = 4;
  EXPECT_EQ(job_fingerprint(list), R"({"task_file":"/nonexistent/t.txt"})");
}

// What each task needs and what each worker owns change no line's work: a journal resumes
// whatever they are (each line's key carries its requirement instead).
TEST(JobJson, ResourceOptionsAreNotInTheFingerprint) {
  JobSpec list;
  list.work =
      TaskListJob{"/nonexistent/t.txt", {{1, "true", {8, 2, 1ULL << 30}}}, "out", 8, 2, 1ULL << 30};
  list.subtasks = 1;
  list.gpus = "0,1,2,3";
  list.memory = "64G";
  list.bind = Binding::cores;
  list.reserve_after = 5;
  EXPECT_EQ(job_fingerprint(list), R"({"task_file":"/nonexistent/t.txt"})");
  JobSpec range = range_job();
  range.gpus = "none";
  range.bind = Binding::cores;
  EXPECT_EQ(job_fingerprint(range), job_fingerprint(range_job()));
}

}  // namespace
}  // namespace tasktrack
