// `#TASKTRACK` directive lines (commands/task_directives.hpp): which lines are directives,
// what their words set, and the one-line errors for bad ones.
#include "commands/task_directives.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

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

TEST(DirectiveLine, TimeIsAnExpectedDurationForTheDeadlineAndNoPartOfTheIdentity) {
  const TaskDirective timed = parse_directive_line("#TASKTRACK cores=2 time=5m");
  EXPECT_EQ(timed.expected_seconds, 300.0);
  EXPECT_EQ(timed.cores, 2u);
  // A changed estimate keeps the lines what they were to a journal.
  EXPECT_EQ(timed.identity, "cores=2");
  EXPECT_EQ(parse_directive_line("#TASKTRACK time=90").expected_seconds, 90.0);
  EXPECT_EQ(parse_directive_line("#TASKTRACK time=1h").identity, "");
  EXPECT_FALSE(parse_directive_line("#TASKTRACK cores=1").expected_seconds.has_value());
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
  // Issue 13's word forms stand alone on their line: after a key they are unknown words.
  expect_refused("#TASKTRACK cores=2 barrier", {"'barrier'", "unknown directive"});
  expect_refused("#TASKTRACK barriers", {"'barriers'", "unknown directive"});
  expect_refused("#TASKTRACK barrier now", {"'now'", "'barrier check'"});
  expect_refused("#TASKTRACK barrier check twice", {"'check'", "'barrier check'"});
  expect_refused("#TASKTRACK repeat 3", {"'repeat'", "repeat N TEMPLATE"});
  expect_refused("#TASKTRACK repeat x echo", {"'x'", "repeat count", "whole number"});
  expect_refused("#TASKTRACK repeat -2 echo", {"'-2'", "whole number"});
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
  expect_refused("#TASKTRACK time=soon", {"'time=soon'", "time=DURATION"});
  expect_refused("#TASKTRACK time=0", {"'time=0'", "more than 0"});
  expect_refused("#TASKTRACK time", {"'time'", "expected time=DURATION"});
  expect_refused("#TASKTRACK cores=8 # big ones", {"'#'", "unknown directive"});
}

TEST(DirectiveLine, WordFormsShapeTheCommands) {
  const TaskDirective prefix = parse_directive_line("#TASKTRACK prefix  cd work &&");
  EXPECT_EQ(prefix.action, DirectiveAction::prefix);
  EXPECT_EQ(prefix.text, "cd work && ");
  const TaskDirective suffix = parse_directive_line("#TASKTRACK suffix > out.txt");
  EXPECT_EQ(suffix.action, DirectiveAction::suffix);
  EXPECT_EQ(suffix.text, " > out.txt");
  // No text resets.
  EXPECT_EQ(parse_directive_line("#TASKTRACK prefix").text, "");
  EXPECT_EQ(parse_directive_line("#TASKTRACK suffix  ").text, "");

  const TaskDirective repeat = parse_directive_line("#TASKTRACK repeat 12 step.py --index {#}  x");
  EXPECT_EQ(repeat.action, DirectiveAction::repeat);
  EXPECT_EQ(repeat.repeat_count, 12u);
  EXPECT_EQ(repeat.text, "step.py --index {#}  x");
  EXPECT_FALSE(repeat.repeat_index_in_environment);

  const TaskDirective barrier = parse_directive_line("#TASKTRACK barrier");
  EXPECT_EQ(barrier.action, DirectiveAction::barrier);
  EXPECT_FALSE(barrier.check);
  EXPECT_TRUE(parse_directive_line("#TASKTRACK\tbarrier  check").check);
  // The key=value form is still the requirement.
  EXPECT_EQ(parse_directive_line("#TASKTRACK cores=2").action, DirectiveAction::requirement);
}

TEST(DisbatchLine, OnlyHashDisbatchAtTheFirstColumnIsADirective) {
  EXPECT_TRUE(is_disbatch_directive_line("#DISBATCH BARRIER"));
  EXPECT_TRUE(is_disbatch_directive_line("#DISBATCHX"));           // disBatch: an unknown directive
  EXPECT_FALSE(is_disbatch_directive_line(" #DISBATCH BARRIER"));  // disBatch: a comment
  EXPECT_FALSE(is_disbatch_directive_line("#disbatch BARRIER"));
  EXPECT_FALSE(is_disbatch_directive_line("# DISBATCH BARRIER"));
}

