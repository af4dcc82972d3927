// SumReduction: the ready-made reduction of reductions.hpp.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "tasktrack/reductions.hpp"
#include "tasktrack/tasktrack.hpp"  // the umbrella header compiles on its own

namespace tasktrack {
namespace {

TEST(SumReduction, SumsValuesAndIgnoresPayloadAndOrder) {
  SumReduction forward("squares");
  SumReduction backward("squares");
  const std::byte payload[] = {std::byte{1}, std::byte{2}};
  for (SubtaskId id = 0; id < 10; ++id) {
    forward.add(id, Range{id, id + 1}, id * 7, payload);
    backward.add(9 - id, Range{9 - id, 10 - id}, (9 - id) * 7, {});
  }
  EXPECT_EQ(forward.sum(), 315);
  EXPECT_EQ(forward.finish(), nlohmann::json({{"squares", 315}}));
  EXPECT_EQ(forward.describe(), "squares: 315");
  EXPECT_EQ(backward.finish(), forward.finish());
}

TEST(SumReduction, EmptyJobSumsToZero) {
  SumReduction reduction("total");
  EXPECT_EQ(reduction.finish(), nlohmann::json({{"total", 0}}));
  EXPECT_EQ(reduction.describe(), "total: 0");
}

TEST(SumReduction, NegativeValues) {
  SumReduction reduction("delta");
  reduction.add(0, Range{0, 1}, -5, {});
  reduction.add(1, Range{1, 2}, 3, {});
  reduction.finish();
  EXPECT_EQ(reduction.describe(), "delta: -2");
}

TEST(SumReduction, OverflowThrowsAndKeepsTheSum) {
  SumReduction reduction("big");
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  reduction.add(0, Range{0, 1}, max, {});
  EXPECT_THROW(reduction.add(1, Range{1, 2}, 1, {}), std::overflow_error);
  EXPECT_EQ(reduction.sum(), max);
}

TEST(SumReduction, IsAReduction) {
  std::unique_ptr<Reduction> reduction = std::make_unique<SumReduction>("n");
  reduction->add(0, Range{0, 4}, 4, {});
  EXPECT_EQ(reduction->finish(), nlohmann::json({{"n", 4}}));
}

}  // namespace
}  // namespace tasktrack
