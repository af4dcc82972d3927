// JobClock: job seconds that every rank can line up (a shared wall-clock epoch) but that
// run on the steady clock, so that deadlines do not move when the wall clock is stepped.
#include "core/job_clock.hpp"

#include <gtest/gtest.h>

namespace tasktrack {
namespace {

TEST(JobClock, SecondsSinceAnEpochTakenElsewhere) {
  // A worker gets rank 0's epoch, taken 100 s ago in this test's story.
  const double epoch = unix_seconds() - 100;
  const JobClock clock{epoch};
  EXPECT_EQ(clock.epoch_unix, epoch);
  // Bounds wide enough for any stall of this thread; far from 0 or a Unix time.
  EXPECT_GE(clock.now(), 100.0);
  EXPECT_LT(clock.now(), 160.0);
  // epoch + now() is a date: what the journal stores.
  const double date = clock.epoch_unix + clock.now();
  EXPECT_LT(date, unix_seconds() + 60);
  EXPECT_GT(date, unix_seconds() - 60);
}

TEST(JobClock, NeverGoesBackAndCopiesAgree) {
  const JobClock clock;
  const JobClock copy = clock;
  double previous = clock.now();
  EXPECT_GE(previous, 0.0);
  for (int i = 0; i < 100000; ++i) {
    const double now = clock.now();
    ASSERT_GE(now, previous);
    previous = now;
  }
  EXPECT_EQ(copy.anchor, clock.anchor);
  EXPECT_EQ(copy.seconds_at_anchor, clock.seconds_at_anchor);
}

// The steady anchor is what now() runs from: moving the wall-clock reading the clock was
// made with (as a step of the system clock would) changes nothing after the anchor.
TEST(JobClock, RunsOnTheSteadyClockFromItsAnchor) {
  JobClock clock;
  clock.anchor = std::chrono::steady_clock::now() - std::chrono::seconds(5);
  clock.seconds_at_anchor = 2;
  EXPECT_GE(clock.now(), 7.0);
  EXPECT_LT(clock.now(), 60.0);
}

}  // namespace
}  // namespace tasktrack
