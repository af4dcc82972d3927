// Progress: when lines and the bar are printed, and what they say.
#include "report/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace tasktrack {
namespace {

// Collects what a Progress prints into a string.
class Captured {
 public:
  Captured() : file_(std::tmpfile()) {}
  ~Captured() { std::fclose(file_); }
  Captured(const Captured&) = delete;
  Captured& operator=(const Captured&) = delete;
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out += static_cast<char>(c);
    return out;
  }

 private:
  std::FILE* file_;
};

TEST(Progress, TheFirstLineComesAfterASecondThenEveryInterval) {
  Captured out;
  Progress progress(100, ProgressStyle::lines, 10.0, out.file());
  progress.update(0, 0, 0.5);
  EXPECT_EQ(out.text(), "");
  progress.update(5, 0, 1.0);
  EXPECT_EQ(out.text(), "tasktrack: progress 5.0% 5/100 done, 0 failed, 5.0/s, ETA 19s after 1s\n");
  progress.update(6, 0, 5.0);
  progress.update(7, 0, 10.9);
  EXPECT_EQ(out.text().find("7/100"), std::string::npos);  // not due until 11 s
  progress.update(8, 1, 11.0);
  EXPECT_NE(out.text().find("8/100 done, 1 failed"), std::string::npos) << out.text();
  progress.finish(100, 0, 20.0);  // lines end with nothing more
  EXPECT_EQ(out.text().find("100/100"), std::string::npos);
}

// Issue 14: after a resume, `10.4/s, ETA 43s` counted the resumed subtasks as this run's.
TEST(Progress, AResumedRunsRateAndEtaComeFromItsOwnCompletions) {
  Captured out;
  Progress progress(1000, ProgressStyle::lines, 10.0, out.file());
  progress.set_finished_before(400);  // the journal's: done before this run
  progress.update(420, 0, 10.0);      // 20 of this run's own in 10 s: 2/s, 580 left
  EXPECT_EQ(out.text(),
            "tasktrack: progress 42.0% 420/1000 done, 0 failed, 2.0/s, ETA 4m50s after 10s\n");
}

TEST(Progress, AShortIntervalStartsAtTheInterval) {
  Captured out;
  Progress progress(10, ProgressStyle::lines, 0.2, out.file());
  progress.update(1, 0, 0.2);
  EXPECT_NE(out.text().find("1/10 done"), std::string::npos);
}

TEST(Progress, TheBarRedrawsOneLineAndEndsIt) {
  Captured out;
  Progress progress(4, ProgressStyle::bar, 10.0, out.file());
  progress.update(1, 0, 0.25);
  progress.update(2, 0, 0.5);
  progress.finish(4, 0, 0.6);
  const std::string text = out.text();
  EXPECT_EQ(text.rfind("\r[", 0), 0u) << text;
  EXPECT_NE(text.find("25.0% 1/4 done"), std::string::npos) << text;
  EXPECT_NE(text.find("[##############################] 100.0% 4/4 done"), std::string::npos)
      << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);  // one line, redrawn
}

TEST(Progress, NoneSaysNothing) {
  Captured out;
  Progress progress(4, ProgressStyle::none, 0.1, out.file());
  for (double now = 0; now < 5; now += 0.1) progress.update(1, 0, now);
  progress.finish(4, 0, 5);
  EXPECT_EQ(out.text(), "");
}

TEST(Progress, StylesByName) {
  for (const auto style :
       {ProgressStyle::automatic, ProgressStyle::bar, ProgressStyle::lines, ProgressStyle::none}) {
    EXPECT_EQ(progress_style_from_string(to_string(style)), style);
  }
  EXPECT_FALSE(progress_style_from_string("Bar"));
  EXPECT_EQ(Progress::resolve(ProgressStyle::lines), ProgressStyle::lines);
}

}  // namespace
}  // namespace tasktrack