TEST(DisbatchLine, ReadsDirectivesAsDisbatchDoes) {
  // PREFIX and SUFFIX are joined as written: no space added, trailing blanks kept.
  const TaskDirective prefix =
      parse_disbatch_directive_line("#DISBATCH PREFIX ( cd /path/to/workdir ; myprog ");
  EXPECT_EQ(prefix.action, DirectiveAction::prefix);
  EXPECT_EQ(prefix.text, "( cd /path/to/workdir ; myprog ");
  const TaskDirective suffix =
      parse_disbatch_directive_line("#DISBATCH SUFFIX  ) &> task_${DISBATCH_TASKID}.log");
  EXPECT_EQ(suffix.action, DirectiveAction::suffix);
  EXPECT_EQ(suffix.text, " ) &> task_${DISBATCH_TASKID}.log");
  EXPECT_EQ(parse_disbatch_directive_line("#DISBATCH prefix ").text, "");  // any case

  const TaskDirective repeat =
      parse_disbatch_directive_line("#DISBATCH REPEAT 5 myprog file${DISBATCH_REPEAT_INDEX}");
  EXPECT_EQ(repeat.action, DirectiveAction::repeat);
  EXPECT_TRUE(repeat.repeat_index_in_environment);
  EXPECT_EQ(repeat.repeat_count, 5u);
  EXPECT_EQ(repeat.repeat_start, 0);
  EXPECT_EQ(repeat.repeat_step, 1);
  EXPECT_EQ(repeat.text, "myprog file${DISBATCH_REPEAT_INDEX}");

  const TaskDirective stepped =
      parse_disbatch_directive_line("#DISBATCH REPEAT 5 start 100 step 50 myprog x");
  EXPECT_EQ(stepped.repeat_start, 100);
  EXPECT_EQ(stepped.repeat_step, 50);
  EXPECT_EQ(stepped.text, "myprog x");
  const TaskDirective bare = parse_disbatch_directive_line("#DISBATCH REPEAT 1000");
  EXPECT_EQ(bare.repeat_count, 1000u);
  EXPECT_EQ(bare.text, "");
  // "start" without a number is the command, as disBatch's pattern reads it.
  EXPECT_EQ(parse_disbatch_directive_line("#DISBATCH REPEAT 2 startup.sh").text, "startup.sh");
  EXPECT_EQ(parse_disbatch_directive_line("#DISBATCH REPEAT 2 step 3").repeat_step, 3);

  EXPECT_FALSE(parse_disbatch_directive_line("#DISBATCH BARRIER").check);
  EXPECT_TRUE(parse_disbatch_directive_line("#DISBATCH BARRIER CHECK").check);
  // A barrier's key names it for disBatch's tools; it changes nothing here.
  const TaskDirective keyed = parse_disbatch_directive_line("#DISBATCH BARRIER CHECK stage1");
  EXPECT_EQ(keyed.action, DirectiveAction::barrier);
  EXPECT_TRUE(keyed.check);
  EXPECT_FALSE(parse_disbatch_directive_line("#DISBATCH BARRIER CHECKPOINT").check);
}

