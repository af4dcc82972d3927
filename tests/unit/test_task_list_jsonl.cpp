// JSON Lines task files (commands/task_list_jsonl.hpp): every key, the format chosen by
// name or by --task-format, every malformed line refused naming its line, and the key a
// task gets in the journal (cwd, env and requirements in it; a plain line's unchanged).
#include "commands/task_list_jsonl.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "commands/task_list.hpp"
#include "core/fnv1a.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t mib = 1024ULL * 1024;

class JsonLinesTaskFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack_jsonl_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::string write(const std::string& content, const std::string& name = "tasks.jsonl") {
    const fs::path path = directory_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  // The file with `line` as its third line refuses to load, naming line 3 and `parts`.
  void expect_refused(const std::string& line, std::initializer_list<std::string> parts) {
    SCOPED_TRACE(line);
    const std::string path = write("{\"cmd\": \"true\"}\n\n" + line + "\n");
    try {
      read_task_file(path, {});
      ADD_FAILURE() << "no UsageError";
    } catch (const UsageError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_EQ(message.rfind("task file '" + path + "', line 3: ", 0), 0u) << message;
      for (const auto& part : parts) {
        EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
      }
    }
  }

  fs::path directory_;
};

TEST_F(JsonLinesTaskFile, EveryKeyFillsTheTaskLine) {
  const Resources flags{1, 0, 0};
  const auto tasks = read_task_file(
      write("{\"cmd\": \"echo hi\", \"name\": \"greet\"}\n"
            "\n"
            "  \t\n"
            "{\"argv\": [\"printf\", \"%s\\n\", \"a b\", \"it's\"], \"cwd\": \"/tmp\", "
            "\"env\": {\"A\": \"1\", \"B\": \"x y\"}, \"cores\": 2, \"gpus\": 1, \"mem\": \"1G\", "
            "\"time\": \"5m\"}\n"
            "{\"cmd\": \"true\", \"mem\": 512, \"time\": 30}\n"),
      flags);
  ASSERT_EQ(tasks.size(), 3u);

  EXPECT_EQ(tasks[0].line_number, 1u);
  EXPECT_EQ(tasks[0].text, "echo hi");
  EXPECT_TRUE(tasks[0].argv.empty());
  EXPECT_EQ(tasks[0].name, "greet");
  EXPECT_EQ(tasks[0].requirement, flags);
  EXPECT_EQ(tasks[0].directive, "");

  EXPECT_EQ(tasks[1].line_number, 4u);  // blank lines count
  EXPECT_EQ(tasks[1].argv, (std::vector<std::string>{"printf", "%s\n", "a b", "it's"}));
  EXPECT_EQ(tasks[1].text, "printf '%s\n' 'a b' 'it'\\''s'");
  EXPECT_EQ(tasks[1].cwd, "/tmp");
  EXPECT_EQ(tasks[1].environment, (std::map<std::string, std::string>{{"A", "1"}, {"B", "x y"}}));
  EXPECT_EQ(tasks[1].requirement, (Resources{2, 1, 1024 * mib}));
  EXPECT_EQ(tasks[1].directive, "cores=2 gpus=1 mem=1073741824");

  EXPECT_EQ(tasks[2].requirement, (Resources{1, 0, 512 * mib}));  // an integer is MiB
  EXPECT_EQ(tasks[2].directive, "mem=536870912");
}

TEST_F(JsonLinesTaskFile, FormatByNameOrByOption) {
  const std::string json_text = "{\"cmd\": \"echo a\"}\n";
  // A .txt file is plain unless told: its line is the JSON text itself.
  EXPECT_EQ(read_task_file(write(json_text, "tasks.txt")).front().text, json_text.substr(0, 17));
  EXPECT_EQ(read_task_file(write(json_text, "tasks.txt"), {}, TaskFormat::jsonl).front().text,
            "echo a");
  // And a .jsonl file read as plain keeps its lines.
  EXPECT_EQ(read_task_file(write(json_text), {}, TaskFormat::plain).front().text,
            json_text.substr(0, 17));
  EXPECT_EQ(task_format_from_string("jsonl"), TaskFormat::jsonl);
  EXPECT_EQ(task_format_from_string("auto"), TaskFormat::automatic);
  EXPECT_EQ(task_format_from_string("json"), std::nullopt);
}

