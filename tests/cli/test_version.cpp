// `tasktrack --version` through the real binary: what a batch script runs before it
// launches anything, so it must work without mpirun and say which MPI it was built with.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "run_process.hpp"

namespace tasktrack {
namespace {

TEST(Version, PrintsTheReleaseAndTheMpiItWasBuiltWith) {
  for (const char* spelling : {"--version", "version"}) {
    const auto result = testing::run_process({TASKTRACK_BINARY, spelling}, 60);
    ASSERT_EQ(result.exit_code, 0) << spelling << ": " << result.err;
    EXPECT_EQ(result.err, "");
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(^tasktrack \d+\.\d+\.\d+\n)")))
        << result.out;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(built with Open MPI \d+\.\d+\.\d+)")))
        << result.out;
  }
}

}  // namespace
}  // namespace tasktrack
