// The input boundary (job_spec.hpp): command line and job files in, a valid JobSpec or one
// clear UsageError line out.
#include "cli/command_line.hpp"
#include "cli/value_parsers.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

ParamSpec param(std::string name, ParamType type, std::string default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_value = std::move(default_value);
  return spec;
}

KernelInfo kernel(std::string name, std::vector<ParamSpec> params) {
  KernelInfo info;
  info.name = std::move(name);
  info.params = std::move(params);
  return info;
}

// Kernels of our own, so that these tests do not depend on the built-in kernels' params.
// They are never run: `make` stays empty.
const KernelRegistry& test_registry() {
  static const KernelRegistry registry = [] {
    ParamSpec n = param("n", ParamType::integer, "1");
    n.min = 0;
    ParamSpec mode = param("mode", ParamType::choice, "a");
    mode.choices = {"a", "b"};
    KernelRegistry built;
    built.add(kernel("count", {n, param("scale", ParamType::real, "1.0"),
                               param("label", ParamType::string, "x"), mode}));
    built.add(kernel("plain", {}));
    return built;
  }();
  return registry;
}

Command parse(const Args& args) {
  return parse_command_line(args, test_registry());
}

// Expects `parse(args)` to throw a one-line UsageError whose message holds each of `parts`.
void expect_usage_error(const Args& args, std::initializer_list<std::string> parts) {
  std::string joined;
  for (const auto& arg : args) joined += " " + arg;
  SCOPED_TRACE("args:" + joined);
  try {
    parse(args);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_FALSE(message.empty());
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

// `args` after "run --kernel count --range 0:100".
Args run_count(std::initializer_list<std::string> more = {}) {
  Args args = {"run", "--kernel", "count", "--range", "0:100"};
  args.insert(args.end(), more);
  return args;
}

// ---- help and subcommands ----

TEST(CommandLine, NoArgumentsIsHelp) {
  const Command command = parse({});
  EXPECT_EQ(command.kind, Command::Kind::help);
  EXPECT_NE(command.help_text.find("run"), std::string::npos);
  EXPECT_NE(command.help_text.find("kernels"), std::string::npos);
}

TEST(CommandLine, HelpFlags) {
  for (const std::string flag : {"--help", "-h"}) {
    const Command command = parse({flag});
    EXPECT_EQ(command.kind, Command::Kind::help);
    EXPECT_NE(command.help_text.find("kernels"), std::string::npos);
  }
}

TEST(CommandLine, RunHelpShowsRunOptions) {
  const Command command = parse({"run", "--help"});
  EXPECT_EQ(command.kind, Command::Kind::help);
  EXPECT_NE(command.help_text.find("--kernel"), std::string::npos) << command.help_text;
  EXPECT_NE(command.help_text.find("--progress-interval"), std::string::npos);
  EXPECT_NE(command.help_text.find("count, plain"), std::string::npos);  // known kernels
}

TEST(CommandLine, RunHelpListsEveryFlagWithItsDefault) {
  const std::string help = parse({"run", "--help"}).help_text;
  for (const std::string flag : {"--kernel",
                                 "--range",
                                 "--subtasks",
                                 "--param",
                                 "--schedule",
                                 "--chunk",
                                 "--threads",
                                 "--retries",
                                 "--summary-json",
                                 "--quiet",
                                 "--progress",
                                 "--progress-interval",
                                 "--timeout",
                                 "--max-failures",
                                 "--heartbeat",
                                 "--worker-timeout",
                                 "--quarantine-after",
                                 "--grace",
                                 "--journal",
                                 "--fresh",
                                 "--no-retry-failed",
                                 "--gpus-per-task",
                                 "--mem-per-task",
                                 "--gpus",
                                 "--mem",
                                 "--bind",
                                 "--reserve-after"}) {
    // Each flag on a line of its own, its description on that line or, for a long flag,
    // on the next one.
    const auto at = help.find("  " + flag + " ");
    ASSERT_NE(at, std::string::npos) << flag << " not in:\n" << help;
    const auto line_end = help.find('\n', at);
    std::string line = help.substr(at, line_end - at);
    if (line.find("  ", flag.size() + 3) == std::string::npos) {
      line = help.substr(line_end + 1, help.find('\n', line_end + 1) - line_end - 1);
    }
    EXPECT_GT(line.size(), 40u) << "no description for " << flag << " in:\n" << help;
  }
  for (const std::string fragment :
       {"default: 2s", "default: 30s", "default: 10s", "default: 5", "at most 100", "trace,",
        "default: auto", "default: none", "reserve-after, "}) {
    EXPECT_NE(help.find(fragment), std::string::npos) << fragment << " not in:\n" << help;
  }
}

TEST(CommandLine, Kernels) {
  EXPECT_EQ(parse({"kernels"}).kind, Command::Kind::kernels);
}

TEST(CommandLine, Status) {
  const Command command = parse({"status", "run/job.journal"});
  EXPECT_EQ(command.kind, Command::Kind::status);
  EXPECT_EQ(command.journal, "run/job.journal");
  EXPECT_NE(parse({}).help_text.find("status"), std::string::npos);  // listed in the help
  EXPECT_EQ(parse({"status", "--help"}).kind, Command::Kind::help);
  EXPECT_NE(parse({"status", "--help"}).help_text.find("JOURNAL"), std::string::npos);
}

TEST(CommandLine, StatusErrors) {
  expect_usage_error({"status"}, {"status", "JOURNAL", "required"});
  expect_usage_error({"status", ""}, {"status", "JOURNAL", "empty"});
  expect_usage_error({"status", "a.journal", "b.journal"}, {"b.journal"});
  expect_usage_error({"status", "a.journal", "--kernel", "count"}, {"--kernel"});
}

TEST(CommandLine, ReportWritesBesideTheJournalUnlessToldWhere) {
  Command command = parse({"report", "run/job.journal"});
  EXPECT_EQ(command.kind, Command::Kind::report);
  EXPECT_EQ(command.journal, "run/job.journal");
  EXPECT_EQ(command.html, "run/job.journal.html");
  command = parse({"report", "run/job.journal", "--html", "page.html"});
  EXPECT_EQ(command.html, "page.html");
  expect_usage_error({"report"}, {"report", "JOURNAL", "required"});
  expect_usage_error({"report", ""}, {"report", "JOURNAL", "empty"});
}

TEST(CommandLine, ParseErrorsAreOneLine) {
  expect_usage_error({"frobnicate"}, {"frobnicate"});
  expect_usage_error(run_count({"--bogus"}), {"--bogus"});
  expect_usage_error({"run", "--kernel"}, {"--kernel"});
  expect_usage_error({"run", "a.toml", "b.toml"}, {"b.toml"});
  expect_usage_error({"kernels", "extra"}, {"extra"});
}

// ---- good command lines ----

TEST(CommandLine, DefaultsFilledIn) {
  const Command command = parse(run_count());
  ASSERT_EQ(command.kind, Command::Kind::run);
  const JobSpec& job = command.job;
  EXPECT_EQ(job.kernel(), "count");
  EXPECT_EQ(job.range(), (Range{0, 100}));
  EXPECT_EQ(job.subtasks, Partition::default_count(Range{0, 100}));
  const std::map<std::string, std::string> params = {
      {"n", "1"}, {"scale", "1.0"}, {"label", "x"}, {"mode", "a"}};
  EXPECT_EQ(job.params(), params);
  EXPECT_EQ(job.schedule, Schedule::guided);
  EXPECT_EQ(job.chunk, 0u);
  EXPECT_EQ(job.threads, 0u);
  EXPECT_EQ(job.retries, 2u);
  EXPECT_EQ(job.summary_json, "");
  EXPECT_EQ(job.finished_file, "");
  EXPECT_FALSE(job.quiet);
  EXPECT_DOUBLE_EQ(job.progress_interval, 10.0);
  EXPECT_EQ(job.job_file, "");
  EXPECT_EQ(job.timeout, 0.0);
  EXPECT_EQ(job.max_failures, 0u);
  EXPECT_DOUBLE_EQ(job.heartbeat, 2.0);
  EXPECT_DOUBLE_EQ(job.worker_timeout, 30.0);
  EXPECT_EQ(job.quarantine_after, 5u);
  EXPECT_DOUBLE_EQ(job.grace, 10.0);
  EXPECT_EQ(job.journal, "");
  EXPECT_FALSE(job.fresh);
  EXPECT_TRUE(job.retry_failed);
}

TEST(CommandLine, EveryFlag) {
  const JobSpec job =
      parse(run_count({"--subtasks", "10", "--param", "n=5", "--param", "label=a=b", "--schedule",
                       "dynamic", "--chunk", "3", "--threads", "4", "--retries", "0",
                       "--summary-json", "out.json", "--quiet", "--progress-interval", "250ms"}))
          .job;
  EXPECT_EQ(job.subtasks, 10u);
  EXPECT_EQ(job.params().at("n"), "5");
  EXPECT_EQ(job.params().at("label"), "a=b");  // split at the first '='
  EXPECT_EQ(job.params().at("mode"), "a");     // default kept
  EXPECT_EQ(job.schedule, Schedule::dynamic);
  EXPECT_EQ(job.chunk, 3u);
  EXPECT_EQ(job.threads, 4u);
  EXPECT_EQ(job.retries, 0u);
  EXPECT_EQ(job.summary_json, "out.json");
  EXPECT_TRUE(job.quiet);
  EXPECT_DOUBLE_EQ(job.progress_interval, 0.25);
}

TEST(CommandLine, FinishedFile) {
  EXPECT_EQ(parse(run_count({"--finished-file", "done.txt"})).job.finished_file, "done.txt");
}

TEST(CommandLine, EveryFaultToleranceFlag) {
  const JobSpec job =
      parse(run_count({"--timeout", "5m", "--max-failures", "3", "--heartbeat", "500ms",
                       "--worker-timeout", "1.5", "--quarantine-after", "0", "--grace", "0",
                       "--journal", "out/job.journal", "--fresh", "--no-retry-failed"}))
          .job;
  EXPECT_DOUBLE_EQ(job.timeout, 300.0);
  EXPECT_EQ(job.max_failures, 3u);
  EXPECT_DOUBLE_EQ(job.heartbeat, 0.5);
  EXPECT_DOUBLE_EQ(job.worker_timeout, 1.5);
  EXPECT_EQ(job.quarantine_after, 0u);  // off
  EXPECT_EQ(job.grace, 0.0);
  EXPECT_EQ(job.journal, "out/job.journal");
  EXPECT_TRUE(job.fresh);
  EXPECT_FALSE(job.retry_failed);
}

TEST(CommandLine, FaultToleranceFlagsOneAtATime) {
  EXPECT_DOUBLE_EQ(parse(run_count({"--timeout", "250ms"})).job.timeout, 0.25);
  EXPECT_EQ(parse(run_count({"--max-failures", "1"})).job.max_failures, 1u);
  EXPECT_DOUBLE_EQ(parse(run_count({"--heartbeat", "10s"})).job.heartbeat, 10.0);
  EXPECT_DOUBLE_EQ(parse(run_count({"--worker-timeout", "1h"})).job.worker_timeout, 3600.0);
  EXPECT_EQ(parse(run_count({"--quarantine-after", "12"})).job.quarantine_after, 12u);
  EXPECT_DOUBLE_EQ(parse(run_count({"--grace", "2m"})).job.grace, 120.0);
  const JobSpec journal = parse(run_count({"--journal", "j.log"})).job;
  EXPECT_EQ(journal.journal, "j.log");
  EXPECT_FALSE(journal.fresh);
  EXPECT_TRUE(journal.retry_failed);
  EXPECT_TRUE(parse(run_count({"--journal", "j.log", "--fresh"})).job.fresh);
  EXPECT_FALSE(parse(run_count({"--journal", "j.log", "--no-retry-failed"})).job.retry_failed);
}

TEST(CommandLine, PercentagesAsGnuParallelWritesThem) {
  JobSpec job = parse(run_count({"--timeout", "200%"})).job;
  EXPECT_DOUBLE_EQ(job.timeout_percent, 200.0);
  EXPECT_DOUBLE_EQ(job.timeout, 0.0);
  job = parse(run_count({"--timeout", "12.5%"})).job;
  EXPECT_DOUBLE_EQ(job.timeout_percent, 12.5);
  // run_count's range has 100 elements in 100 subtasks by default; give 10.
  EXPECT_EQ(parse(run_count({"--subtasks", "10", "--max-failures", "20%"})).job.max_failures, 2u);
  EXPECT_EQ(parse(run_count({"--subtasks", "10", "--max-failures", "1%"})).job.max_failures, 1u);
  EXPECT_EQ(parse(run_count({"--subtasks", "10", "--max-failures", "100%"})).job.max_failures, 10u);
  EXPECT_EQ(parse(run_count({"--subtasks", "10", "--max-failures", "25%"})).job.max_failures, 3u);
  expect_usage_error(run_count({"--timeout", "0%"}), {"--timeout", "'0%' is out of range"});
  expect_usage_error(run_count({"--timeout", "abc%"}), {"--timeout", "a percentage such as 200%"});
  expect_usage_error(run_count({"--timeout", "%"}), {"--timeout", "a percentage"});
  expect_usage_error(run_count({"--timeout", "20000%"}), {"--timeout", "at most 10000%"});
  expect_usage_error(run_count({"--max-failures", "150%"}), {"--max-failures", "at most 100%"});
  expect_usage_error(run_count({"--max-failures", "-5%"}), {"--max-failures", "out of range"});
}

TEST(CommandLine, ProgressStyles) {
  EXPECT_EQ(parse(run_count({})).job.progress, ProgressStyle::automatic);
  EXPECT_EQ(parse(run_count({"--progress", "bar"})).job.progress, ProgressStyle::bar);
  EXPECT_EQ(parse(run_count({"--progress", "lines"})).job.progress, ProgressStyle::lines);
  EXPECT_EQ(parse(run_count({"--progress", "none"})).job.progress, ProgressStyle::none);
  EXPECT_EQ(parse(run_count({"--progress", "auto"})).job.progress, ProgressStyle::automatic);
  expect_usage_error(run_count({"--progress", "fancy"}),
                     {"--progress", "unknown progress style 'fancy'", "bar, lines or none"});
}

TEST(CommandLine, BooleanFlagsTakeAnExplicitValue) {
  // CLI11 accepts --flag=false; it must mean false, not "the flag was given".
  EXPECT_FALSE(parse(run_count({"--quiet=false"})).job.quiet);
  EXPECT_TRUE(parse(run_count({"--quiet=true"})).job.quiet);
  EXPECT_FALSE(parse(run_count({"--fresh=false"})).job.fresh);  // no journal needed
  EXPECT_TRUE(parse(run_count({"--no-retry-failed=false"})).job.retry_failed);
}

TEST(CommandLine, RetriesUpTo100) {
  EXPECT_EQ(parse(run_count({"--retries", "100"})).job.retries, 100u);
  expect_usage_error(run_count({"--retries", "101"}), {"--retries", "'101'", "at most 100"});
  expect_usage_error(run_count({"--retries", "4294967296"}), {"--retries", "at most 100"});
}

TEST(CommandLine, LastOfARepeatedFlagWins) {
  EXPECT_EQ(parse(run_count({"--subtasks", "3", "--subtasks", "4"})).job.subtasks, 4u);
}

TEST(CommandLine, NegativeRangeBounds) {
  EXPECT_EQ(parse({"run", "--kernel", "plain", "--range=-5:10"}).job.range(), (Range{-5, 10}));
  EXPECT_EQ(parse({"run", "--kernel", "plain", "--range", "-5:10"}).job.range(), (Range{-5, 10}));
}

TEST(CommandLine, SubtasksMayEqualRangeSize) {
  EXPECT_EQ(parse(run_count({"--subtasks", "100"})).job.subtasks, 100u);
  EXPECT_EQ(parse({"run", "--kernel", "plain", "--range", "7:8"}).job.subtasks, 1u);
}

// ---- bad command lines ----

TEST(CommandLine, KernelErrors) {
  expect_usage_error({"run", "--kernel", "nope", "--range", "0:10"},
                     {"unknown kernel 'nope'", "count", "plain"});
  expect_usage_error({"run", "--range", "0:10"}, {"no kernel", "count, plain"});
  expect_usage_error({"run"}, {"no kernel"});
}

TEST(CommandLine, RangeErrors) {
  expect_usage_error({"run", "--kernel", "count"}, {"no range"});
  for (const std::string bad :
       {"abc", "5", "1:2:3", "1:x", ":5", "5:", " 1:5", "1:5 ", "+1:5", "0x1:5", "1.5:5"}) {
    expect_usage_error({"run", "--kernel", "count", "--range=" + bad},
                       {"--range", "malformed range '" + bad + "'", "LO:HI"});
  }
  expect_usage_error({"run", "--kernel", "count", "--range="}, {"--range"});  // CLI11: missing
  expect_usage_error({"run", "--kernel", "count", "--range", "10:5"}, {"reversed range '10:5'"});
  expect_usage_error({"run", "--kernel", "count", "--range", "5:5"}, {"empty range '5:5'"});
}

TEST(CommandLine, SubtaskErrors) {
  expect_usage_error(run_count({"--subtasks", "0"}), {"--subtasks", "at least 1"});
  expect_usage_error(run_count({"--subtasks", "101"}),
                     {"--subtasks", "101 subtasks", "100 elements", "0:100"});
  expect_usage_error(run_count({"--subtasks", "abc"}), {"--subtasks", "whole number", "'abc'"});
  expect_usage_error(run_count({"--subtasks", "5x"}), {"--subtasks", "whole number", "'5x'"});
  expect_usage_error(run_count({"--subtasks=-3"}), {"--subtasks", "negative", "'-3'"});
  expect_usage_error(run_count({"--subtasks", "99999999999"}), {"--subtasks", "too large"});
}

TEST(CommandLine, ThreadsChunkRetriesErrors) {
  expect_usage_error(run_count({"--threads", "0"}), {"--threads", "at least 1"});
  expect_usage_error(run_count({"--threads", "two"}), {"--threads", "whole number"});
  expect_usage_error(run_count({"--chunk", "0"}), {"--chunk", "at least 1"});
  expect_usage_error(run_count({"--retries=-1"}), {"--retries", "negative"});
  expect_usage_error(run_count({"--retries", "two"}), {"--retries", "whole number", "'two'"});
  expect_usage_error(run_count({"--retries", "1.5"}), {"--retries", "whole number"});
}

TEST(CommandLine, ParamErrors) {
  expect_usage_error(run_count({"--param", "n"}), {"--param", "'n'", "NAME=VALUE"});
  expect_usage_error(run_count({"--param", "=5"}), {"--param", "empty parameter name"});
  expect_usage_error(run_count({"--param", "n=1", "--param", "n=2"}), {"'n' given twice"});
  expect_usage_error(run_count({"--param", "zz=1"}), {"count", "zz"});
  expect_usage_error(run_count({"--param", "n=abc"}), {"count", "'n'", "abc"});
  expect_usage_error(run_count({"--param", "mode=c"}), {"'mode'", "'c'"});
}

TEST(CommandLine, ScheduleAndDurationErrors) {
  expect_usage_error(run_count({"--schedule", "fifo"}),
                     {"--schedule", "unknown schedule 'fifo'", "static, dynamic or guided"});
  expect_usage_error(run_count({"--progress-interval", "5x"}),
                     {"--progress-interval", "bad duration '5x'", "unknown unit 'x'"});
  expect_usage_error(run_count({"--progress-interval=-1s"}), {"--progress-interval", "negative"});
  expect_usage_error(run_count({"--progress-interval", "0"}),
                     {"--progress-interval", "greater than zero"});
}

TEST(CommandLine, FaultToleranceDurationErrors) {
  for (const std::string flag : {"--timeout", "--heartbeat", "--worker-timeout", "--grace"}) {
    SCOPED_TRACE(flag);
    expect_usage_error(run_count({flag, "5x"}), {flag, "bad duration '5x'", "unknown unit 'x'"});
    expect_usage_error(run_count({flag + "=-1s"}), {flag, "negative"});
    expect_usage_error(run_count({flag, "soon"}), {flag, "bad duration 'soon'"});
    expect_usage_error(run_count({flag, "9000h"}), {flag, "'9000h'", "too long"});
    expect_usage_error(run_count({flag + "="}), {flag});  // CLI11: missing value
  }
  expect_usage_error(run_count({"--timeout", "0"}),
                     {"--timeout", "greater than zero", "'0'", "leave it out"});
  expect_usage_error(run_count({"--timeout", "0ms"}), {"--timeout", "greater than zero"});
  expect_usage_error(run_count({"--heartbeat", "0"}), {"--heartbeat", "greater than zero"});
  expect_usage_error(run_count({"--worker-timeout", "0s"}),
                     {"--worker-timeout", "greater than zero"});
  EXPECT_DOUBLE_EQ(parse(run_count({"--grace", "8760h"})).job.grace, 8760.0 * 3600);  // the cap
  expect_usage_error(run_count({"--progress-interval", "1e9"}),
                     {"--progress-interval", "too long"});
}

TEST(CommandLine, FaultToleranceCountErrors) {
  expect_usage_error(run_count({"--max-failures", "0"}), {"--max-failures", "at least 1"});
  expect_usage_error(run_count({"--max-failures=-2"}), {"--max-failures", "negative"});
  expect_usage_error(run_count({"--max-failures", "3.5"}), {"--max-failures", "whole number"});
  expect_usage_error(run_count({"--max-failures", "99999999999"}), {"--max-failures", "too large"});
  expect_usage_error(run_count({"--quarantine-after=-1"}), {"--quarantine-after", "negative"});
  expect_usage_error(run_count({"--quarantine-after", "five"}),
                     {"--quarantine-after", "whole number", "'five'"});
  expect_usage_error(run_count({"--quarantine-after", "99999999999"}),
                     {"--quarantine-after", "too large"});
}

TEST(CommandLine, WorkerTimeoutMustExceedHeartbeat) {
  expect_usage_error(run_count({"--worker-timeout", "1s"}),
                     {"--worker-timeout = '1s'", "greater than", "--heartbeat = 2s (the default)"});
  expect_usage_error(run_count({"--heartbeat", "30s"}),
                     {"--worker-timeout = 30s (the default)", "--heartbeat = '30s'"});
  expect_usage_error(run_count({"--heartbeat", "1m", "--worker-timeout", "30s"}),
                     {"--worker-timeout = '30s'", "--heartbeat = '1m'"});
  expect_usage_error(run_count({"--heartbeat", "5s", "--worker-timeout", "5000ms"}),
                     {"--worker-timeout", "--heartbeat"});  // equal is not enough
  const JobSpec job = parse(run_count({"--heartbeat", "5s", "--worker-timeout", "5.5s"})).job;
  EXPECT_DOUBLE_EQ(job.heartbeat, 5.0);
  EXPECT_DOUBLE_EQ(job.worker_timeout, 5.5);
  EXPECT_DOUBLE_EQ(
      parse(run_count({"--heartbeat", "40s", "--worker-timeout", "2m"})).job.worker_timeout, 120.0);
}

TEST(CommandLine, JournalErrors) {
  expect_usage_error(run_count({"--journal", ""}), {"--journal", "must not be empty"});
  expect_usage_error(run_count({"--journal="}), {"--journal"});  // CLI11: missing value
  expect_usage_error(run_count({"--fresh"}), {"--fresh", "no journal", "--journal FILE"});
  expect_usage_error(run_count({"--no-retry-failed"}),
                     {"--no-retry-failed", "no journal", "--journal FILE"});
  // The last --journal wins, so an empty one at the end clears it.
  expect_usage_error(run_count({"--journal", "a", "--journal", "", "--fresh"}),
                     {"--journal", "must not be empty"});
}

// ---- parse_range and parse_duration ----

TEST(ParseRange, Bounds) {
  EXPECT_EQ(parse_range("0:1"), (Range{0, 1}));
  EXPECT_EQ(parse_range("-10:-5"), (Range{-10, -5}));
  EXPECT_EQ(parse_range("0:9223372036854775807"), (Range{0, INT64_MAX}));
  EXPECT_EQ(parse_range("-9223372036854775807:0"), (Range{-INT64_MAX, 0}));
  EXPECT_THROW(parse_range("-9223372036854775808:0"), UsageError);  // size overflows
  EXPECT_THROW(parse_range("0:9223372036854775808"), UsageError);
  EXPECT_THROW(parse_range("abc"), UsageError);
}

TEST(ParseDuration, Units) {
  EXPECT_DOUBLE_EQ(parse_duration("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(parse_duration("30s"), 30.0);
  EXPECT_DOUBLE_EQ(parse_duration("5m"), 300.0);
  EXPECT_DOUBLE_EQ(parse_duration("1h"), 3600.0);
  EXPECT_DOUBLE_EQ(parse_duration("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ(parse_duration("2"), 2.0);
  EXPECT_DOUBLE_EQ(parse_duration("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("0"), 0.0);
}

TEST(ParseDuration, Refused) {
  for (const std::string bad :
       {"", "-1s", "-0.5", "5x", "s", "ms", "1.5 s", " 1s", "inf", "nan", "abc", "1e999", "1sec"}) {
    SCOPED_TRACE("'" + bad + "'");
    try {
      parse_duration(bad);
      ADD_FAILURE() << "accepted";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("bad duration '" + bad + "'"), std::string::npos)
          << error.what();
    }
  }
}

// ---- job files ----

class JobFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack_job_spec_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { fs::remove_all(directory_); }

  // Writes `content` to NAME in the temp directory and returns its path.
  std::string write(const std::string& name, const std::string& content) {
    const fs::path path = directory_ / name;
    std::ofstream(path) << content;
    return path.string();
  }

  fs::path directory_;
};

TEST_F(JobFile, EveryKey) {
  const std::string path = write("all.toml", R"(
kernel = "count"
range = [-10, 90]
subtasks = 10
schedule = "static"
chunk = 2
threads = 3
retries = 5
summary-json = "s.json"
quiet = true
progress-interval = "1.5s"

[params]
n = 7
scale = 2.5
label = "hi"
mode = "b"
)");
  const Command command = parse({"run", path});
  ASSERT_EQ(command.kind, Command::Kind::run);
  const JobSpec& job = command.job;
  EXPECT_EQ(job.kernel(), "count");
  EXPECT_EQ(job.range(), (Range{-10, 90}));
  EXPECT_EQ(job.subtasks, 10u);
  EXPECT_EQ(job.schedule, Schedule::static_shares);
  EXPECT_EQ(job.chunk, 2u);
  EXPECT_EQ(job.threads, 3u);
  EXPECT_EQ(job.retries, 5u);
  EXPECT_EQ(job.summary_json, (directory_ / "s.json").string());  // beside the job file
  EXPECT_TRUE(job.quiet);
  EXPECT_DOUBLE_EQ(job.progress_interval, 1.5);
  const std::map<std::string, std::string> params = {
      {"n", "7"}, {"scale", "2.5"}, {"label", "hi"}, {"mode", "b"}};
  EXPECT_EQ(job.params(), params);
  EXPECT_EQ(job.job_file, path);
}

TEST_F(JobFile, EveryFaultToleranceKey) {
  const std::string path = write("ft.toml", R"(
kernel = "count"
range = "0:100"
retries = 100
timeout = "5m"
max-failures = 4
heartbeat = 0.5
worker-timeout = 20
quarantine-after = 0
grace = "1m"
journal = "runs/ft.journal"
fresh = true
no-retry-failed = true
)");
  const JobSpec job = parse({"run", path}).job;
  EXPECT_EQ(job.retries, 100u);
  EXPECT_DOUBLE_EQ(job.timeout, 300.0);
  EXPECT_EQ(job.max_failures, 4u);
  EXPECT_DOUBLE_EQ(job.heartbeat, 0.5);
  EXPECT_DOUBLE_EQ(job.worker_timeout, 20.0);
  EXPECT_EQ(job.quarantine_after, 0u);
  EXPECT_DOUBLE_EQ(job.grace, 60.0);
  EXPECT_EQ(job.journal, (directory_ / "runs/ft.journal").string());
  EXPECT_TRUE(job.fresh);
  EXPECT_FALSE(job.retry_failed);

  // Flags override the file; the file's journal satisfies --fresh.
  const JobSpec overridden =
      parse({"run", path, "--timeout", "10s", "--max-failures", "9", "--heartbeat", "1s",
             "--worker-timeout", "5s", "--quarantine-after", "2", "--grace", "0", "--journal",
             "other.journal", "--fresh=false", "--no-retry-failed=false"})
          .job;
  EXPECT_DOUBLE_EQ(overridden.timeout, 10.0);
  EXPECT_EQ(overridden.max_failures, 9u);
  EXPECT_DOUBLE_EQ(overridden.heartbeat, 1.0);
  EXPECT_DOUBLE_EQ(overridden.worker_timeout, 5.0);
  EXPECT_EQ(overridden.quarantine_after, 2u);
  EXPECT_EQ(overridden.grace, 0.0);
  EXPECT_EQ(overridden.journal, "other.journal");
  EXPECT_FALSE(overridden.fresh);
  EXPECT_TRUE(overridden.retry_failed);

  const std::string journal_only =
      write("j.toml", "kernel = \"count\"\nrange = \"0:100\"\njournal = \"j.log\"\n");
  EXPECT_TRUE(parse({"run", journal_only, "--fresh"}).job.fresh);
  EXPECT_FALSE(parse({"run", journal_only, "--no-retry-failed"}).job.retry_failed);

  // Explicit false needs no journal.
  const std::string no_journal = write(
      "nj.toml", "kernel = \"count\"\nrange = \"0:100\"\nfresh = false\nno-retry-failed = false\n");
  const JobSpec plain = parse({"run", no_journal}).job;
  EXPECT_FALSE(plain.fresh);
  EXPECT_TRUE(plain.retry_failed);
}

// A job file's paths mean what they say wherever the job is started from (a batch script
// runs in the submit folder, not beside the job file); flags stay relative to the current
// folder, as in any shell command.
TEST_F(JobFile, PathsResolveAgainstTheJobFilesFolder) {
  fs::create_directories(directory_ / "jobs");
  write("jobs/tasks.txt", "true\n");
  const std::string path = write("jobs/list.toml", R"(
task-file = "tasks.txt"
output-dir = "../logs"
journal = "state/list.journal"
summary-json = "/tmp/absolute-stays.json"
trace = "list.trace"
)");
  const JobSpec job = parse({"run", path}).job;
  EXPECT_EQ(job.task_list()->task_file, (directory_ / "jobs/tasks.txt").string());
  EXPECT_EQ(job.task_list()->output_dir, (directory_ / "logs").string());
  EXPECT_EQ(job.journal, (directory_ / "jobs/state/list.journal").string());
  EXPECT_EQ(job.summary_json, "/tmp/absolute-stays.json");
  EXPECT_EQ(job.trace, (directory_ / "jobs/list.trace").string());
  ASSERT_EQ(job.task_list()->tasks.size(), 1u);  // the file was found from here, wherever "here" is

  const JobSpec flagged = parse({"run", path, "--journal", "mine.journal"}).job;
  EXPECT_EQ(flagged.journal, "mine.journal");
}

TEST_F(JobFile, RangeAsStringAndDefaults) {
  const std::string path = write("small.toml", "kernel = \"plain\"\nrange = \"0:1000\"\n");
  const JobSpec job = parse({"run", path}).job;
  EXPECT_EQ(job.range(), (Range{0, 1000}));
  EXPECT_EQ(job.subtasks, Partition::default_count(Range{0, 1000}));
  EXPECT_TRUE(job.params().empty());
}

TEST_F(JobFile, ParamValuesBecomeTextAsTyped) {
  const std::string path = write("params.toml", R"(
kernel = "count"
range = "0:10"
[params]
scale = 3.0
label = true
)");
  const JobSpec job = parse({"run", path}).job;
  EXPECT_EQ(job.params().at("scale"), "3.0");
  EXPECT_EQ(job.params().at("label"), "true");
}

TEST_F(JobFile, FloatParamsRoundTrip) {
  for (const double value : {0.1, 1e-7, 123456.789, 2.0 / 3.0, 1e20, -0.0}) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    const std::string path = write(
        "float.toml",
        std::string("kernel = \"count\"\nrange = \"0:10\"\n[params]\nscale = ") + text + "\n");
    const std::string param = parse({"run", path}).job.params().at("scale");
    EXPECT_EQ(std::stod(param), value) << param;
  }
}

TEST_F(JobFile, ProgressIntervalAsNumber) {
  const std::string integer = write("i.toml",
                                    "kernel = \"plain\"\nrange = \"0:10\"\n"
                                    "progress-interval = 2\n");
  EXPECT_DOUBLE_EQ(parse({"run", integer}).job.progress_interval, 2.0);
  const std::string real = write("r.toml",
                                 "kernel = \"plain\"\nrange = \"0:10\"\n"
                                 "progress-interval = 0.5\n");
  EXPECT_DOUBLE_EQ(parse({"run", real}).job.progress_interval, 0.5);
}

TEST_F(JobFile, FlagsOverrideFile) {
  const std::string path = write("base.toml", R"(
kernel = "count"
range = "0:100"
subtasks = 10
schedule = "static"
quiet = false
[params]
n = 7
label = "file"
)");
  const JobSpec job = parse({"run", path, "--subtasks", "20", "--schedule", "dynamic", "--quiet",
                             "--param", "n=8", "--range", "0:50"})
                          .job;
  EXPECT_EQ(job.subtasks, 20u);
  EXPECT_EQ(job.schedule, Schedule::dynamic);
  EXPECT_TRUE(job.quiet);
  EXPECT_EQ(job.params().at("n"), "8");
  EXPECT_EQ(job.params().at("label"), "file");  // not overridden: kept
  EXPECT_EQ(job.range(), (Range{0, 50}));
  EXPECT_EQ(job.job_file, path);

  // Flags may come before the file too.
  const std::string plain = write("plain.toml", "kernel = \"count\"\nrange = \"0:100\"\n");
  EXPECT_EQ(parse({"run", "--kernel", "plain", plain}).job.kernel(), "plain");
}

TEST_F(JobFile, FileErrors) {
  const std::string missing = (directory_ / "missing.toml").string();
  expect_usage_error({"run", missing}, {"job file '" + missing + "': No such file or directory"});
  expect_usage_error({"run", directory_.string()}, {"job file", "Is a directory"});

  const std::string malformed = write("bad.toml", "kernel = \"count\"\nrange = \n");
  expect_usage_error({"run", malformed}, {"job file '" + malformed + "'", "line 2"});
  const std::string unterminated = write("bad2.toml", "kernel = \"count\n");
  expect_usage_error({"run", unterminated}, {"job file", "line 1"});
  const std::string duplicate = write("dup.toml", "kernel = \"count\"\nkernel = \"plain\"\n");
  expect_usage_error({"run", duplicate}, {"job file", "line 2", "kernel"});
}

TEST_F(JobFile, UnknownKey) {
  const std::string path =
      write("typo.toml", "kernel = \"count\"\nrange = \"0:10\"\nsubtask = 5\n");
  expect_usage_error({"run", path}, {"unknown key 'subtask'", "line 3", "subtasks"});
}

TEST_F(JobFile, WrongTypes) {
  const auto with = [&](const std::string& line) {
    return write("type.toml", "kernel = \"count\"\nrange = \"0:10\"\n" + line + "\n");
  };
  expect_usage_error({"run", with("subtasks = \"ten\"")},
                     {"subtasks", "line 3", "must be an integer", "\"ten\""});
  expect_usage_error({"run", with("quiet = \"yes\"")}, {"quiet", "must be a boolean"});
  expect_usage_error({"run", with("retries = 1.5")}, {"retries", "must be an integer", "float"});
  expect_usage_error({"run", with("schedule = 1")}, {"schedule", "must be a string"});
  expect_usage_error({"run", with("summary-json = false")}, {"summary-json", "must be a string"});
  expect_usage_error({"run", with("progress-interval = true")}, {"progress-interval", "duration"});
  expect_usage_error({"run", with("params = 5")}, {"params", "must be a table"});
  expect_usage_error({"run", with("[params]\nn = [1, 2]")}, {"params.n", "line 4", "an array"});
  for (const std::string key : {"timeout", "heartbeat", "worker-timeout", "grace"}) {
    expect_usage_error({"run", with(key + " = true")},
                       {key + " (job file", "line 3", "duration", "boolean"});
  }
  for (const std::string key : {"max-failures", "quarantine-after"}) {
    expect_usage_error({"run", with(key + " = \"3\"")},
                       {key + " (job file", "must be an integer", "\"3\""});
  }
  expect_usage_error({"run", with("journal = 5")}, {"journal", "must be a string"});
  expect_usage_error({"run", with("fresh = \"yes\"")}, {"fresh", "must be a boolean"});
  expect_usage_error({"run", with("no-retry-failed = 1")},
                     {"no-retry-failed", "must be a boolean"});

  const auto range = [&](const std::string& value) {
    return write("range.toml", "kernel = \"count\"\nrange = " + value + "\n");
  };
  for (const std::string bad : {"[1]", "[1, 2, 3]", "[1, \"x\"]", "5", "{ lo = 1, hi = 2 }"}) {
    expect_usage_error({"run", range(bad)}, {"range", "line 2", "\"LO:HI\"", "[LO, HI]"});
  }
  expect_usage_error({"run", write("kernel.toml", "kernel = 5\nrange = \"0:10\"\n")},
                     {"kernel", "must be a string"});
}

TEST_F(JobFile, BadValuesNameTheFile) {
  const auto with = [&](const std::string& lines) {
    return write("value.toml", "kernel = \"count\"\n" + lines + "\n");
  };
  expect_usage_error({"run", with("range = \"0:10\"\nsubtasks = 0")},
                     {"subtasks (job file", "line 3", "at least 1"});
  expect_usage_error({"run", with("range = \"0:10\"\nsubtasks = -4")}, {"subtasks", "negative"});
  expect_usage_error({"run", with("range = \"0:10\"\nthreads = 0")}, {"threads", "at least 1"});
  expect_usage_error({"run", with("range = \"0:10\"\nchunk = 0")}, {"chunk", "at least 1"});
  expect_usage_error({"run", with("range = \"0:10\"\nretries = -1")}, {"retries", "negative"});
  expect_usage_error({"run", with("range = [10, 5]")}, {"range (job file", "reversed range"});
  expect_usage_error({"run", with("range = \"0:10\"\nschedule = \"fifo\"")},
                     {"unknown schedule 'fifo'"});
  expect_usage_error({"run", with("range = \"0:10\"\nprogress-interval = \"soon\"")},
                     {"progress-interval", "bad duration 'soon'"});
  expect_usage_error({"run", with("range = \"0:10\"\n[params]\nzz = 1")}, {"count", "zz"});
  expect_usage_error({"run", with("range = \"0:10\"\nretries = 101")},
                     {"retries (job file", "line 3", "at most 100"});
  expect_usage_error({"run", with("range = \"0:10\"\ntimeout = 0")},
                     {"timeout (job file", "line 3", "greater than zero"});
  expect_usage_error({"run", with("range = \"0:10\"\ntimeout = \"-5s\"")},
                     {"timeout (job file", "negative"});
  expect_usage_error({"run", with("range = \"0:10\"\nheartbeat = 0.0")},
                     {"heartbeat (job file", "greater than zero"});
  expect_usage_error({"run", with("range = \"0:10\"\ngrace = -1")},
                     {"grace (job file", "negative"});
  expect_usage_error({"run", with("range = \"0:10\"\nmax-failures = 0")},
                     {"max-failures (job file", "at least 1"});
  expect_usage_error({"run", with("range = \"0:10\"\nquarantine-after = -1")},
                     {"quarantine-after (job file", "negative"});
  expect_usage_error({"run", with("range = \"0:10\"\njournal = \"\"")},
                     {"journal (job file", "must not be empty"});
  expect_usage_error({"run", with("range = \"0:10\"\nfresh = true")},
                     {"fresh (job file", "line 3", "no journal"});
  expect_usage_error({"run", with("range = \"0:10\"\nno-retry-failed = true")},
                     {"no-retry-failed (job file", "line 3", "no journal"});
  expect_usage_error(
      {"run", with("range = \"0:10\"\nheartbeat = \"10s\"\nworker-timeout = 10")},
      {"worker-timeout (job file", "line 4", "greater than", "heartbeat (job file", "line 3"});
  // A flag fixes what the file got wrong, and is named when it is the one at fault.
  const std::string slow = with("range = \"0:10\"\nheartbeat = \"10s\"");
  EXPECT_DOUBLE_EQ(parse({"run", slow, "--worker-timeout", "11s"}).job.worker_timeout, 11.0);
  expect_usage_error({"run", slow, "--worker-timeout", "9s"},
                     {"--worker-timeout = '9s'", "heartbeat (job file"});
  expect_usage_error({"run", write("k.toml", "kernel = \"nope\"\nrange = \"0:10\"\n")},
                     {"kernel (job file", "unknown kernel 'nope'"});
}

// ---- resources (issue 11) ----

TEST(CommandLine, ResourceOptionsDefaults) {
  const JobSpec job = parse(run_count()).job;
  EXPECT_EQ(job.gpus, "auto");
  EXPECT_EQ(job.memory, "auto");
  EXPECT_EQ(job.bind, Binding::none);
  EXPECT_DOUBLE_EQ(job.reserve_after, 30.0);
}

TEST(CommandLine, ResourceOptions) {
  for (const std::string gpus :
       {"0,1,2,3", "7", "none", "auto", "GPU-8f3a2c1e-1b2c,GPU-00ff", "MIG-GPU-8f3a/1/0"}) {
    EXPECT_EQ(parse(run_count({"--gpus", gpus})).job.gpus, gpus);
  }
  EXPECT_EQ(parse(run_count({"--mem", "64G"})).job.memory, "64G");
  EXPECT_EQ(parse(run_count({"--mem", "0"})).job.memory, "0");
  EXPECT_EQ(parse(run_count({"--mem", "64G", "--mem", "auto"})).job.memory, "auto");
  EXPECT_EQ(parse(run_count({"--bind", "cores"})).job.bind, Binding::cores);
  EXPECT_EQ(parse(run_count({"--bind", "none"})).job.bind, Binding::none);
  EXPECT_DOUBLE_EQ(parse(run_count({"--reserve-after", "2m"})).job.reserve_after, 120.0);
  // Zero: a task that does not fit reserves a worker at once.
  EXPECT_DOUBLE_EQ(parse(run_count({"--reserve-after", "0"})).job.reserve_after, 0.0);
}

TEST(CommandLine, ResourceOptionErrors) {
  expect_usage_error(run_count({"--gpus", ","}), {"--gpus", "empty GPU id in ','"});
  expect_usage_error(run_count({"--gpus", ""}), {"--gpus", "must not be empty", "auto or none"});
  expect_usage_error(run_count({"--gpus", "0,,1"}), {"--gpus", "empty GPU id"});
  expect_usage_error(run_count({"--gpus", "0,1,"}), {"--gpus", "empty GPU id"});
  expect_usage_error(run_count({"--gpus", "0, 1"}), {"--gpus", "' 1'", "blank"});
  expect_usage_error(run_count({"--gpus", "0,1,0"}), {"--gpus", "'0' is listed twice"});
  expect_usage_error(run_count({"--gpus", "auto,0"}), {"--gpus", "'auto' stands alone"});
  expect_usage_error(run_count({"--mem", "12X"}), {"--mem", "memory size '12X'"});
  expect_usage_error(run_count({"--mem", ""}), {"--mem", "memory size ''"});
  expect_usage_error(run_count({"--mem", "-1G"}), {"--mem", "memory size '-1G'"});
  expect_usage_error(run_count({"--bind", "threads"}),
                     {"--bind", "unknown binding 'threads'", "none or cores"});
  expect_usage_error(run_count({"--reserve-after", "-1s"}), {"--reserve-after", "negative"});
  expect_usage_error(run_count({"--reserve-after", "9000h"}), {"--reserve-after", "too long"});
  // The per-task requirement belongs to task files.
  expect_usage_error(run_count({"--gpus-per-task", "1"}),
                     {"--gpus-per-task", "applies to a task file only"});
  expect_usage_error(run_count({"--mem-per-task", "1G"}),
                     {"--mem-per-task", "applies to a task file only"});
}

TEST_F(JobFile, PerTaskFlagsAreTheRequirementOfLinesNoDirectiveCovers) {
  const std::string tasks =
      write("tasks.txt", "echo a\n#TASKTRACK gpus=2\necho b\n#TASKTRACK cores=1\necho c\n");
  const TaskListJob defaults = *parse({"run", "--task-file", tasks}).job.task_list();
  EXPECT_EQ(defaults.per_task(), Resources{});
  EXPECT_EQ(defaults.tasks.at(0).requirement, Resources{});
  EXPECT_EQ(defaults.tasks.at(1).requirement, (Resources{1, 2, 0}));
  EXPECT_TRUE(defaults.mixed_requirements());

  const JobSpec job = parse({"run", "--task-file", tasks, "--cores-per-task", "4",
                             "--gpus-per-task", "1", "--mem-per-task", "2G"})
                          .job;
  const TaskListJob& list = *job.task_list();
  constexpr std::uint64_t two_gib = 2ULL << 30;
  EXPECT_EQ(list.per_task(), (Resources{4, 1, two_gib}));
  ASSERT_EQ(list.tasks.size(), 3u);
  EXPECT_EQ(list.tasks[0].requirement, (Resources{4, 1, two_gib}));
  EXPECT_EQ(list.tasks[1].requirement, (Resources{4, 2, two_gib}));
  EXPECT_EQ(list.tasks[2].requirement, (Resources{1, 1, two_gib}));
  EXPECT_EQ(parse({"run", "--task-file", tasks, "--gpus-per-task", "0"})
                .job.task_list()
                ->tasks[0]
                .requirement.gpus,
            0u);

  const std::string job_file = write("gpu.toml", R"(
task-file = "tasks.txt"
gpus-per-task = 3
mem-per-task = "512M"
gpus = "0,1,2,3"
mem = "64G"
bind = "cores"
reserve-after = "1m"
)");
  const JobSpec from_file = parse({"run", job_file}).job;
  EXPECT_EQ(from_file.task_list()->per_task(), (Resources{1, 3, 512ULL << 20}));
  EXPECT_EQ(from_file.task_list()->tasks[1].requirement, (Resources{1, 2, 512ULL << 20}));
  EXPECT_EQ(from_file.gpus, "0,1,2,3");
  EXPECT_EQ(from_file.memory, "64G");
  EXPECT_EQ(from_file.bind, Binding::cores);
  EXPECT_DOUBLE_EQ(from_file.reserve_after, 60.0);
}

TEST_F(JobFile, BadPerTaskRequirements) {
  const std::string tasks = write("tasks.txt", "echo a\n");
  expect_usage_error({"run", "--task-file", tasks, "--gpus-per-task", "-1"},
                     {"--gpus-per-task", "negative"});
  expect_usage_error({"run", "--task-file", tasks, "--gpus-per-task", "one"},
                     {"--gpus-per-task", "whole number", "'one'"});
  expect_usage_error({"run", "--task-file", tasks, "--mem-per-task", "12X"},
                     {"--mem-per-task", "memory size '12X'"});
  expect_usage_error({"run", "--task-file", tasks, "--cores-per-task", "0"},
                     {"--cores-per-task", "at least 1"});
  const std::string bad = write("bad.txt", "echo a\n\n#TASKTRACK gpu=1\necho b\n");
  expect_usage_error({"run", "--task-file", bad},
                     {"task file '" + bad + "', line 3", "'gpu=1'", "unknown key 'gpu'"});
  expect_usage_error({"run", write("gpu.toml", "task-file = \"tasks.txt\"\ngpus-per-task = -2\n")},
                     {"gpus-per-task (job file", "negative"});
}

// ---- JSON ----

void expect_same(const JobSpec& a, const JobSpec& b) {
  EXPECT_EQ(a.kernel(), b.kernel());
  EXPECT_EQ(a.range(), b.range());
  EXPECT_EQ(a.subtasks, b.subtasks);
  EXPECT_EQ(a.params(), b.params());
  EXPECT_EQ(a.schedule, b.schedule);
  EXPECT_EQ(a.chunk, b.chunk);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.retries, b.retries);
  EXPECT_EQ(a.summary_json, b.summary_json);
  EXPECT_EQ(a.quiet, b.quiet);
  EXPECT_EQ(a.progress, b.progress);
  EXPECT_EQ(a.progress_interval, b.progress_interval);
  EXPECT_EQ(a.job_file, b.job_file);
  EXPECT_EQ(a.timeout, b.timeout);
  EXPECT_EQ(a.timeout_percent, b.timeout_percent);
  EXPECT_EQ(a.max_failures, b.max_failures);
  EXPECT_EQ(a.heartbeat, b.heartbeat);
  EXPECT_EQ(a.worker_timeout, b.worker_timeout);
  EXPECT_EQ(a.quarantine_after, b.quarantine_after);
  EXPECT_EQ(a.grace, b.grace);
  EXPECT_EQ(a.journal, b.journal);
  EXPECT_EQ(a.fresh, b.fresh);
  EXPECT_EQ(a.retry_failed, b.retry_failed);
  EXPECT_EQ(a.gpus, b.gpus);
  EXPECT_EQ(a.memory, b.memory);
  EXPECT_EQ(a.bind, b.bind);
  EXPECT_EQ(a.reserve_after, b.reserve_after);
  ASSERT_EQ(a.is_task_list(), b.is_task_list());
  if (a.is_task_list()) {
    EXPECT_EQ(a.task_list()->task_file, b.task_list()->task_file);
    EXPECT_EQ(a.task_list()->tasks, b.task_list()->tasks);
    EXPECT_EQ(a.task_list()->output_dir, b.task_list()->output_dir);
    EXPECT_EQ(a.task_list()->cores_per_task, b.task_list()->cores_per_task);
    EXPECT_EQ(a.task_list()->gpus_per_task, b.task_list()->gpus_per_task);
    EXPECT_EQ(a.task_list()->memory_per_task, b.task_list()->memory_per_task);
    EXPECT_EQ(a.task_list()->task_format, b.task_list()->task_format);
    EXPECT_EQ(a.task_list()->shell, b.task_list()->shell);
    EXPECT_EQ(a.task_list()->plain_commands_without_shell,
              b.task_list()->plain_commands_without_shell);
    EXPECT_EQ(a.task_list()->keep_mpi_environment, b.task_list()->keep_mpi_environment);
    EXPECT_EQ(a.task_list()->keep_background, b.task_list()->keep_background);
  }
}

TEST(JobSpecJson, RoundTripsEveryField) {
  JobSpec job;
  job.work =
      RangeJob{"mandelbrot", Range{-9000000000, 600}, {{"width", "800"}, {"output", "a b=c.png"}}};
  job.subtasks = 120;
  job.schedule = Schedule::static_shares;
  job.chunk = 4;
  job.threads = 8;
  job.retries = 0;
  job.summary_json = "summary.json";
  job.quiet = true;
  job.progress = ProgressStyle::bar;
  job.progress_interval = 0.1;
  job.job_file = "jobs/mandelbrot.toml";
  // Not the defaults, so that a field left out of to_json or from_json shows.
  job.timeout = 0.3;
  job.timeout_percent = 250;
  job.max_failures = 7;
  job.heartbeat = 1.25;
  job.worker_timeout = 45.5;
  job.quarantine_after = 0;
  job.grace = 0.1;
  job.journal = "runs/a b.journal";
  job.fresh = true;
  job.retry_failed = false;
  job.gpus = "GPU-aa,GPU-bb";
  job.memory = "48G";
  job.bind = Binding::cores;
  job.reserve_after = 12.5;

  const nlohmann::json json = job;
  EXPECT_EQ(json.at("bind"), "cores");
  EXPECT_EQ(json.at("journal"), "runs/a b.journal");
  EXPECT_EQ(json.at("retry_failed"), false);
  EXPECT_EQ(json.at("schedule"), "static");
  EXPECT_EQ(json.at("range").at("lo"), -9000000000);
  expect_same(json.get<JobSpec>(), job);
  // Through text, as it travels between ranks.
  expect_same(nlohmann::json::parse(json.dump()).get<JobSpec>(), job);

  for (const Schedule schedule : {Schedule::dynamic, Schedule::guided}) {
    job.schedule = schedule;
    expect_same(nlohmann::json(job).get<JobSpec>(), job);
  }
}

TEST(JobSpecJson, TaskListRoundTrips) {
  JobSpec job;
  job.work = TaskListJob{.task_file = "jobs/a b.tasks",
                         .tasks = {{1, "echo a", {4, 0, 0}}, {3, "@primes 0:10", {4, 0, 0}}},
                         .output_dir = "out",
                         .cores_per_task = 4};
  // Issue 13's runner settings, not their defaults.
  job.task_list()->task_format = TaskFormat::jsonl;
  job.task_list()->shell = "/bin/bash";
  job.task_list()->plain_commands_without_shell = false;
  job.task_list()->keep_mpi_environment = true;
  job.task_list()->keep_background = true;
  job.subtasks = 2;
  const nlohmann::json json = job;
  EXPECT_EQ(json.at("kernel"), "commands");
  EXPECT_EQ(json.at("range").at("hi"), 2);
  const JobSpec back = nlohmann::json::parse(json.dump()).get<JobSpec>();
  expect_same(back, job);
  EXPECT_EQ(back.kernel(), "commands");
  EXPECT_EQ(back.range(), (Range{0, 2}));
  EXPECT_TRUE(back.params().empty());
}

TEST(JobSpecJson, EachLinesRequirementTravels) {
  constexpr std::uint64_t gib = 1ULL << 30;
  JobSpec job;
  job.work =
      TaskListJob{.task_file = "gpu.tasks",
                  .tasks = {{1, "echo flags", {2, 1, gib}},
                            {3, "python train.py", {8, 1, 16 * gib}, "cores=8 mem=17179869184"},
                            {4, "python big.py", {2, 4, gib}, "gpus=4"},
                            {6, "@primes 0:10", {2, 1, gib}, "gpus=1"},
                            {7, "echo reset", {2, 1, gib}}},
                  .output_dir = "out",
                  .cores_per_task = 2,
                  .gpus_per_task = 1,
                  .memory_per_task = gib};
  job.subtasks = 5;
  const nlohmann::json json = job;
  EXPECT_EQ(json.at("gpus_per_task"), 1);
  EXPECT_EQ(json.at("memory_per_task"), gib);
  // A line no directive covers travels as [line, text]; the others carry theirs.
  EXPECT_EQ(json.at("tasks").at(0), nlohmann::json::parse(R"([1, "echo flags"])"));
  EXPECT_EQ(json.at("tasks").at(1),
            nlohmann::json::parse(
                R"([3, "python train.py", 8, 1, 17179869184, "cores=8 mem=17179869184"])"));
  // A directive that asks for what the flags say is still part of the line's key.
  EXPECT_EQ(json.at("tasks").at(3),
            nlohmann::json::parse(R"([6, "@primes 0:10", 2, 1, 1073741824, "gpus=1"])"));
  EXPECT_EQ(json.at("tasks").at(4), nlohmann::json::parse(R"([7, "echo reset"])"));
  const JobSpec back = nlohmann::json::parse(json.dump()).get<JobSpec>();
  expect_same(back, job);
  EXPECT_TRUE(back.task_list()->mixed_requirements());
}

TEST(JobSpecJson, ATasksArgvCwdEnvironmentNameAndPhaseTravel) {
  TaskLine plain{1, "echo a", {1, 0, 0}};
  TaskLine generated{2, "printf x", {1, 0, 0}};
  generated.argv = {"printf", "%s\n", "a b"};
  generated.cwd = "/scratch/run 1";
  generated.environment = {{"SEED", "7"}, {"EMPTY", ""}};
  generated.name = "first";
  generated.phase = 2;
  JobSpec job;
  job.work = TaskListJob{.task_file = "t.jsonl", .tasks = {plain, generated}, .output_dir = "out"};
  job.subtasks = 2;
  const nlohmann::json json = job;
  EXPECT_EQ(json.at("tasks").at(0), nlohmann::json::parse(R"([1, "echo a"])"));
  EXPECT_EQ(json.at("tasks").at(1).size(), 7u);
  const JobSpec back = nlohmann::json::parse(json.dump()).get<JobSpec>();
  expect_same(back, job);
  EXPECT_EQ(back.task_list()->tasks.at(1), generated);
}

TEST(JobSpecJson, RefusesUnknownBinding) {
  nlohmann::json json = JobSpec{};
  json["bind"] = "sockets";
  EXPECT_THROW(json.get<JobSpec>(), std::invalid_argument);
}

TEST(JobSpecJson, ParsedJobRoundTrips) {
  const JobSpec job = parse(run_count({"--timeout", "1ms", "--journal", "j", "--fresh",
                                       "--no-retry-failed", "--quarantine-after", "9"}))
                          .job;
  expect_same(nlohmann::json::parse(nlohmann::json(job).dump()).get<JobSpec>(), job);
}

TEST(JobSpecJson, EveryFieldIsRequired) {
  const nlohmann::json full = JobSpec{};
  for (const auto& [key, value] : full.items()) {
    SCOPED_TRACE(key);
    nlohmann::json missing = full;
    missing.erase(key);
    EXPECT_THROW(missing.get<JobSpec>(), nlohmann::json::out_of_range);
  }
  EXPECT_GE(full.size(), 21u);
}

TEST(JobSpecJson, RefusesUnknownSchedule) {
  nlohmann::json json = JobSpec{};
  json["schedule"] = "fifo";
  EXPECT_THROW(json.get<JobSpec>(), std::invalid_argument);
}

// ---- the job files people copy (jobs/) ----

#ifdef TASKTRACK_SOURCE_DIR
const fs::path jobs_directory = fs::path(TASKTRACK_SOURCE_DIR) / "jobs";
#endif

TEST(ShippedJobFiles, EveryFileParses) {
#ifndef TASKTRACK_SOURCE_DIR
  GTEST_SKIP() << "TASKTRACK_SOURCE_DIR not defined";
#else
  int count = 0;
  for (const auto& entry : fs::directory_iterator(jobs_directory)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    ++count;
    try {
      EXPECT_EQ(parse_command_line({"run", entry.path().string()}, kernel_registry()).kind,
                Command::Kind::run);
    } catch (const UsageError& error) {
      ADD_FAILURE() << error.what();
    }
  }
  EXPECT_GE(count, 3);
#endif
}

TEST(ShippedJobFiles, Contents) {
#ifndef TASKTRACK_SOURCE_DIR
  GTEST_SKIP() << "TASKTRACK_SOURCE_DIR not defined";
#else
  const auto load = [](const char* name) {
    return parse_command_line({"run", (jobs_directory / name).string()}, kernel_registry()).job;
  };
  const JobSpec mandelbrot = load("mandelbrot.toml");
  EXPECT_EQ(mandelbrot.kernel(), "mandelbrot");
  EXPECT_EQ(mandelbrot.range(), (Range{0, 600}));
  EXPECT_EQ(mandelbrot.subtasks, 120u);
  EXPECT_EQ(mandelbrot.schedule, Schedule::guided);
  EXPECT_EQ(mandelbrot.params().at("width"), "800");
  EXPECT_EQ(mandelbrot.params().at("height"), "600");
  EXPECT_EQ(mandelbrot.params().at("max_iter"), "500");
  EXPECT_EQ(mandelbrot.params().at("output"), "mandelbrot.png");

  const JobSpec primes = load("primes.toml");
  EXPECT_EQ(primes.kernel(), "primes");
  EXPECT_EQ(primes.range(), (Range{0, 2000000}));
  EXPECT_EQ(primes.subtasks, 200u);

  const JobSpec pi = load("pi.toml");
  EXPECT_EQ(pi.kernel(), "pi");
  EXPECT_EQ(pi.range(), (Range{0, 50000000}));
  EXPECT_EQ(pi.subtasks, 100u);
  EXPECT_EQ(pi.params().at("seed"), "1");
#endif
}

}  // namespace
}  // namespace tasktrack
