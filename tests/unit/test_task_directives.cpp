// `#TASKTRACK` directive lines (commands/task_directives.hpp): which lines are directives,
// what their words set, and the one-line errors for bad ones.
#include "commands/task_directives.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

constexpr std::uint64_t gib = 1024ULL * 1024 * 1024;

TEST(DirectiveLine, OnlyAFirstWordOfExactlyHashTasktrackIsADirective) {
  EXPECT_TRUE(is_directive_line("#TASKTRACK cores=8"));
  EXPECT_TRUE(is_directive_line("#TASKTRACK\tgpus=1"));
  EXPECT_TRUE(is_directive_line("   #TASKTRACK mem=1G"));
  EXPECT_TRUE(is_directive_line("#TASKTRACK"));
  EXPECT_FALSE(is_directive_line("#TASKTRACKx cores=8"));
  EXPECT_FALSE(is_directive_line("#TASKTRACK=cores"));
  EXPECT_FALSE(is_directive_line("# TASKTRACK cores=8"));
  EXPECT_FALSE(is_directive_line("#tasktrack cores=8"));
  EXPECT_FALSE(is_directive_line("## TASKTRACK"));
  EXPECT_FALSE(is_directive_line("echo #TASKTRACK cores=8"));
  EXPECT_FALSE(is_directive_line(""));
}

TEST(DirectiveLine, ReadsEachKey) {
  const TaskDirective all = parse_directive_line("#TASKTRACK cores=8 gpus=1 mem=16G");
  EXPECT_EQ(all.cores, 8u);
  EXPECT_EQ(all.gpus, 1u);
  EXPECT_EQ(all.memory_bytes, 16 * gib);

  const TaskDirective some = parse_directive_line("#TASKTRACK  gpus=0\t mem=512M ");
  EXPECT_FALSE(some.cores.has_value());
  EXPECT_EQ(some.gpus, 0u);
  EXPECT_EQ(some.memory_bytes, 512ULL * 1024 * 1024);

  EXPECT_EQ(parse_directive_line("#TASKTRACK mem=0").memory_bytes, 0u);
  EXPECT_EQ(parse_directive_line("#TASKTRACK").identity, "");
  EXPECT_EQ(parse_directive_line("#TASKTRACK mem=2048").memory_bytes, 2 * gib);  // MiB
  EXPECT_EQ(parse_directive_line("#TASKTRACK cores=4294967295").cores, 4294967295u);
}

TEST(DirectiveLine, ItsIdentityIsWhatItSaysSpelledOneWay) {
  EXPECT_EQ(parse_directive_line("#TASKTRACK cores=8 gpus=1 mem=16G").identity,
            "cores=8 gpus=1 mem=17179869184");
  // The table's order and canonical values, whatever the order and spelling.
  EXPECT_EQ(parse_directive_line("#TASKTRACK mem=16384M gpus=01 cores=8").identity,
            "cores=8 gpus=1 mem=17179869184");
  EXPECT_EQ(parse_directive_line("#TASKTRACK gpus=0").identity, "gpus=0");
}

TEST(DirectiveLine, KeysLeftOutTakeTheFlags) {
  const Resources flags{4, 2, 3 * gib};
  EXPECT_EQ(parse_directive_line("#TASKTRACK gpus=1").requirement(flags),
            (Resources{4, 1, 3 * gib}));
  EXPECT_EQ(parse_directive_line("#TASKTRACK cores=1 mem=1G").requirement(flags),
            (Resources{1, 2, gib}));
  // A bare #TASKTRACK sets nothing: the lines after it are back to the flags.
  EXPECT_EQ(parse_directive_line("#TASKTRACK").requirement(flags), flags);
}

void expect_refused(const std::string& line, std::initializer_list<std::string> parts) {
  SCOPED_TRACE(line);
  try {
    parse_directive_line(line);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
    // Every refusal lists what a directive takes.
    EXPECT_NE(message.find("cores=N, gpus=N, mem=SIZE"), std::string::npos) << message;
  }
}

TEST(DirectiveLine, RefusesBadWordsNamingThem) {
  expect_refused("#TASKTRACK cpus=8", {"'cpus=8'", "unknown key 'cpus'"});
  expect_refused("#TASKTRACK barrier", {"'barrier'", "unknown directive"});
  expect_refused("#TASKTRACK cores", {"'cores'", "expected cores=N"});
  expect_refused("#TASKTRACK cores=0", {"'cores=0'", "at least 1"});
  expect_refused("#TASKTRACK cores=", {"'cores='", "whole number"});
  expect_refused("#TASKTRACK cores=-1", {"'cores=-1'", "whole number"});
  expect_refused("#TASKTRACK cores=2.5", {"'cores=2.5'", "whole number"});
  expect_refused("#TASKTRACK gpus=x", {"'gpus=x'", "whole number"});
  expect_refused("#TASKTRACK gpus=4294967296", {"'gpus=4294967296'", "too large"});
  expect_refused("#TASKTRACK mem=12X", {"'mem=12X'", "memory size"});
  expect_refused("#TASKTRACK mem=", {"'mem='", "memory size"});
  expect_refused("#TASKTRACK cores=2 gpus=1 cores=4", {"'cores=4'", "given twice"});
  expect_refused("#TASKTRACK =3", {"'=3'", "unknown key ''"});
  expect_refused("#TASKTRACK cores=8 # big ones", {"'#'", "unknown directive"});
}

}  // namespace
}  // namespace tasktrack
