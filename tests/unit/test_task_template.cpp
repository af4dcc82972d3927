// Command templates (issue 13): replacement strings, shell quoting checked by running the
// expanded text under /bin/sh, the sources of arguments, and the generated job's identity.
#include "commands/task_template.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/command_line.hpp"
#include "commands/task_arguments.hpp"
#include "journal/fingerprint.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

ArgumentRow single(const std::string& text) {
  ArgumentRow row;
  row.whole = text;
  row.columns = {text};
  return row;
}

ArgumentRow columns(const std::string& whole, std::vector<std::string> values) {
  ArgumentRow row;
  row.whole = whole;
  row.columns = std::move(values);
  return row;
}

std::string expand(const std::string& text, const ArgumentRow& row, std::uint64_t sequence = 1) {
  return TaskTemplate(text).expand(row, sequence);
}

// Runs `command` with /bin/sh -c (popen) and returns its stdout, byte for byte.
std::string shell_output(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  std::string out;
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, count);
  const int status = ::pclose(pipe);
  if (status != 0) out += "<exit status " + std::to_string(status) + ">";
  return out;
}

// Expects `parts` in the message of the UsageError that `action` throws.
template <typename Action>
void expect_usage_error(Action action, std::initializer_list<std::string> parts) {
  try {
    action();
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& error) {
    const std::string message = error.what();
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

TEST(TaskTemplate, EveryReplacementString) {
  const ArgumentRow row = columns("dir/sub/file.tar.gz", {"a/b.c", "x/y.txt"});
  EXPECT_EQ(expand("{}", row), "dir/sub/file.tar.gz");
  EXPECT_EQ(expand("{.}", row), "dir/sub/file.tar");
  EXPECT_EQ(expand("{/}", row), "file.tar.gz");
  EXPECT_EQ(expand("{//}", row), "dir/sub");
  EXPECT_EQ(expand("{/.}", row), "file.tar");
  EXPECT_EQ(expand("{#}", row, 42), "42");
  EXPECT_EQ(expand("{1} {2}", row), "a/b.c x/y.txt");
  EXPECT_EQ(expand("{1.} {2.}", row), "a/b x/y");
  EXPECT_EQ(expand("{1/} {2/}", row), "b.c y.txt");
  EXPECT_EQ(expand("{1//} {2//}", row), "a x");
  EXPECT_EQ(expand("{1/.} {2/.}", row), "b y");
  EXPECT_EQ(expand("convert {} -resize 50% out/{/.}.png", single("img/cat.jpg")),
            "convert img/cat.jpg -resize 50% out/cat.png");
  EXPECT_EQ(expand("{2}{1}{2}", row), "x/y.txta/b.cx/y.txt");  // adjacent, repeated
}

TEST(TaskTemplate, ATemplateWithoutReplacementStringGetsTheArgumentAppended) {
  EXPECT_EQ(expand("echo", single("it's")), "echo 'it'\\''s'");
  EXPECT_EQ(expand("python step.py --index", single("7")), "python step.py --index 7");
  // ::: sets: {} is every value, each its own word.
  ArgumentRow sets;
  sets.columns = {"a b", "c"};
  sets.whole_is_columns = true;
  EXPECT_EQ(expand("echo", sets), "echo 'a b' c");
  EXPECT_EQ(expand("echo {.}", sets), "echo 'a b' c");
}

TEST(TaskTemplate, BracesThatOpenNoReplacementStringArePlainText) {
  const ArgumentRow row = single("v");
  EXPECT_EQ(expand("echo ${HOME} {}", row), "echo ${HOME} v");
  EXPECT_EQ(expand("awk '{print $1}' {}", row), "awk '{print $1}' v");
  EXPECT_EQ(expand("echo {1..3} { } {a} {#.} {}", row), "echo {1..3} { } {a} {#.} v");
  EXPECT_EQ(TaskTemplate("f() { echo; }; f {}").expand(row, 1), "f() { echo; }; f v");
}

TEST(TaskTemplate, PathPartsFollowGnuParallel) {
  EXPECT_EQ(without_extension("a.b/c"), "a.b/c");  // the dot is in a folder name
  EXPECT_EQ(without_extension(".bashrc"), ".bashrc");
  EXPECT_EQ(without_extension("dir/.bashrc"), "dir/.bashrc");
  EXPECT_EQ(without_extension("x."), "x.");
  EXPECT_EQ(without_extension("x.y"), "x");
  EXPECT_EQ(basename_of("a/b/"), "");
  EXPECT_EQ(basename_of("plain"), "plain");
  EXPECT_EQ(dirname_of("plain"), ".");
  EXPECT_EQ(dirname_of("/top"), "/");
  EXPECT_EQ(dirname_of("/"), "/");
  EXPECT_EQ(dirname_of("a/b/"), "a");
  EXPECT_EQ(dirname_of("a//b"), "a");
  EXPECT_EQ(dirname_of("//a"), "/");
}

TEST(TaskTemplate, QuotedWordsLeaveSafeWordsAlone) {
  EXPECT_EQ(quoted_word("file-1.txt"), "file-1.txt");
  EXPECT_EQ(quoted_word("/a/b,c:d@e%f+g_h"), "/a/b,c:d@e%f+g_h");
  EXPECT_EQ(quoted_word(""), "''");
  EXPECT_EQ(quoted_word("a b"), "'a b'");
  EXPECT_EQ(quoted_word("X=1"), "'X=1'");  // never an assignment
  EXPECT_EQ(quoted_word("~"), "'~'");
  EXPECT_EQ(quoted_word("'"), "''\\'''");
}

// Every argument reaches the command as one argument, byte for byte: printf writes each
// argument it gets between markers, and /bin/sh runs the expanded text.
TEST(TaskTemplate, TrickyArgumentsReachTheCommandUnchanged) {
  const std::vector<std::string> tricky = {
      "two words",
      "it's \"quoted\"",
      "$HOME ${HOME} $(id -u)",
      "`echo injected`",
      "a; echo injected",
      "line one\nline two",
      "back\\slash \\n \\\\",
      "\xC3\xBCnic\xC3\xB8"
      "de \xE2\x9C\x93",
      "",
      "-n",
      "*",
      "~",
      "'",
      "''\\''",
      "  leading and trailing  ",
      "tab\there",
      "a|b&c>d<e(f)g{h}i[j]k!l#m",
  };
  for (const std::string& argument : tricky) {
    SCOPED_TRACE("argument: " + argument);
    const std::string command = expand("printf '<%s>\\n' {} {1} {#}", single(argument), 5);
    EXPECT_EQ(shell_output(command), "<" + argument + ">\n<" + argument + ">\n<5>\n");
  }
  // ::: sets: each value one argument.
  ArgumentRow sets;
  sets.columns = {"a b", "it's", "\n"};
  sets.whole_is_columns = true;
  EXPECT_EQ(shell_output(expand("printf '<%s>'", sets)), "<a b><it's><\n>");
}

TEST(TaskTemplate, NoQuoteInsertsTheTextAsItIs) {
  const TaskTemplate raw("echo {} > {1}.out", /*quote=*/false);
  EXPECT_EQ(raw.expand(single("a b"), 1), "echo a b > a b.out");
  EXPECT_EQ(shell_output(TaskTemplate("printf '<%s>'", false).expand(single("x y"), 1)), "<x><y>");
}

TEST(TaskTemplate, MalformedTemplatesNameTheTemplateAndPosition) {
  expect_usage_error([] { TaskTemplate("echo {"); },
                     {"template 'echo {'", "position 6", "not closed"});
  expect_usage_error([] { TaskTemplate("echo {12"); }, {"position 6", "'{12' is not closed"});
  expect_usage_error([] { TaskTemplate("x {/."); }, {"position 3", "not closed"});
  expect_usage_error([] { TaskTemplate("a {0} b"); }, {"template 'a {0} b'", "position 3", "{0}"});
  expect_usage_error([] { TaskTemplate("{00.}"); }, {"position 1", "from 1"});
  expect_usage_error(
      [] {
        TaskTemplate("cp {1} {3}").expand(columns("a,b", {"a", "b"}), 4);
      },
      {"template 'cp {1} {3}'", "position 8", "column 3", "2 columns", "task 4"});
  ArgumentRow from_file = single("only");
  from_file.source_line = 9;
  expect_usage_error([&] { TaskTemplate("x {2}").expand(from_file, 1); }, {"1 column of line 9"});
  expect_usage_error([] { TaskTemplate("x {}").expand(single(std::string("a\0b", 3)), 1); },
                     {"NUL"});
}

TEST(TaskArguments, CartesianProductVariesTheLastSetFastest) {
  const auto rows = cartesian_rows({{"0.1", "0.2", "0.5"}, {"1", "2", "3"}});
  ASSERT_EQ(rows.size(), 9u);
  const TaskTemplate task("sim --alpha {1} --seed {2}");
  std::vector<std::string> commands;
  for (std::size_t i = 0; i < rows.size(); ++i) commands.push_back(task.expand(rows[i], i + 1));
  EXPECT_EQ(
      commands,
      (std::vector<std::string>{
          "sim --alpha 0.1 --seed 1", "sim --alpha 0.1 --seed 2", "sim --alpha 0.1 --seed 3",
          "sim --alpha 0.2 --seed 1", "sim --alpha 0.2 --seed 2", "sim --alpha 0.2 --seed 3",
          "sim --alpha 0.5 --seed 1", "sim --alpha 0.5 --seed 2", "sim --alpha 0.5 --seed 3"}));
  const auto three = cartesian_rows({{"a", "b"}, {"x"}, {"1", "2"}});
  ASSERT_EQ(three.size(), 4u);
  EXPECT_EQ(three[1].columns, (std::vector<std::string>{"a", "x", "2"}));
  EXPECT_EQ(three[2].columns, (std::vector<std::string>{"b", "x", "1"}));
  expect_usage_error([] { cartesian_rows({{"a"}, {}}); }, {"set 2 is empty"});
  const std::vector<std::string> thousand(1000, "v");
  expect_usage_error(
      [&] {
        cartesian_rows({thousand, thousand, thousand, thousand});
      },
      {"more than a job can hold"});
}

TEST(TaskArguments, ArraysAreHalfOpenWithAStep) {
  const auto indices = [](const std::string& text) {
    std::vector<std::string> out;
    for (const ArgumentRow& row : array_rows(parse_array_range(text))) {
      EXPECT_EQ(row.columns, std::vector<std::string>{row.whole});
      out.push_back(row.whole);
    }
    return out;
  };
  EXPECT_EQ(indices("0:10:3"), (std::vector<std::string>{"0", "3", "6", "9"}));
  EXPECT_EQ(indices("0:9:3"), (std::vector<std::string>{"0", "3", "6"}));
  EXPECT_EQ(indices("-2:1"), (std::vector<std::string>{"-2", "-1", "0"}));
  EXPECT_EQ(indices("9223372036854775806:9223372036854775807:5"),
            (std::vector<std::string>{"9223372036854775806"}));
  for (const std::string bad :
       {"", "5", "1:2:3:4", "a:b", "0:10:", "0:10:0", "0:10:-1", "3:3", "4:1", "0:99999999999"}) {
    SCOPED_TRACE("array '" + bad + "'");
    EXPECT_THROW(parse_array_range(bad), UsageError);
  }
}

class ArgumentFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tasktrack-template-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(ArgumentFiles, LinesAreArgumentsAndColsepSplitsThemLiterally) {
  const std::string path = write("args.txt", "a.b,c\r\n\n   \nx,,y\nlast");
  const auto rows = read_argument_file(path, ",");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].whole, "a.b,c");
  EXPECT_EQ(rows[0].columns, (std::vector<std::string>{"a.b", "c"}));
  EXPECT_EQ(rows[0].source_line, 1u);
  EXPECT_EQ(rows[1].columns, (std::vector<std::string>{"x", "", "y"}));
  EXPECT_EQ(rows[1].source_line, 4u);
  EXPECT_EQ(rows[2].columns, std::vector<std::string>{"last"});
  // Not a regex: "." splits at dots only.
  EXPECT_EQ(read_argument_file(path, ".")[0].columns, (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(read_argument_file(path, "")[0].columns, std::vector<std::string>{"a.b,c"});
  expect_usage_error([&] { read_argument_file(write("blank.txt", "\n \n"), ""); },
                     {"blank.txt", "holds no argument"});
  expect_usage_error([&] { read_argument_file((dir_ / "missing").string(), ""); },
                     {"missing", "No such file"});
}

// Through the command line, as `tasktrack run` reads it.
Command parse(const std::vector<std::string>& args) {
  static const KernelRegistry no_kernels;
  return parse_command_line(args, no_kernels);
}

std::vector<std::string> task_texts(const Command& command) {
  std::vector<std::string> texts;
  for (const TaskLine& task : command.job.task_list()->tasks) texts.push_back(task.text);
  return texts;
}

TEST_F(ArgumentFiles, TheCommandLineBuildsOneTaskPerArgument) {
  const Command sets = parse({"run", "--command", "sim {1} {2} {#}", "--cores-per-task", "2",
                              ":::", "a", "b", ":::", "1", "2"});
  ASSERT_TRUE(sets.job.is_task_list());
  EXPECT_EQ(task_texts(sets),
            (std::vector<std::string>{"sim a 1 1", "sim a 2 2", "sim b 1 3", "sim b 2 4"}));
  const auto& tasks = sets.job.task_list()->tasks;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].line_number, i + 1);
    EXPECT_EQ(tasks[i].requirement.cores, 2u);
  }
  EXPECT_EQ(sets.job.subtasks, 4u);
  EXPECT_EQ(sets.job.task_list()->output_dir, "tasktrack-output");

  const std::string args = write("args.txt", "one\ntwo\n");
  const Command from_file = parse({"run", "--command", "echo {} {.}", "--args", args});
  EXPECT_EQ(task_texts(from_file), (std::vector<std::string>{"echo one one", "echo two two"}));
  EXPECT_EQ(from_file.job.task_list()->output_dir, args + ".output");

  const Command array = parse({"run", "--array", "0:10:3", "--command", "step", "--journal",
                               (dir_ / "j" / "run.journal").string()});
  EXPECT_EQ(task_texts(array), (std::vector<std::string>{"step 0", "step 3", "step 6", "step 9"}));
  EXPECT_EQ(array.job.task_list()->output_dir, (dir_ / "j" / "tasktrack-output").string());

  const Command raw =
      parse({"run", "--command", "echo {}", "--no-quote", "--output-dir", "o", ":::", "a b"});
  EXPECT_EQ(task_texts(raw), std::vector<std::string>{"echo a b"});
  EXPECT_EQ(raw.job.task_list()->output_dir, "o");
}

