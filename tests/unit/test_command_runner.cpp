// command_runner.hpp: real /bin/sh processes. Exit codes, signals, output files, the stderr
// tail, the environment, stdin, quoting, long commands, and stop: SIGTERM then SIGKILL to
// the whole process group, nothing of it left alive. Durations are never asserted, only
// "returned before a generous deadline". Runs under ThreadSanitizer too.
#include "commands/command_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tasktrack/error.hpp"
#include "temp_folder.hpp"

namespace tasktrack {
namespace {

using namespace std::chrono_literals;

// Longest a test waits for something that should happen soon before calling it a bug.
constexpr auto hang_guard = 20s;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Waits (bounded) until `path` exists with a complete line, e.g. a pid the command wrote.
std::string wait_for_line(const std::string& path) {
  const auto limit = std::chrono::steady_clock::now() + hang_guard;
  while (std::chrono::steady_clock::now() < limit) {
    const std::string text = read_file(path);
    if (!text.empty() && text.back() == '\n') return text.substr(0, text.size() - 1);
    std::this_thread::sleep_for(5ms);
  }
  return {};
}

// Live (non-zombie) processes whose process group is `group`, from /proc.
std::vector<int> live_members(int group) {
  std::vector<int> members;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file(entry.path().string() + "/stat");
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 1));
    char state = 0;
    int parent = 0;
    int process_group = 0;
    if (!(fields >> state >> parent >> process_group)) continue;
    if (process_group == group && state != 'Z' && state != 'X') members.push_back(std::stoi(name));
  }
  return members;
}

// The process's umask, read without changing it (other threads may be creating files).
mode_t current_umask() {
  std::istringstream status(read_file("/proc/self/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0)
      return static_cast<mode_t>(std::stoi(line.substr(6), nullptr, 8));
  }
  return 022;
}

// The hexadecimal mask after `field` ("SigBlk:") in a /proc/PID/status text.
unsigned long long signal_mask(const std::string& status, const std::string& field) {
  const std::size_t at = status.find(field);
  if (at == std::string::npos) return ~0ULL;
  return std::stoull(status.substr(at + field.size()), nullptr, 16);
}

class CommandRunnerTest : public ::testing::Test {
 protected:
  CommandSpec spec(const std::string& command) const {
    CommandSpec result;
    result.command = command;
    result.stdout_path = dir_.file("out.txt");
    result.stderr_path = dir_.file("err.txt");
    return result;
  }

  // Runs on another thread so a hang fails the test instead of the whole suite.
  CommandOutcome run(const CommandSpec& command_spec, std::stop_token stop = {}) {
    auto result = std::async(std::launch::async,
                             [&command_spec, stop] { return run_command(command_spec, stop); });
    if (result.wait_for(hang_guard) != std::future_status::ready) {
      ADD_FAILURE() << "run_command did not return within the hang guard";
      std::abort();  // a thread still inside run_command cannot be left behind
    }
    return result.get();
  }

  // Starts `command_spec`, waits until `ready_file` holds the group id the command wrote,
  // requests stop, and checks that it returns with reason timeout and nothing left alive.
  CommandOutcome run_and_stop(const CommandSpec& command_spec, const std::string& ready_file) {
    std::stop_source source;
    auto result = std::async(std::launch::async, [&command_spec, token = source.get_token()] {
      return run_command(command_spec, token);
    });
    const std::string group_text = wait_for_line(ready_file);
    source.request_stop();
    if (result.wait_for(hang_guard) != std::future_status::ready) {
      ADD_FAILURE() << "run_command did not return after stop within the hang guard";
      std::abort();
    }
    CommandOutcome outcome = result.get();
    EXPECT_FALSE(group_text.empty()) << "the command never reported its group";
    if (!group_text.empty()) {
      const int group = std::stoi(group_text);
      EXPECT_TRUE(live_members(group).empty()) << "processes of group " << group << " survived";
    }
    EXPECT_FALSE(outcome.succeeded);
    EXPECT_EQ(outcome.reason, FailureReason::timeout);
    EXPECT_EQ(outcome.detail.rfind("stopped: ", 0), 0u) << outcome.detail;
    return outcome;
  }

  testing::TempFolder dir_{"tasktrack-command"};
};

TEST_F(CommandRunnerTest, TrueSucceeds) {
  const CommandOutcome outcome = run(spec("true"));
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_EQ(outcome.reason, FailureReason::none);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.signal, 0);
  EXPECT_EQ(outcome.detail, "");
}

