// Bad input, through the real binary: exit 2 and exactly one line on stderr, from rank 0
// only, before anything starts; with no mpirun and under mpirun with several ranks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace tasktrack {
namespace {

using testing::run_process;

struct BadInput {
  std::string name;
  std::vector<std::string> args;
  std::string expected;  // a part of the one line on stderr
};

std::string write_temp_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tasktrack-cli-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

std::vector<BadInput> bad_inputs() {
  const std::string malformed =
      write_temp_file("malformed.toml", "kernel = \"primes\"\nrange = [\n");
  const std::string unknown_key =
      write_temp_file("unknown.toml", "kernel = \"primes\"\nrange = \"0:100\"\ncolour = 3\n");
  const std::string tasks = write_temp_file("plain.tasks", "true\n");
  const std::string unknown_directive =
      write_temp_file("directive.tasks", "true\n#TASKTRACK cores=2 colour=red\ntrue\n");
  const std::string zero_cores = write_temp_file("zero.tasks", "#TASKTRACK cores=0\ntrue\n");
  return {
      {"unknown kernel", {"run", "--kernel", "nope", "--range", "0:10"}, "nope"},
      {"unknown flag", {"run", "--kernel", "primes", "--range", "0:10", "--bogus"}, "--bogus"},
      {"unknown subcommand", {"frobnicate"}, "frobnicate"},
      {"unknown parameter",
       {"run", "--kernel", "pi", "--range", "0:10", "--param", "foo=1"},
       "foo"},
      {"bad parameter value",
       {"run", "--kernel", "pi", "--range", "0:10", "--param", "seed=x"},
       "seed"},
      {"malformed range", {"run", "--kernel", "primes", "--range", "0-10"}, "0-10"},
      {"reversed range", {"run", "--kernel", "primes", "--range", "10:5"}, "10:5"},
      {"empty range", {"run", "--kernel", "primes", "--range", "5:5"}, "5:5"},
      {"zero subtasks",
       {"run", "--kernel", "primes", "--range", "0:10", "--subtasks", "0"},
       "subtasks"},
      {"more subtasks than elements",
       {"run", "--kernel", "primes", "--range", "0:10", "--subtasks", "11"},
       "subtasks"},
      {"threads below one",
       {"run", "--kernel", "primes", "--range", "0:10", "--threads", "0"},
       "threads"},
      {"missing job file", {"run", "/nonexistent/job.toml"}, "/nonexistent/job.toml"},
      {"malformed job file", {"run", malformed}, malformed},
      {"unknown job file key", {"run", unknown_key}, "colour"},
      {"missing kernel", {"run", "--range", "0:10"}, "kernel"},
      {"bad schedule",
       {"run", "--kernel", "primes", "--range", "0:10", "--schedule", "lazy"},
       "lazy"},
      {"unknown directive key",
       {"run", "--task-file", unknown_directive},
       "line 2: directive word 'colour=red': unknown key 'colour'"},
      {"directive asking for no cores",
       {"run", "--task-file", zero_cores},
       "line 1: directive word 'cores=0': must be at least 1"},
      {"empty GPU list", {"run", "--task-file", tasks, "--gpus", ","}, "--gpus: empty GPU id"},
      {"bad memory size", {"run", "--task-file", tasks, "--mem", "12X"}, "memory size '12X'"},
      {"bad per-task memory",
       {"run", "--task-file", tasks, "--mem-per-task", "1Q"},
       "--mem-per-task"},
      {"bad binding", {"run", "--kernel", "primes", "--range", "0:10", "--bind", "all"}, "'all'"},
  };
}

void expect_one_line_and_exit_2(const testing::ProcessResult& result, const BadInput& input) {
  ASSERT_FALSE(result.timed_out) << input.name;
  EXPECT_EQ(result.exit_code, 2) << input.name << "\n" << result.err;
  const auto lines = testing::non_empty_lines(result.err);
  ASSERT_EQ(lines.size(), 1u) << input.name << ":\n" << result.err;
  EXPECT_EQ(lines[0].rfind("tasktrack: error: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(input.expected), std::string::npos) << lines[0];
  EXPECT_EQ(result.out, "") << input.name;
}

TEST(BadInput, OneProcessExits2WithOneLine) {
  for (const BadInput& input : bad_inputs()) {
    std::vector<std::string> argv{TASKTRACK_BINARY};
    argv.insert(argv.end(), input.args.begin(), input.args.end());
    expect_one_line_and_exit_2(run_process(argv, 60), input);
  }
}

TEST(BadInput, UnderMpirunWithThreeRanksExits2WithOneLine) {
  for (const BadInput& input : bad_inputs()) {
    std::vector<std::string> argv = testing::mpirun_prefix(3);
    argv.push_back(TASKTRACK_BINARY);
    argv.insert(argv.end(), input.args.begin(), input.args.end());
    expect_one_line_and_exit_2(run_process(argv, 60), input);
  }
}

TEST(Cli, KernelsListsEveryBuiltInKernelWithItsParameters) {
  const auto result = run_process({TASKTRACK_BINARY, "kernels"}, 60);
  EXPECT_EQ(result.exit_code, 0);
  for (const char* name : {"primes", "pi", "mandelbrot", "sleep", "noop", "max_iter", "seed"}) {
    EXPECT_NE(result.out.find(name), std::string::npos) << name;
  }
}

TEST(Cli, HelpExits0AndNamesTheSubcommands) {
  const auto result = run_process({TASKTRACK_BINARY, "--help"}, 60);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("run"), std::string::npos);
  EXPECT_NE(result.out.find("kernels"), std::string::npos);
}

}  // namespace
}  // namespace tasktrack

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tasktrack::testing::prepare_mpi_test(argc, argv);
  return RUN_ALL_TESTS();
}
