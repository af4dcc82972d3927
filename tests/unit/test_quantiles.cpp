#include <gtest/gtest.h>

#include "core/quantiles.hpp"

namespace tasktrack {
namespace {

TEST(LogHistogram, EmptyGivesZero) {
  EXPECT_EQ(LogHistogram().quantile(0.5), 0.0);
}

TEST(LogHistogram, QuantilesAreWithinFivePercentAboveTheTrueValue) {
  LogHistogram histogram;
  for (int i = 1; i <= 1000; ++i) histogram.add(i * 1e-3);  // 1 ms .. 1 s
  EXPECT_EQ(histogram.count(), 1000u);
  const double p50 = histogram.quantile(0.5);
  const double p99 = histogram.quantile(0.99);
  EXPECT_GE(p50, 0.500);
  EXPECT_LE(p50, 0.500 * 1.05);
  EXPECT_GE(p99, 0.990);
  EXPECT_LE(p99, 0.990 * 1.05);
}

TEST(LogHistogram, TinyZeroAndHugeValuesLandInTheEndBuckets) {
  LogHistogram histogram;
  histogram.add(0);
  histogram.add(-1);
  histogram.add(1e-12);
  EXPECT_LE(histogram.quantile(1.0), 2e-6);
  histogram.add(1e9);
  EXPECT_GE(histogram.quantile(1.0), 1e5);
}

}  // namespace
}  // namespace tasktrack
