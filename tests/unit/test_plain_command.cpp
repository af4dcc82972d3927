// plain_command.hpp and run_command's use of it: which lines a shell would only exec, the
// program a shell would find, the PWD it would export, and, with a recording shell (a
// script that notes each line it is given, then hands it to /bin/sh), that such a line runs
// without the shell and everything else, or anything that cannot start so, still goes to it
// with the shell's own result.
#include "commands/plain_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "commands/command_runner.hpp"
#include "temp_folder.hpp"

namespace tasktrack {
namespace {

using process::plain_command_words;
using process::program_for;
using process::shell_pwd;
using Words = std::vector<std::string>;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text,
                std::filesystem::perms permissions = std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write) {
  std::ofstream(path, std::ios::binary) << text;
  std::filesystem::permissions(path, permissions);
}

constexpr auto executable = std::filesystem::perms::owner_all;

TEST(PlainCommandWords, APlainCommandIsItsWords) {
  EXPECT_EQ(plain_command_words("prog"), (Words{"prog"}));
  EXPECT_EQ(plain_command_words("  /opt/bin/primes\t0  10000 "),
            (Words{"/opt/bin/primes", "0", "10000"}));
  EXPECT_EQ(plain_command_words("./run.sh --lr=0.1 -k x,y:z+1 user@host 50% a/b.c"),
            (Words{"./run.sh", "--lr=0.1", "-k", "x,y:z+1", "user@host", "50%", "a/b.c"}));
}

TEST(PlainCommandWords, QuotedPartsAreReadAsTheShellReadsThem) {
  EXPECT_EQ(plain_command_words("prog 'a b' \"c  d\" x'y z'\"w\" '' \"\""),
            (Words{"prog", "a b", "c  d", "xy zw", "", ""}));
  // Inside '...' nothing is special; inside "..." everything but $, ` and \ is literal.
  EXPECT_EQ(plain_command_words("prog '$HOME *.txt ~ \\n \"; | & > #' \"it's * ~ ;\""),
            (Words{"prog", "$HOME *.txt ~ \\n \"; | & > #", "it's * ~ ;"}));
  EXPECT_EQ(plain_command_words("'/opt/my tools/prog' x"), (Words{"/opt/my tools/prog", "x"}));
  // What a template makes of a value with spaces (task_template.cpp's quoted_word).
  EXPECT_EQ(plain_command_words("python train.py --name 'run 1' --lr 0.1"),
            (Words{"python", "train.py", "--name", "run 1", "--lr", "0.1"}));
  for (const char* line :
       {"prog 'unclosed", "prog \"unclosed", "prog \"$HOME\"", "prog \"`id`\"", "prog \"a\\b\"",
        "prog 'it'\\''s'", "'echo' x", "\"cd\" /tmp", "'A=1' prog", "'%1'"}) {
    EXPECT_EQ(plain_command_words(line), std::nullopt) << "'" << line << "'";
  }
}

TEST(PlainCommandWords, AnythingTheShellWouldReadOtherwiseGoesToTheShell) {
  for (const char* line : {"",
                           "   ",
                           "prog $HOME",
                           "prog ${X}",
                           "prog `id`",
                           "prog \\n",
                           "prog *.txt",
                           "prog file?",
                           "prog [ab]",
                           "prog ~/x",
                           "prog # note",
                           "prog > out",
                           "prog < in",
                           "a | b",
                           "a; b",
                           "a && b",
                           "a & ",
                           "(prog)",
                           "prog {a,b}",
                           "prog\nother",
                           "prog !x",
                           "prog ^x",
                           "prog caf\xc3\xa9",
                           "A=1 prog",
                           "%1",
                           "prog\r"}) {
    EXPECT_EQ(plain_command_words(line), std::nullopt) << "'" << line << "'";
  }
}

TEST(PlainCommandWords, BuiltinsAndKeywordsGoToTheShell) {
  // dash's echo reads backslashes and -e differently from /bin/echo; cd, exit, export ...
  // only mean something inside the shell.
  for (const char* line :
       {"echo -e x", "true",       "false",     "cd /tmp",   "exit 3",    "export A",
        "test -f x", ". ./env.sh", ": nothing", "source x",  "exec prog", "time prog",
        "kill 1",    "printf x",   "pwd",       "umask 022", "ulimit -n", "wait",
        "type prog", "if",         "while",     "until",     "for",       "case"}) {
    EXPECT_EQ(plain_command_words(line), std::nullopt) << "'" << line << "'";
  }
  // Only as the command name: the same words as arguments are plain.
  EXPECT_EQ(plain_command_words("prog echo true cd"), (Words{"prog", "echo", "true", "cd"}));
}

TEST(ProgramFor, FindsTheProgramAlongTheCommandsOwnPath) {
  testing::TempFolder first{"tasktrack-plain"};
  testing::TempFolder second{"tasktrack-plain"};
  write_file(first.file("tool"), "#!/bin/sh\n");  // not executable: skipped, as a shell does
  std::filesystem::create_directory(first.file("dir-tool"));
  write_file(second.file("tool"), "#!/bin/sh\n", executable);
  write_file(second.file("dir-tool"), "#!/bin/sh\n", executable);
  const std::vector<std::string> environment{"HOME=/root",
                                             "PATH=" + first.path() + ":" + second.path() + "/"};
  EXPECT_EQ(program_for("tool", environment), second.file("tool"));
  EXPECT_EQ(program_for("dir-tool", environment), second.file("dir-tool"));
  EXPECT_EQ(program_for("no-such-tool", environment), std::nullopt);  // sh's "not found"
  // A name with '/' is no search: the shell starts exactly that.
  EXPECT_EQ(program_for("./x/y", environment), "./x/y");
  EXPECT_EQ(program_for("/bin/sh", {}), "/bin/sh");
}

TEST(ProgramFor, LeavesToTheShellWhatItCouldDecideDifferently) {
  testing::TempFolder folder{"tasktrack-plain"};
  write_file(folder.file("tool"), "#!/bin/sh\n", executable);
  const std::string path = "PATH=" + folder.path();
  EXPECT_EQ(program_for("tool", {"HOME=/root"}), std::nullopt);  // no PATH at all
  // "" and relative entries are the command's own directory, after its cwd; one after
  // the entry that has it changes nothing.
  EXPECT_EQ(program_for("tool", {"PATH=:" + folder.path()}), std::nullopt);
  EXPECT_EQ(program_for("tool", {path + ":"}), folder.file("tool"));
  EXPECT_EQ(program_for("tool", {"PATH=bin:" + folder.path()}), std::nullopt);
  EXPECT_EQ(program_for("tool", {"PATH=::" + folder.path()}), std::nullopt);
  // An exported bash function (Lmod's `module`) of that name.
  EXPECT_EQ(program_for("tool", {path, "BASH_FUNC_tool%%=() {  echo f\n}"}), std::nullopt);
  EXPECT_EQ(program_for("tool", {path, "BASH_FUNC_tool()=() {  echo f\n}"}), std::nullopt);
  EXPECT_EQ(program_for("tool", {path, "BASH_FUNC_other%%=() {  echo f\n}"}), folder.file("tool"));
  // PATHX is not PATH.
  EXPECT_EQ(program_for("tool", {"PATHX=" + folder.path()}), std::nullopt);
}

TEST(ShellPwd, ALogicalPathToTheSameFolderIsKeptElseThePhysicalOne) {
  testing::TempFolder folder{"tasktrack-plain"};
  std::filesystem::create_directory(folder.file("real"));
  std::filesystem::create_directory_symlink(folder.file("real"), folder.file("link"));
  const std::string here = std::filesystem::current_path().string();
  EXPECT_EQ(shell_pwd("", here), here);
  EXPECT_EQ(shell_pwd("", folder.path()), std::filesystem::canonical(here).string());
  EXPECT_EQ(shell_pwd("", "relative"), std::filesystem::canonical(here).string());
  EXPECT_EQ(shell_pwd(folder.file("link"), folder.file("link")), folder.file("link"));
  EXPECT_EQ(shell_pwd(folder.file("link"), here), folder.file("real"));
  EXPECT_EQ(shell_pwd(folder.file("link"), ""), folder.file("real"));
  EXPECT_EQ(shell_pwd(folder.file("missing"), ""), "");
}

// run_command with a recording shell: `shell.log` gets each line the shell was given.
class PlainCommandRunTest : public ::testing::Test {
 protected:
  PlainCommandRunTest() {
    write_file(dir_.file("shell"),
               "#!/bin/sh\nprintf '%s\\n' \"$2\" >> '" + dir_.file("shell.log") +
                   "'\nexec /bin/sh \"$@\"\n",
               executable);
  }
  CommandSpec spec(const std::string& command) const {
    CommandSpec result;
    result.command = command;
    result.shell = dir_.file("shell");
    result.plain_commands_without_shell = true;
    result.stdout_path = dir_.file("out.txt");
    result.stderr_path = dir_.file("err.txt");
    return result;
  }
  std::string shell_log() const { return read_file(dir_.file("shell.log")); }
  std::string out() const { return read_file(dir_.file("out.txt")); }
  std::string err() const { return read_file(dir_.file("err.txt")); }