TEST_F(ArgumentFiles, AJobFileGivesTheSameKeys) {
  write("args.txt", "a:1\nb:2\n");
  const std::string job = write("job.toml",
                                "command = \"run {2} {1}\"\n"
                                "args = \"args.txt\"\n"
                                "colsep = \":\"\n"
                                "no-quote = false\n");
  EXPECT_EQ(task_texts(parse({"run", job})), (std::vector<std::string>{"run 1 a", "run 2 b"}));
  const std::string sets = write("sets.toml",
                                 "command = \"sim {1} {2}\"\n"
                                 "sets = [[\"x y\", 0.5], [1, 2]]\n");
  EXPECT_EQ(task_texts(parse({"run", sets})),
            (std::vector<std::string>{"sim 'x y' 1", "sim 'x y' 2", "sim 0.5 1", "sim 0.5 2"}));
  // ::: on the command line replaces the job file's sets, as a flag replaces a key.
  EXPECT_EQ(task_texts(parse({"run", sets, ":::", "q", ":::", "r"})),
            std::vector<std::string>{"sim q r"});
  expect_usage_error(
      [&] {
        parse({"run", write("bad.toml", "command = \"x\"\nsets = [1]\n")});
      },
      {"sets", "array of arrays"});
}

TEST_F(ArgumentFiles, BadCombinationsAreOneUsageError) {
  const std::string args = write("args.txt", "a\n");
  const std::string tasks = write("tasks.txt", "true\n");
  const auto error_of = [](const std::vector<std::string>& argv) {
    try {
      parse(argv);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({"run", "--command", "x"}).find("--command: needs arguments"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--args", args}).find("--args: needs a template"), std::string::npos);
  EXPECT_NE(error_of({"run", ":::", "a"}).find("::: sets: needs a template"), std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "x", "--task-file", tasks})
                .find("--command: does not go with a task file"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "x", "--args", args, "--array", "0:2"})
                .find("give one source of arguments"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "x", "--colsep", ",", "--array", "0:2"})
                .find("--colsep: splits the lines of --args FILE"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "x", "--kernel", "k", "--array", "0:2"})
                .find("--kernel: does not go with a template"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "x {3}", ":::", "a", ":::", "b"})
                .find("--command: template 'x {3}', position 3: column 3 is beyond"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "x", ":::", "a", "::::", "f"}).find("'::::'"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "--command", "", "--array", "0:2"}).find("must not be empty"),
            std::string::npos);
}