void expect_disbatch_refused(const std::string& line, const std::string& part) {
  SCOPED_TRACE(line);
  try {
    parse_disbatch_directive_line(line);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'" + line + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

TEST(DisbatchLine, RefusesWhatItDoesNotRunNamingTheLine) {
  expect_disbatch_refused("#DISBATCH PERENGINE START echo hi", "not supported");
  expect_disbatch_refused("#DISBATCH PERENGINE STOP echo bye", "not supported");
  expect_disbatch_refused("#DISBATCH PREFIXED x", "unknown #DISBATCH directive");
  expect_disbatch_refused("#DISBATCH", "unknown #DISBATCH directive");
  expect_disbatch_refused("#DISBATCHX", "unknown #DISBATCH directive");
  expect_disbatch_refused("#DISBATCH REPEAT", "REPEAT N");
  expect_disbatch_refused("#DISBATCH REPEAT x echo", "REPEAT N");
  expect_disbatch_refused("#DISBATCH REPEAT 3echo", "REPEAT N");
}

std::vector<TaskLine> read_all(const std::vector<std::string>& file,
                               std::vector<TaskBarrier>* barriers = nullptr) {
  TaskFileDirectives directives(Resources{});
  std::vector<TaskLine> tasks;
  std::uint32_t number = 0;
  for (const std::string& line : file) {
    ++number;
    if (!directives.apply(line, number, tasks)) tasks.push_back(directives.command(line, number));
  }
  if (barriers != nullptr) *barriers = directives.barriers();
  return tasks;
}

TEST(TaskFileDirectives, PrefixSuffixRepeatAndBarriersMakeTheTasks) {
  std::vector<TaskBarrier> barriers;
  const std::vector<TaskLine> tasks =
      read_all({"#TASKTRACK prefix cd /tmp &&", "#TASKTRACK suffix > out.txt", "echo a",
                "#TASKTRACK barrier", "#TASKTRACK prefix", "#TASKTRACK repeat 3 run {#} of {#}",
                "#TASKTRACK barrier check", "#TASKTRACK suffix", "#TASKTRACK cores=2", "echo last"},
               &barriers);
  ASSERT_EQ(tasks.size(), 5u);
  EXPECT_EQ(tasks[0].text, "cd /tmp && echo a > out.txt");
  EXPECT_EQ(tasks[0].phase, 0u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(tasks[1 + i].text,
              "run " + std::to_string(i + 1) + " of " + std::to_string(i + 1) + " > out.txt");
    EXPECT_EQ(tasks[1 + i].line_number, 6u);
    EXPECT_EQ(tasks[1 + i].phase, 1u);
    EXPECT_TRUE(tasks[1 + i].environment.empty());
  }
  EXPECT_EQ(tasks[4].text, "echo last");
  EXPECT_EQ(tasks[4].phase, 2u);
  EXPECT_EQ(tasks[4].requirement, (Resources{2, 0, 0}));
  EXPECT_EQ(tasks[4].directive, "cores=2");
  EXPECT_EQ(barriers, (std::vector<TaskBarrier>{{4, false}, {7, true}}));
}

TEST(TaskFileDirectives, ATimeHoldsForTheLinesBelowItUntilTheNextDirective) {
  const std::vector<TaskLine> tasks =
      read_all({"#TASKTRACK time=2h", "long a", "long b", "#TASKTRACK cores=2", "short"});
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].expected_seconds, 7200.0);
  EXPECT_EQ(tasks[1].expected_seconds, 7200.0);
  EXPECT_EQ(tasks[2].expected_seconds, 0.0);  // a directive without time: none declared
  EXPECT_EQ(tasks[0].directive, "");          // the lines' identity is unchanged by it
}

TEST(TaskFileDirectives, DisbatchReadmeExample) {
  const std::vector<TaskLine> tasks =
      read_all({"#DISBATCH PREFIX ( cd /w ; myprog ", "#DISBATCH SUFFIX ) &> task.log", "-a 0",
                "#DISBATCH BARRIER CHECK",
                "#DISBATCH REPEAT 3 start 100 step 50 -r ${DISBATCH_REPEAT_INDEX}"});
  ASSERT_EQ(tasks.size(), 4u);
  EXPECT_EQ(tasks[0].text, "( cd /w ; myprog -a 0) &> task.log");
  EXPECT_TRUE(tasks[0].environment.empty());
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(tasks[1 + i].text, "( cd /w ; myprog -r ${DISBATCH_REPEAT_INDEX}) &> task.log");
    EXPECT_EQ(tasks[1 + i].environment.at("DISBATCH_REPEAT_INDEX"), std::to_string(100 + 50 * i));
    EXPECT_EQ(tasks[1 + i].phase, 1u);
  }
}

TEST(TaskFileDirectives, OtherLinesAreNoDirectives) {
  TaskFileDirectives directives(Resources{});
  std::vector<TaskLine> tasks;
  for (const std::string line : {"echo #TASKTRACK barrier", "# a comment", " #DISBATCH BARRIER",
                                 "#TASKTRACKx barrier", ""}) {
    EXPECT_FALSE(directives.apply(line, 1, tasks)) << line;
  }
  EXPECT_TRUE(tasks.empty());
  EXPECT_TRUE(directives.apply("  #TASKTRACK barrier  ", 1, tasks));
  EXPECT_EQ(directives.barriers().size(), 1u);
}

}  // namespace
}  // namespace tasktrack