TEST_F(CommandRunnerTest, NonZeroExitIsExitCodeFailure) {
  const CommandOutcome outcome = run(spec("exit 3"));
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.reason, FailureReason::exit_code);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_EQ(outcome.detail, "exit code 3");
}

TEST_F(CommandRunnerTest, DeathBySignalIsSignalFailure) {
  const CommandOutcome outcome = run(spec("ulimit -c 0; kill -SEGV $$"));
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.reason, FailureReason::signal);
  EXPECT_EQ(outcome.signal, SIGSEGV);
  EXPECT_EQ(outcome.detail, "killed by SIGSEGV");
}

TEST_F(CommandRunnerTest, StdoutAndStderrGoToTheirFiles) {
  const CommandSpec command = spec("echo out; echo err >&2");
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_EQ(read_file(command.stdout_path), "out\n");
  EXPECT_EQ(read_file(command.stderr_path), "err\n");
}

TEST_F(CommandRunnerTest, OutputFilesAreTruncatedAndCreatedWithMode0644) {
  const CommandSpec command = spec("echo new");
  write_file(command.stdout_path, "old content that is longer\n");
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_EQ(read_file(command.stdout_path), "new\n");
  struct stat info {};
  ASSERT_EQ(::stat(command.stderr_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0644u & ~current_umask());
}

TEST_F(CommandRunnerTest, SameFileForStdoutAndStderrKeepsBoth) {
  CommandSpec command = spec("echo one; echo two >&2; echo three");
  command.stderr_path = command.stdout_path;
  EXPECT_TRUE(run(command).succeeded);
  EXPECT_EQ(read_file(command.stdout_path), "one\ntwo\nthree\n");
}

TEST_F(CommandRunnerTest, FailureDetailQuotesTheLastKibibyteOfStderr) {
  std::string text;
  for (int i = 0; text.size() < 3000; ++i) text += std::to_string(i) + ",";
  write_file(dir_.file("source.txt"), text);
  CommandSpec command = spec("cat \"$SOURCE\" >&2; exit 1");
  command.extra_environment["SOURCE"] = dir_.file("source.txt");
  const CommandOutcome outcome = run(command);
  EXPECT_EQ(outcome.reason, FailureReason::exit_code);
  EXPECT_EQ(outcome.detail, "exit code 1; stderr: " + text.substr(text.size() - 1024));
}

TEST_F(CommandRunnerTest, StderrTailIsOneTrimmedLine) {
  const CommandOutcome outcome = run(spec("printf 'first\\nsecond\\n\\n' >&2; exit 2"));
  EXPECT_EQ(outcome.detail, "exit code 2; stderr: first | second");
}

TEST_F(CommandRunnerTest, StderrTailIsValidUtf8) {
  const CommandOutcome outcome = run(spec("printf 'bad \\377 byte, good \\303\\251' >&2; exit 1"));
  EXPECT_EQ(outcome.detail, "exit code 1; stderr: bad \xEF\xBF\xBD byte, good \xC3\xA9");
}

TEST_F(CommandRunnerTest, NoStderrTailOnSuccessOrWhenEmpty) {
  EXPECT_EQ(run(spec("echo noise >&2")).detail, "");
  EXPECT_EQ(run(spec("exit 4")).detail, "exit code 4");
}

TEST_F(CommandRunnerTest, ExtraEnvironmentIsAddedAndReplacesOurs) {
  ASSERT_EQ(::setenv("TASKTRACK_TEST_REPLACED", "ours", 1), 0);
  ASSERT_EQ(::setenv("TASKTRACK_TEST_KEPT", "kept", 1), 0);
  CommandSpec command =
      spec("echo \"$FOO|$TASKTRACK_TEST_REPLACED|$TASKTRACK_TEST_KEPT|$WITH_SPACE\"; env");
  command.extra_environment = {
      {"FOO", "bar"}, {"TASKTRACK_TEST_REPLACED", "theirs"}, {"WITH_SPACE", "a b=c"}};
  const CommandOutcome outcome = run(command);
  ::unsetenv("TASKTRACK_TEST_REPLACED");
  ::unsetenv("TASKTRACK_TEST_KEPT");
  EXPECT_TRUE(outcome.succeeded);
  const std::string output = read_file(command.stdout_path);
  EXPECT_EQ(output.substr(0, output.find('\n')), "bar|theirs|kept|a b=c");
  // Replaced, not duplicated.
  EXPECT_EQ(output.find("TASKTRACK_TEST_REPLACED=ours"), std::string::npos);
  EXPECT_NE(output.find("TASKTRACK_TEST_REPLACED=theirs"), std::string::npos);
}

TEST_F(CommandRunnerTest, InvalidEnvironmentNameIsRejected) {
  CommandSpec command = spec("true");
  command.extra_environment = {{"A=B", "c"}};
  EXPECT_THROW(run_command(command, {}), std::invalid_argument);
  command.extra_environment = {{"", "c"}};
  EXPECT_THROW(run_command(command, {}), std::invalid_argument);
}

TEST_F(CommandRunnerTest, StdinIsDevNull) {
  const CommandSpec command = spec("cat");
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_EQ(read_file(command.stdout_path), "");
  const CommandSpec link = spec("readlink /proc/self/fd/0");
  EXPECT_TRUE(run(link).succeeded);
  EXPECT_EQ(read_file(link.stdout_path), "/dev/null\n");
}

TEST_F(CommandRunnerTest, OurOtherDescriptorsAreNotInherited) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  const CommandSpec command =
      spec("test -e /proc/self/fd/" + std::to_string(leaked) + " && echo inherited || echo closed");
  const CommandOutcome outcome = run(command);
  ::close(leaked);
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_EQ(read_file(command.stdout_path), "closed\n");
}