  testing::TempFolder dir_{"tasktrack-plain"};
};

TEST_F(PlainCommandRunTest, APlainLineRunsWithoutTheShellWithItsWordsAsArgv) {
  const CommandOutcome outcome = run_command(spec("/bin/echo a  b\tc"), {});
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_EQ(out(), "a b c\n");
  // Quoted words arrive as the shell would pass them.
  const CommandOutcome quoted =
      run_command(spec("/usr/bin/printf '[%s]' 'a  $b' \"c | d\" '' x'*'"), {});
  ASSERT_TRUE(quoted.succeeded) << quoted.detail;
  EXPECT_EQ(out(), "[a  $b][c | d][][x*]");
  EXPECT_EQ(shell_log(), "");
  // Found along PATH, like the shell finds it.
  ASSERT_TRUE(run_command(spec("seq 2"), {}).succeeded);
  EXPECT_EQ(out(), "1\n2\n");
  // Exit status and signals as the program gives them.
  write_file(dir_.file("fail"), "#!/bin/sh\nexit 3\n", executable);
  const CommandOutcome failed = run_command(spec(dir_.file("fail")), {});
  EXPECT_EQ(failed.reason, FailureReason::exit_code);
  EXPECT_EQ(failed.exit_code, 3);
  write_file(dir_.file("crash"), "#!/bin/sh\nkill -SEGV $$\n", executable);
  const CommandOutcome crashed = run_command(spec(dir_.file("crash")), {});
  EXPECT_EQ(crashed.reason, FailureReason::signal);
  EXPECT_EQ(crashed.signal, SIGSEGV);
  EXPECT_EQ(shell_log(), "");
}

// Differential: random lines that plain_command_words accepts give the same argv started
// directly as under the real /bin/sh. The program prints each argument between markers;
// $a is set, so an expansion the parser missed shows.
TEST_F(PlainCommandRunTest, RandomPlainLinesGiveTheShellsArgv) {
  const std::vector<std::string> pieces = {
      "a", "b", " ", " ", "\t", "'", "'",  "\"",   "\"",    "-",  ".", "=", "%",   ",",
      ":", "+", "@", "/", "_",  "$", "$a", "${a}", "`",     "\\", "*", "?", "[a]", "~",
      "#", ";", "&", "|", "<",  ">", "(",  ")",    "{a,b}", "!",  "^", "\n"};
  std::mt19937 random(20261207);  // fixed: a failure reproduces
  int accepted = 0;
  for (int round = 0; round < 20000 && accepted < 300; ++round) {
    std::string rest;
    const std::size_t length = random() % 8;
    for (std::size_t i = 0; i < length; ++i) rest += pieces[random() % pieces.size()];
    const std::string line = "/usr/bin/printf '<%s>' " + rest;
    if (!plain_command_words(line)) continue;
    ++accepted;
    const auto output_of = [&](bool direct) {
      CommandSpec command = spec(line);
      command.shell = "/bin/sh";
      command.plain_commands_without_shell = direct;
      command.extra_environment = {{"a", "X  Y"}};
      const CommandOutcome outcome = run_command(command, {});
      EXPECT_TRUE(outcome.succeeded) << "[" << line << "] " << outcome.detail;
      return out();
    };
    EXPECT_EQ(output_of(true), output_of(false)) << "[" << line << "]";
  }
  EXPECT_GE(accepted, 200);  // enough lines took the direct path for the test to mean much
}

TEST_F(PlainCommandRunTest, ALineWithShellSyntaxOrABuiltinGoesToTheShell) {
  const CommandOutcome expanded = run_command(spec("/bin/echo $((1 + 2))"), {});
  ASSERT_TRUE(expanded.succeeded) << expanded.detail;
  EXPECT_EQ(out(), "3\n");
  ASSERT_TRUE(run_command(spec("echo builtin"), {}).succeeded);
  EXPECT_EQ(out(), "builtin\n");
  EXPECT_EQ(shell_log(), "/bin/echo $((1 + 2))\necho builtin\n");
  CommandSpec always = spec("/bin/echo plain");
  always.plain_commands_without_shell = false;
  ASSERT_TRUE(run_command(always, {}).succeeded);
  EXPECT_EQ(shell_log(), "/bin/echo $((1 + 2))\necho builtin\n/bin/echo plain\n");
}

TEST_F(PlainCommandRunTest, WhatCannotStartDirectlyGetsTheShellsOwnResult) {
  // Not found: the shell's message and 127, not tasktrack's.
  const CommandOutcome missing = run_command(spec("tasktrack-no-such-program x"), {});
  EXPECT_EQ(missing.exit_code, 127) << missing.detail;
  EXPECT_NE(err().find("tasktrack-no-such-program: not found"), std::string::npos) << err();
  EXPECT_EQ(err().find("tasktrack: cannot start"), std::string::npos) << err();
  // An executable script without #! (execve: ENOEXEC): the shell runs it as a script.
  write_file(dir_.file("script"), "echo from a script without a shebang\n", executable);
  const CommandOutcome script = run_command(spec(dir_.file("script") + " arg"), {});
  ASSERT_TRUE(script.succeeded) << script.detail;
  EXPECT_EQ(out(), "from a script without a shebang\n");
  // Not executable: the shell's 126.
  write_file(dir_.file("data"), "x\n");
  const CommandOutcome data = run_command(spec(dir_.file("data")), {});
  EXPECT_EQ(data.exit_code, 126) << data.detail;
  EXPECT_EQ(shell_log(), "tasktrack-no-such-program x\n" + dir_.file("script") + " arg\n" +
                             dir_.file("data") + "\n");
}

TEST_F(PlainCommandRunTest, TheCommandSeesTheEnvironmentAndFolderTheShellWouldGiveIt) {
  std::filesystem::create_directory(dir_.file("real"));
  std::filesystem::create_directory_symlink(dir_.file("real"), dir_.file("link"));
  write_file(dir_.file("real/tool"), "#!/bin/sh\necho tool in \"$(pwd -P)\"\n", executable);
  const auto environment_of = [&](bool direct) {
    CommandSpec command = spec("env");
    command.plain_commands_without_shell = direct;
    command.cwd = dir_.file("link");
    command.extra_environment = {{"PATH", dir_.file("link") + ":/usr/bin:/bin"}, {"A", "1"}};
    const CommandOutcome outcome = run_command(command, {});
    EXPECT_TRUE(outcome.succeeded) << outcome.detail;
    std::vector<std::string> lines;
    std::istringstream text(out());
    for (std::string line; std::getline(text, line);) {
      // bash, as /bin/sh elsewhere, adds its own bookkeeping: not the command's.
      if (!line.starts_with("SHLVL=") && !line.starts_with("_=")) lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  const std::vector<std::string> direct = environment_of(true);
  EXPECT_EQ(shell_log(), "");
  const std::vector<std::string> through_shell = environment_of(false);
  EXPECT_EQ(shell_log(), "env\n");
  EXPECT_EQ(direct, through_shell);
  EXPECT_NE(std::find(direct.begin(), direct.end(), "PWD=" + dir_.file("real")), direct.end());
  // The task's own PATH finds its program, from its cwd.
  CommandSpec tool = spec("tool");
  tool.cwd = dir_.file("link");
  tool.extra_environment = {{"PATH", dir_.file("link") + ":/usr/bin:/bin"}};
  const CommandOutcome outcome = run_command(tool, {});
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_EQ(out(), "tool in " + dir_.file("real") + "\n");
  EXPECT_EQ(shell_log(), "env\n");
}

}  // namespace
}  // namespace tasktrack