TEST_F(JsonLinesTaskFile, MalformedLinesNameTheirLine) {
  expect_refused("{\"cmd\": \"true\"", {"bad JSON"});
  expect_refused("not json", {"bad JSON"});
  expect_refused("[\"echo\", \"a\"]", {"expected a JSON object", "array"});
  expect_refused("\"echo a\"", {"expected a JSON object"});
  expect_refused("{\"cmd\": \"a\", \"argv\": [\"a\"]}", {"not both"});
  expect_refused("{\"name\": \"x\"}", {"no command"});
  expect_refused("{\"cmd\": 3}", {"'cmd' must be a string"});
  expect_refused("{\"cmd\": \"  \"}", {"'cmd' is empty"});
  expect_refused("{\"argv\": \"echo a\"}", {"'argv' must be a non-empty array"});
  expect_refused("{\"argv\": []}", {"'argv' must be a non-empty array"});
  expect_refused("{\"argv\": [\"echo\", 1]}", {"'argv' must be a string"});
  expect_refused("{\"argv\": [\"\"]}", {"empty program"});
  expect_refused("{\"argv\": [\"echo\", \"a\\u0000b\"]}", {"NUL"});
  expect_refused("{\"cmd\": \"true\", \"cwd\": 1}", {"'cwd' must be a string"});
  expect_refused("{\"cmd\": \"true\", \"cwd\": \"\"}", {"'cwd' is empty"});
  expect_refused("{\"cmd\": \"true\", \"env\": [\"A=1\"]}", {"'env' must be an object"});
  expect_refused("{\"cmd\": \"true\", \"env\": {\"A\": 1}}", {"'env.A' must be a string"});
  expect_refused("{\"cmd\": \"true\", \"env\": {\"A=B\": \"1\"}}", {"invalid variable name"});
  expect_refused("{\"cmd\": \"true\", \"env\": {\"\": \"1\"}}", {"invalid variable name"});
  expect_refused("{\"cmd\": \"true\", \"cores\": 0}", {"'cores' must be an integer from 1"});
  expect_refused("{\"cmd\": \"true\", \"cores\": 1.5}", {"'cores'"});
  expect_refused("{\"cmd\": \"true\", \"cores\": \"2\"}", {"'cores'"});
  expect_refused("{\"cmd\": \"true\", \"gpus\": -1}", {"'gpus' must be an integer from 0"});
  expect_refused("{\"cmd\": \"true\", \"mem\": \"lots\"}", {"lots"});
  expect_refused("{\"cmd\": \"true\", \"mem\": true}", {"'mem' must be a size"});
  expect_refused("{\"cmd\": \"true\", \"time\": 0}", {"'time' must be a positive"});
  expect_refused("{\"cmd\": \"true\", \"time\": \"soon\"}", {"soon"});
  expect_refused("{\"cmd\": \"true\", \"name\": 7}", {"'name' must be a string"});
  expect_refused("{\"cmd\": \"true\", \"cpus\": 2}", {"unknown key 'cpus'", "cores"});
}

TEST_F(JsonLinesTaskFile, EmptyFileHoldsNoTask) {
  const std::string path = write("\n  \n");
  try {
    read_task_file(path);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("holds no task"), std::string::npos) << error.what();
  }
}

TEST(ShellQuoted, RunsTheSameArgvUnderAShell) {
  EXPECT_EQ(shell_quoted({"echo", "plain-word_1.txt", "a=b"}), "echo plain-word_1.txt 'a=b'");
  EXPECT_EQ(shell_quoted({"echo", ""}), "echo ''");
  EXPECT_EQ(shell_quoted({"echo", "$HOME `x` ; \"q\""}), "echo '$HOME `x` ; \"q\"'");
  EXPECT_EQ(shell_quoted({"echo", "it's"}), "echo 'it'\\''s'");
  EXPECT_EQ(shell_quoted({"@pi", "0:10"}), "'@pi' 0:10");  // never read as a kernel line
}

TEST(TaskLineKey, CwdEnvAndRequirementsArePartOfItOnlyWhenSet) {
  TaskLine plain{1, "echo a", {}};
  EXPECT_EQ(task_line_key(plain), fnv1a64("echo a"));  // old journals resume
  TaskLine named = plain;
  named.name = "label";
  EXPECT_EQ(task_line_key(named), task_line_key(plain));  // a label, not the work

  TaskLine in_tmp = plain;
  in_tmp.cwd = "/tmp";
  TaskLine in_var = plain;
  in_var.cwd = "/var";
  TaskLine with_env = plain;
  with_env.environment = {{"A", "1"}};
  TaskLine with_other_env = plain;
  with_other_env.environment = {{"A", "2"}};
  TaskLine with_cores = plain;
  with_cores.directive = "cores=2";
  const std::vector<std::uint64_t> keys = {
      task_line_key(plain),    task_line_key(in_tmp),         task_line_key(in_var),
      task_line_key(with_env), task_line_key(with_other_env), task_line_key(with_cores)};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " " << j;
  }
  // A directive alone keys as before issue 13.
  EXPECT_EQ(task_line_key(with_cores), fnv1a64("echo a\n#TASKTRACK cores=2"));
}

TEST_F(JsonLinesTaskFile, ArgvAndTheSameCommandTextAreTheSameWork) {
  const auto tasks =
      read_task_file(write("{\"argv\": [\"echo\", \"a b\"]}\n"
                           "{\"cmd\": \"echo 'a b'\"}\n"));
  EXPECT_EQ(task_line_key(tasks[0]), task_line_key(tasks[1]));
}

}  // namespace
}  // namespace tasktrack