TEST_F(CommandRunnerTest, QuotesPipesRedirectionsAndUtf8) {
  CommandSpec command = spec(R"(printf 'héllo "x" | y\n' | tr a-z A-Z > "$TARGET")");
  command.extra_environment["TARGET"] = dir_.file("target.txt");
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_EQ(read_file(dir_.file("target.txt")), "H\xC3\xA9LLO \"X\" | Y\n");
}

TEST_F(CommandRunnerTest, HundredKibibyteCommandLineWorks) {
  const std::string payload(100 * 1024, 'x');
  const CommandSpec command = spec("printf '%s' '" + payload + "'");
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_EQ(read_file(command.stdout_path), payload);
}

TEST_F(CommandRunnerTest, OverlongCommandLineThrowsSystemError) {
  // Linux caps one argument at 128 KiB (MAX_ARG_STRLEN).
  const CommandSpec command = spec("echo '" + std::string(200 * 1024, 'x') + "'");
  try {
    run_command(command, {});
    FAIL() << "expected SystemError";
  } catch (const SystemError& error) {
    EXPECT_NE(std::string(error.what()).find("posix_spawn"), std::string::npos) << error.what();
    EXPECT_LT(std::string(error.what()).size(), 300u) << "the message should abbreviate";
  }
}

TEST_F(CommandRunnerTest, MissingOutputDirectoryThrowsSystemErrorNamingThePath) {
  CommandSpec command = spec("true");
  command.stdout_path = dir_.file("missing/out.txt");
  try {
    run_command(command, {});
    FAIL() << "expected SystemError";
  } catch (const SystemError& error) {
    EXPECT_NE(std::string(error.what()).find(command.stdout_path), std::string::npos)
        << error.what();
  }
}

TEST_F(CommandRunnerTest, StopBeforeStartRunsNothing) {
  std::stop_source source;
  source.request_stop();
  const CommandSpec command = spec("echo ran");
  const CommandOutcome outcome = run(command, source.get_token());
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.reason, FailureReason::timeout);
  EXPECT_FALSE(std::filesystem::exists(command.stdout_path));
}

TEST_F(CommandRunnerTest, StopEndsTheWholeProcessGroup) {
  const std::string ready = dir_.file("group.txt");
  CommandSpec command = spec("sleep 100 & sleep 100 & echo $$ > \"$READY\"; wait");
  command.extra_environment["READY"] = ready;
  const CommandOutcome outcome = run_and_stop(command, ready);
  EXPECT_EQ(outcome.signal, SIGTERM);
  EXPECT_EQ(outcome.detail, "stopped: killed by SIGTERM");
}

TEST_F(CommandRunnerTest, StopAfterAFewHundredMillisecondsEndsSleep) {
  std::stop_source source;
  const CommandSpec command = spec("sleep 100");
  auto result = std::async(std::launch::async, [&command, token = source.get_token()] {
    return run_command(command, token);
  });
  std::this_thread::sleep_for(200ms);
  source.request_stop();
  ASSERT_EQ(result.wait_for(hang_guard), std::future_status::ready);
  const CommandOutcome outcome = result.get();
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.reason, FailureReason::timeout);
}