// A generated list is identified by its template: more arguments are the same job (the
// journal resumes), and a task file's fingerprint (a real path) never looks like one.
TEST_F(ArgumentFiles, TheFingerprintIsTheTemplateNotTheArguments) {
  const std::string fewer = job_fingerprint(parse({"run", "--command", "e {}", ":::", "a"}).job);
  const std::string more =
      job_fingerprint(parse({"run", "--command", "e {}", ":::", "a", "b", "c"}).job);
  EXPECT_EQ(fewer, more);
  EXPECT_NE(fewer.find("template:e {}"), std::string::npos) << fewer;
  EXPECT_TRUE(same_job(fewer, more, "run.journal"));
  EXPECT_NE(job_fingerprint(parse({"run", "--command", "f {}", ":::", "a"}).job), fewer);
  // A task file named like a generated list, given by a relative path, is still a file.
  write("template:x", "true\n");
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  const Command file = parse({"run", "--task-file", "template:x"});
  const std::string fingerprint = job_fingerprint(file.job);
  fs::current_path(before);
  EXPECT_EQ(file.job.task_list()->task_file, "./template:x");
  EXPECT_EQ(read_recorded_job(fingerprint).task_file,
            fs::weakly_canonical(dir_ / "template:x").string());
}

}  // namespace
}  // namespace tasktrack