TEST_F(CommandRunnerTest, CommandThatIgnoresTermIsKilled) {
  const std::string ready = dir_.file("group.txt");
  CommandSpec command = spec("trap '' TERM; sleep 100 & echo $$ > \"$READY\"; sleep 100");
  command.extra_environment["READY"] = ready;
  command.kill_grace = 300ms;
  const CommandOutcome outcome = run_and_stop(command, ready);
  EXPECT_EQ(outcome.signal, SIGKILL);
  EXPECT_EQ(outcome.detail, "stopped: killed by SIGKILL after ignoring SIGTERM for 300 ms");
}

TEST_F(CommandRunnerTest, BackgroundChildThatIgnoresTermIsKilledAfterTheShell) {
  const std::string ready = dir_.file("group.txt");
  CommandSpec command = spec(
      "(trap '' TERM; echo $$ > \"$READY\"; sleep 100) & until [ -s \"$READY\" ]; do :; "
      "done; sleep 100");
  command.extra_environment["READY"] = ready;
  command.kill_grace = 300ms;
  const CommandOutcome outcome = run_and_stop(command, ready);
  EXPECT_EQ(outcome.signal, SIGTERM);
  EXPECT_EQ(outcome.detail,
            "stopped: killed by SIGTERM, then SIGKILL to the rest of its process group after "
            "300 ms");
}

TEST_F(CommandRunnerTest, ChildSeesDefaultSignalsWhateverTheCallingThreadBlocksOrIgnores) {
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
  const CommandSpec command = spec("grep -E '^Sig(Blk|Ign)' /proc/self/status");
  CommandOutcome outcome;
  std::thread([&] {
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
    outcome = run_command(command, {});
  }).join();
  ::sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_TRUE(outcome.succeeded) << outcome.detail;
  const std::string status = read_file(command.stdout_path);
  EXPECT_EQ(signal_mask(status, "SigBlk:"), 0u) << status;
  // glibc's posix_spawn leaves its own internal signals (32, 33) ignored: not ours to judge.
  const unsigned long long ignored = signal_mask(status, "SigIgn:");
  for (const int number : {SIGPIPE, SIGTERM, SIGINT}) {
    EXPECT_EQ(ignored & (1ULL << (number - 1)), 0u) << signal_name(number) << "\n" << status;
  }
}

TEST_F(CommandRunnerTest, ManyCommandsRunConcurrently) {
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  std::atomic<int> succeeded{0};
  std::atomic<int> right_output{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        CommandSpec command;
        command.command = "echo " + name + "; echo e" + name + " >&2";
        command.stdout_path = dir_.file(name + ".out");
        command.stderr_path = dir_.file(name + ".err");
        if (run_command(command, {}).succeeded) succeeded.fetch_add(1);
        if (read_file(command.stdout_path) == name + "\n" &&
            read_file(command.stderr_path) == "e" + name + "\n") {
          right_output.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  EXPECT_EQ(succeeded.load(), threads * per_thread);
  EXPECT_EQ(right_output.load(), threads * per_thread);
}

TEST_F(CommandRunnerTest, ConcurrentStopsEachEndTheirOwnCommand) {
  constexpr int count = 8;
  std::vector<std::stop_source> sources(count);
  std::vector<std::future<CommandOutcome>> results;
  std::vector<CommandSpec> commands;
  for (int i = 0; i < count; ++i) {
    CommandSpec command = spec(i % 2 == 0 ? "sleep 100" : "exit " + std::to_string(i));
    command.stdout_path = dir_.file(std::to_string(i) + ".out");
    command.stderr_path = dir_.file(std::to_string(i) + ".err");
    commands.push_back(command);
  }
  for (int i = 0; i < count; ++i) {
    results.push_back(
        std::async(std::launch::async, [&commands, i, token = sources[i].get_token()] {
          return run_command(commands[i], token);
        }));
  }
  for (int i = 1; i < count; i += 2) {
    ASSERT_EQ(results[i].wait_for(hang_guard), std::future_status::ready);
  }
  for (int i = 0; i < count; i += 2) sources[i].request_stop();
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(results[i].wait_for(hang_guard), std::future_status::ready);
    const CommandOutcome outcome = results[i].get();
    if (i % 2 == 0) {
      EXPECT_EQ(outcome.reason, FailureReason::timeout) << i;
    } else {
      EXPECT_EQ(outcome.reason, FailureReason::exit_code) << i;
      EXPECT_EQ(outcome.exit_code, i);
    }
  }
}

// True while `pid` is a process that can still run (a zombie cannot).
bool is_alive(const std::string& pid) {
  const std::string stat = read_file("/proc/" + pid + "/stat");
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(stat.substr(paren + 1));
  char state = 0;
  fields >> state;
  return state != 'Z' && state != 'X';
}

// Waits (bounded) until `pid` is gone; true when it went.
bool ends_soon(const std::string& pid) {
  const auto limit = std::chrono::steady_clock::now() + hang_guard;
  while (is_alive(pid) && std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(5ms);
  }
  return !is_alive(pid);
}

TEST_F(CommandRunnerTest, ArgvReachesTheProgramByteForByteWithoutAShell) {
  const std::vector<std::string> words = {"a b",
                                          "it's",
                                          "\"both\" 'quotes'",
                                          "$HOME",
                                          "`id`",
                                          "; echo injected",
                                          "line\nbreak",
                                          "tab\there",
                                          "\\back\\slash",
                                          "ünïcödé ✓",
                                          "*",
                                          "-n",
                                          ""};
  CommandSpec command = spec("");
  command.argv = {"printf", "[%s]\n"};
  command.argv.insert(command.argv.end(), words.begin(), words.end());
  const CommandOutcome outcome = run(command);
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  std::string expected;
  for (const std::string& word : words) expected += "[" + word + "]\n";
  EXPECT_EQ(read_file(dir_.file("out.txt")), expected);
}

TEST_F(CommandRunnerTest, MissingProgramIsAFailedAttemptWithExitCode127) {
  CommandSpec command = spec("tasktrack-no-such-program x");
  command.argv = {"tasktrack-no-such-program", "x"};
  const CommandOutcome outcome = run(command);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.reason, FailureReason::exit_code);
  EXPECT_EQ(outcome.exit_code, 127);
  EXPECT_EQ(outcome.detail,
            "exit code 127: cannot start 'tasktrack-no-such-program': No such file or directory");
  EXPECT_NE(read_file(dir_.file("err.txt")).find("tasktrack: cannot start"), std::string::npos);

  command.argv = {dir_.file("out.txt")};  // exists, not executable
  const CommandOutcome not_executable = run(command);
  EXPECT_EQ(not_executable.exit_code, 126) << not_executable.detail;
}

TEST_F(CommandRunnerTest, CwdIsWhereTheCommandRuns) {
  const std::string folder = dir_.file("work");
  std::filesystem::create_directory(folder);
  CommandSpec command = spec("pwd -P; ls");
  command.cwd = folder;
  write_file(folder + "/marker", "");
  const CommandOutcome outcome = run(command);
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_EQ(read_file(dir_.file("out.txt")),
            std::filesystem::canonical(folder).string() + "\nmarker\n");

  CommandSpec by_argv = spec("");  // argv too, and a relative program found in the cwd
  by_argv.argv = {"./script.sh"};
  by_argv.cwd = folder;
  write_file(folder + "/script.sh", "#!/bin/sh\necho from script\n");
  std::filesystem::permissions(folder + "/script.sh", std::filesystem::perms::owner_all);
  const CommandOutcome script = run(by_argv);
  ASSERT_TRUE(script.succeeded) << script.detail;
  EXPECT_EQ(read_file(dir_.file("out.txt")), "from script\n");
}

TEST_F(CommandRunnerTest, MissingCwdIsAFailedAttemptNamingIt) {
  for (const bool with_argv : {false, true}) {
    CommandSpec command = spec("true");
    if (with_argv) command.argv = {"true"};
    command.cwd = dir_.file("no-such-folder");
    const CommandOutcome outcome = run(command);
    EXPECT_FALSE(outcome.succeeded);
    EXPECT_EQ(outcome.exit_code, 127);
    EXPECT_EQ(outcome.detail, "exit code 127: cannot change to cwd '" + command.cwd +
                                  "': No such file or directory");
  }
}

TEST_F(CommandRunnerTest, ShellIsAChoice) {
  CommandSpec command = spec("[[ 1 == 1 ]] && echo {a,b}");
  command.shell = "/bin/bash";
  const CommandOutcome outcome = run(command);
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_EQ(read_file(dir_.file("out.txt")), "a b\n");
}

TEST_F(CommandRunnerTest, LauncherVariablesAreLeftOutUnlessKept) {
  const std::vector<std::pair<std::string, bool>> variables = {{"OMPI_COMM_WORLD_RANK", false},
                                                               {"OMPI_MCA_ess", false},
                                                               {"OMPI_MCA_orte_hnp_uri", false},
                                                               {"PMIX_RANK", false},
                                                               {"PMI_FD", false},
                                                               {"HYDRA_CONTROL_FD", false},
                                                               {"MPI_LOCALRANKID", false},
                                                               {"PRTE_MCA_x", false},
                                                               {"OMPI_MCA_btl", true},
                                                               {"OMPI_ALLOW_RUN_AS_ROOT", true},
                                                               {"OPAL_PREFIX", true},
                                                               {"SLURM_JOB_ID", true}};
  std::map<std::string, std::string> saved;
  for (const auto& [name, kept] : variables) {
    if (const char* value = std::getenv(name.c_str())) saved[name] = value;
    ASSERT_EQ(::setenv(name.c_str(), "tasktrack-test", 1), 0);
  }
  for (const bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "--keep-mpi-env" : "clean");
    CommandSpec command = spec("env");
    command.keep_mpi_environment = keep;
    command.extra_environment["PMIX_GIVEN"] = "by the task";  // what the task sets stays
    const CommandOutcome outcome = run(command);
    ASSERT_TRUE(outcome.succeeded) << outcome.detail;
    const std::string output = "\n" + read_file(dir_.file("out.txt"));
    for (const auto& [name, kept] : variables) {
      EXPECT_EQ(output.find("\n" + name + "=tasktrack-test\n") != std::string::npos, kept || keep)
          << name;
    }
    EXPECT_NE(output.find("\nPMIX_GIVEN=by the task\n"), std::string::npos);
  }
  for (const auto& [name, kept] : variables) {
    if (saved.count(name) != 0) {
      ::setenv(name.c_str(), saved[name].c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

TEST_F(CommandRunnerTest, BackgroundProcessesEndWithTheirAttempt) {
  const std::string pid_file = dir_.file("pid.txt");
  CommandSpec command = spec("sleep 60 > /dev/null 2>&1 & echo $! > \"$PID_FILE\"");
  command.extra_environment["PID_FILE"] = pid_file;
  command.kill_grace = 300ms;
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded) << outcome.detail;  // the leader's own exit status
  EXPECT_TRUE(outcome.left_processes);
  const std::string pid = wait_for_line(pid_file);
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(ends_soon(pid)) << "background sleep " << pid << " outlived its attempt";

  // Holding the output pipe open does not keep the attempt alive either.
  CommandSpec holding = spec("sleep 60 & echo $! > \"$PID_FILE\"; echo done");
  holding.extra_environment["PID_FILE"] = pid_file;
  const CommandOutcome held = run(holding);
  EXPECT_TRUE(held.succeeded) << held.detail;
  EXPECT_TRUE(held.left_processes);
  EXPECT_EQ(read_file(dir_.file("out.txt")), "done\n");
  EXPECT_TRUE(ends_soon(wait_for_line(pid_file)));

  // Nothing left: nothing reported.
  EXPECT_FALSE(run(spec("sleep 0 & wait")).left_processes);
}

TEST_F(CommandRunnerTest, KeepBackgroundLeavesThemRunning) {
  const std::string pid_file = dir_.file("pid.txt");
  CommandSpec command = spec("sleep 60 > /dev/null 2>&1 & echo $! > \"$PID_FILE\"");
  command.extra_environment["PID_FILE"] = pid_file;
  command.keep_background = true;
  const CommandOutcome outcome = run(command);
  EXPECT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_FALSE(outcome.left_processes);
  const std::string pid = wait_for_line(pid_file);
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(is_alive(pid));
  ::kill(std::stoi(pid), SIGKILL);  // ours to clean up now
}

TEST(CommandRunnerSignalName, NamesKnownSignalsAndNumbersOthers) {
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(11), "SIGSEGV");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(64), "signal 64");
  EXPECT_EQ(signal_name(0), "signal 0");
}

}  // namespace
}  // namespace tasktrack
