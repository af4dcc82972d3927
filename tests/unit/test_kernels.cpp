// The built-in kernels against known values, and the determinism contract: a job's result
// does not depend on how its range is split nor on the order results reach the reduction.

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <numbers>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/sleep_duration.hpp"
#include "kernels/trial_division.hpp"
#include "tasktrack/error.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {
namespace {

using Params = std::map<std::string, std::string>;

std::unique_ptr<Kernel> make_kernel(std::string_view name, const Params& params = {}) {
  const KernelInfo* info = kernel_registry().find(name);
  if (info == nullptr) throw std::logic_error("no built-in kernel " + std::string(name));
  return info->make(KernelRegistry::validate(*info, params));
}

// Runs one subtask covering `range` on the calling thread.
SubtaskResult run_range(const Kernel& kernel, Range range, SubtaskId id = 0,
                        std::stop_token stop = {}) {
  return kernel.run(SubtaskContext{
      .id = id, .range = range, .attempt = 0, .stop = stop, .cores = {}, .gpus = {}});
}

struct JobResult {
  nlohmann::json result;
  std::string line;
};

// Runs `range` as `count` subtasks, like the engine would, and reduces them. `reversed`
// feeds the reduction in reverse id order, as a far worker might.
JobResult run_job(const Kernel& kernel, Range range, std::uint32_t count, bool reversed = false) {
  const Partition partition(range, count);
  std::vector<SubtaskResult> results(count);
  for (SubtaskId id = 0; id < count; ++id) {
    results[id] = run_range(kernel, partition.subtask(id), id);
  }
  auto reduction = kernel.make_reduction(partition);
  for (SubtaskId i = 0; i < count; ++i) {
    const SubtaskId id = reversed ? count - 1 - i : i;
    reduction->add(id, partition.subtask(id), results[id].value, results[id].payload);
  }
  JobResult job{reduction->finish(), ""};
  job.line = reduction->describe();
  return job;
}

// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tasktrack-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string fnv1a_hex(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::uint8_t byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

struct GrayImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> pixels;
};

// Decodes a PNG into 8-bit gray with libpng; fails the test if it is not a valid PNG.
GrayImage read_gray_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  GrayImage out;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    ADD_FAILURE() << "not a readable PNG: " << image.message;
    return out;
  }
  image.format = PNG_FORMAT_GRAY;
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    ADD_FAILURE() << "PNG decode failed: " << image.message;
  }
  return out;
}

// --- primes -------------------------------------------------------------------------------

TEST(PrimesKernel, CountsKnownValues) {
  const auto primes = make_kernel("primes");
  EXPECT_EQ(run_range(*primes, {0, 100}).value, 25);
  EXPECT_EQ(run_range(*primes, {0, 1'000'000}).value, 78498);
  EXPECT_EQ(run_range(*primes, {0, 2}).value, 0);
  EXPECT_EQ(run_range(*primes, {2, 3}).value, 1);
  EXPECT_EQ(run_range(*primes, {3, 4}).value, 1);
  EXPECT_EQ(run_range(*primes, {4, 5}).value, 0);
  EXPECT_EQ(run_range(*primes, {25, 26}).value, 0);      // odd square
  EXPECT_EQ(run_range(*primes, {-100, 3}).value, 1);     // only 2; negatives are not prime
  EXPECT_EQ(run_range(*primes, {7919, 7920}).value, 1);  // the 1000th prime
  EXPECT_EQ(run_range(*primes, {2147483647, 2147483648}).value, 1);        // 2^31 - 1
  EXPECT_EQ(run_range(*primes, {1000000000039, 1000000000040}).value, 1);  // first > 10^12
  EXPECT_TRUE(run_range(*primes, {0, 100}).payload.empty());
}

// The textbook loop the kernel had before issue 14: signed 64-bit, `d <= n / d`, `n % d`.
bool reference_is_prime(std::int64_t n) {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 == 0) return false;
  for (std::int64_t d = 3; d <= n / d; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

// The 32-bit path (and the 64-bit one past 2^32) against the reference, number by number,
// over the small numbers, squares and near-squares of primes, and both sides of 2^32.
TEST(PrimesKernel, FastPathAgreesWithTheReference) {
  std::vector<std::int64_t> numbers;
  for (std::int64_t n = -5; n < 100'000; ++n) numbers.push_back(n);
  for (const std::int64_t p : {3, 5, 7, 11, 13, 31, 65'519, 65'521, 65'537, 65'539}) {
    for (const std::int64_t delta : {-2, -1, 0, 1, 2}) numbers.push_back(p * p + delta);
  }
  constexpr std::int64_t two_to_32 = std::int64_t{1} << 32;
  for (std::int64_t n = two_to_32 - 2'000; n < two_to_32 + 2'000; ++n) numbers.push_back(n);
  std::int64_t primes_seen = 0;
  for (const std::int64_t n : numbers) {
    const bool expected = reference_is_prime(n);
    ASSERT_EQ(is_prime(n), expected) << n;
    primes_seen += expected ? 1 : 0;
  }
  EXPECT_GT(primes_seen, 9592);               // the range did hold primes on both paths
  EXPECT_TRUE(is_prime(4'294'967'291));       // the largest prime below 2^32
  EXPECT_FALSE(is_prime(4'294'967'295));      // 2^32 - 1 = 3 * 5 * 17 * 257 * 65537
  EXPECT_FALSE(is_prime(65'521LL * 65'537));  // straddles the 32-bit bound, > 2^32
  EXPECT_TRUE(is_prime(4'294'967'311));       // the smallest prime above 2^32
  EXPECT_TRUE(is_prime_trial_division(std::uint32_t{4'294'967'291}));
  EXPECT_FALSE(is_prime_trial_division(std::uint32_t{4'294'967'295}));
}

TEST(PrimesKernel, SameCountWhateverTheSplitAndOrder) {
  const auto primes = make_kernel("primes");
  for (const std::uint32_t count : {1u, 7u, 100u}) {
    for (const bool reversed : {false, true}) {
      const JobResult job = run_job(*primes, {0, 100'000}, count, reversed);
      EXPECT_EQ(job.result, (nlohmann::json{{"primes", 9592}})) << count;
      EXPECT_EQ(job.line, "primes: 9592");
    }
  }
}

TEST(PrimesKernel, RunIsThreadSafe) {
  const auto primes = make_kernel("primes");
  std::vector<std::future<std::int64_t>> counts;
  for (int i = 0; i < 4; ++i) {
    counts.push_back(std::async(std::launch::async, [&] {
      return run_range(*primes, {0, 200'000}).value;
    }));
  }
  for (auto& count : counts) EXPECT_EQ(count.get(), 17984);
}

// --- pi -----------------------------------------------------------------------------------

TEST(PiKernel, IdenticalResultForEveryPartition) {
  const auto pi = make_kernel("pi", {{"seed", "7"}});
  const JobResult one = run_job(*pi, {0, 1'000'000}, 1);
  EXPECT_EQ(one.result["samples"], 1'000'000);
  EXPECT_NEAR(one.result["pi"].get<double>(), std::numbers::pi, 0.01);
  EXPECT_DOUBLE_EQ(one.result["pi"].get<double>(),
                   4.0 * one.result["hits"].get<double>() / 1'000'000);
  for (const std::uint32_t count : {7u, 100u, 4096u}) {
    EXPECT_EQ(run_job(*pi, {0, 1'000'000}, count, count == 100).result, one.result) << count;
  }
  EXPECT_EQ(one.line.rfind("pi ~= 3.14", 0), 0u) << one.line;
  EXPECT_NE(one.line.find(" hits of 1000000 samples)"), std::string::npos) << one.line;
}

TEST(PiKernel, DependsOnTheSeedAndIsCloseToPi) {
  const auto seed1 = make_kernel("pi");  // default seed 1
  const auto seed2 = make_kernel("pi", {{"seed", "2"}});
  const std::int64_t hits1 = run_range(*seed1, {0, 1'000'000}).value;
  const std::int64_t hits2 = run_range(*seed2, {0, 1'000'000}).value;
  EXPECT_NE(hits1, hits2);
  EXPECT_NEAR(4.0 * hits1 / 1e6, std::numbers::pi, 0.01);
  EXPECT_NEAR(4.0 * hits2 / 1e6, std::numbers::pi, 0.01);
  // A sample is a function of its index: the same range elsewhere in a job counts the same.
  EXPECT_EQ(run_range(*seed1, {500, 1500}, 3).value, run_range(*seed1, {500, 1500}, 9).value);
  EXPECT_NE(run_range(*seed1, {0, 100'000}).value, run_range(*seed1, {100'000, 200'000}).value);
}

TEST(PiKernel, ReductionWithoutSamplesReportsNoEstimate) {
  const auto pi = make_kernel("pi");
  auto reduction = pi->make_reduction(Partition({0, 10}, 2));
  const nlohmann::json result = reduction->finish();
  EXPECT_EQ(result["samples"], 0);
  EXPECT_TRUE(result["pi"].is_null());
  EXPECT_EQ(reduction->describe(), "pi: no samples");
}

// --- mandelbrot ---------------------------------------------------------------------------

TEST(MandelbrotKernel, RendersKnownPixels) {
  // 35x25 pixels: pixel centres 0.1 apart, so column 24 of row 12 is c = -0.05 + 0i, deep in
  // the main cardioid, and pixel (0, 0) is c = -2.45 + 1.2i, which escapes at once.
  const auto mandelbrot =
      make_kernel("mandelbrot", {{"width", "35"}, {"height", "25"}, {"max_iter", "100"}});
  const SubtaskResult middle = run_range(*mandelbrot, {12, 13});
  ASSERT_EQ(middle.payload.size(), 35u);
  EXPECT_EQ(middle.payload[24], std::byte{0});  // inside the set: black
  const SubtaskResult top = run_range(*mandelbrot, {0, 1});
  ASSERT_EQ(top.payload.size(), 35u);
  // Escaped after one iteration: gray 255 * (1/100)^(1/4) = 80.6, not black like the set.
  EXPECT_EQ(top.payload[0], std::byte{81});
  // Row 12 holds inside points (100 iterations each); row 0 escapes everywhere quickly.
  EXPECT_GE(middle.value, 100);
  EXPECT_LT(top.value, 35 * 100);
  EXPECT_EQ(run_range(*mandelbrot, {0, 25}).payload.size(), 35u * 25u);
}

TEST(MandelbrotKernel, IdenticalImageForEveryPartitionAndAValidPng) {
  TempDir dir;
  std::string checksum;
  std::int64_t iterations = 0;
  for (const std::uint32_t count : {1u, 5u, 48u}) {
    const std::string path = dir.file("split" + std::to_string(count) + ".png");
    const auto mandelbrot = make_kernel(
        "mandelbrot", {{"width", "64"}, {"height", "48"}, {"max_iter", "200"}, {"output", path}});
    const JobResult job = run_job(*mandelbrot, {0, 48}, count, /*reversed=*/count == 5);
    EXPECT_EQ(job.result["image"], path);
    EXPECT_EQ(job.result["width"], 64);
    EXPECT_EQ(job.result["height"], 48);
    EXPECT_EQ(job.result["rows"], 48);
    const std::string this_checksum = job.result["checksum"].get<std::string>();
    EXPECT_EQ(this_checksum.size(), 16u);
    if (count == 1) {
      checksum = this_checksum;
      iterations = job.result["iterations"].get<std::int64_t>();
    }
    EXPECT_EQ(this_checksum, checksum) << count;
    EXPECT_EQ(job.result["iterations"], iterations) << count;
    EXPECT_EQ(job.line,
              "mandelbrot: 64x48 image written to " + path + " (checksum " + checksum + ")");

    std::ifstream file(path, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(file), {}};
    ASSERT_GT(bytes.size(), 8u);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "\x89PNG\r\n\x1a\n");
    const GrayImage image = read_gray_png(path);
    EXPECT_EQ(image.width, 64u);
    EXPECT_EQ(image.height, 48u);
    EXPECT_EQ(fnv1a_hex(image.pixels), checksum);  // the file holds exactly these pixels
  }
}

TEST(MandelbrotKernel, MissingRowsStayBlack) {
  TempDir dir;
  const std::string path = dir.file("partial.png");
  const auto mandelbrot = make_kernel(
      "mandelbrot", {{"width", "16"}, {"height", "10"}, {"max_iter", "50"}, {"output", path}});
  const Partition partition({0, 10}, 5);  // rows 2 at a time
  auto reduction = mandelbrot->make_reduction(partition);
  for (const SubtaskId id : {0u, 4u}) {  // rows 0-1 and 8-9 only
    const SubtaskResult result = run_range(*mandelbrot, partition.subtask(id), id);
    reduction->add(id, partition.subtask(id), result.value, result.payload);
  }
  EXPECT_EQ(reduction->finish()["rows"], 4);
  EXPECT_NE(reduction->describe().find(", 4 of 10 rows"), std::string::npos);
  const GrayImage image = read_gray_png(path);
  ASSERT_EQ(image.pixels.size(), 160u);
  for (std::size_t i = 2 * 16; i < 8 * 16; ++i) EXPECT_EQ(image.pixels[i], 0) << i;
  EXPECT_GT(image.pixels[0], 0);  // row 0 is outside the set, so not black
}

TEST(MandelbrotKernel, RowsOutsideTheImageThrow) {
  const auto mandelbrot = make_kernel("mandelbrot", {{"width", "8"}, {"height", "10"}});
  try {
    run_range(*mandelbrot, {5, 15});
    FAIL() << "no exception for rows past the height";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("rows [5, 15) lie outside the image's rows [0, 10)"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(run_range(*mandelbrot, {-1, 3}), std::runtime_error);
  EXPECT_NO_THROW(run_range(*mandelbrot, {9, 10}));
}

TEST(MandelbrotKernel, UnwritableOutputIsASystemError) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/out.png");
  const auto mandelbrot =
      make_kernel("mandelbrot", {{"width", "4"}, {"height", "4"}, {"output", path}});
  auto reduction = mandelbrot->make_reduction(Partition({0, 4}, 1));
  try {
    reduction->finish();
    FAIL() << "no SystemError";
  } catch (const SystemError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("write PNG '" + path + "': ", 0), 0u) << message;
    EXPECT_GT(message.size(), ("write PNG '" + path + "': ").size()) << "no reason given";
  }
}

// --- sleep --------------------------------------------------------------------------------

TEST(SleepKernel, FixedDistributionSleepsTheMean) {
  const auto sleep = make_kernel("sleep", {{"mean", "0.02"}});
  const auto start = std::chrono::steady_clock::now();
  const SubtaskResult result = run_range(*sleep, {0, 1}, 5);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.value, 20000);
  EXPECT_GE(elapsed, std::chrono::milliseconds(20));
  EXPECT_EQ(run_range(*make_kernel("sleep"), {0, 1}).value, 10000);  // default mean 0.01 s
  for (const SubtaskId id : {0u, 1u, 999u}) {
    EXPECT_EQ(sleep_duration_us(SleepDistribution::fixed, 0.02, 3, id), 20000);
  }
}

TEST(SleepKernel, DurationsAreDeterministicPerSeedAndId) {
  for (const auto distribution : {SleepDistribution::exponential, SleepDistribution::pareto}) {
    int differing_ids = 0;
    int differing_seeds = 0;
    for (SubtaskId id = 0; id < 100; ++id) {
      const std::int64_t draw = sleep_duration_us(distribution, 1.0, 1, id);
      EXPECT_EQ(draw, sleep_duration_us(distribution, 1.0, 1, id));
      differing_ids += draw != sleep_duration_us(distribution, 1.0, 1, id + 1) ? 1 : 0;
      differing_seeds += draw != sleep_duration_us(distribution, 1.0, 2, id) ? 1 : 0;
    }
    EXPECT_GE(differing_ids, 95);
    EXPECT_GE(differing_seeds, 95);
  }
  // The kernel reports the drawn duration, whichever attempt runs it.
  const auto sleep =
      make_kernel("sleep", {{"distribution", "exponential"}, {"mean", "0.001"}, {"seed", "4"}});
  for (const SubtaskId id : {0u, 1u, 2u}) {
    EXPECT_EQ(run_range(*sleep, {0, 1}, id).value,
              sleep_duration_us(SleepDistribution::exponential, 0.001, 4, id));
  }
}

TEST(SleepKernel, DistributionsHaveTheRequestedMean) {
  constexpr SubtaskId draws = 200'000;
  double exponential_sum = 0;
  double pareto_sum = 0;
  std::int64_t pareto_min = INT64_MAX;
  for (SubtaskId id = 0; id < draws; ++id) {
    const std::int64_t exponential = sleep_duration_us(SleepDistribution::exponential, 1.0, 1, id);
    const std::int64_t pareto = sleep_duration_us(SleepDistribution::pareto, 1.0, 1, id);
    EXPECT_GE(exponential, 0);
    exponential_sum += static_cast<double>(exponential);
    pareto_sum += static_cast<double>(pareto);
    pareto_min = std::min(pareto_min, pareto);
  }
  EXPECT_NEAR(exponential_sum / draws / 1e6, 1.0, 0.02);
  EXPECT_NEAR(pareto_sum / draws / 1e6, 1.0, 0.05);
  // Pareto's scale is mean * (shape - 1) / shape = 0.6 s: no draw below it, some close to it.
  EXPECT_GE(pareto_min, 600000);
  EXPECT_LT(pareto_min, 601000);
}

TEST(SleepKernel, ReductionSumsTheDrawnDurations) {
  const auto sleep = make_kernel("sleep", {{"distribution", "pareto"}, {"mean", "0.002"}});
  const JobResult job = run_job(*sleep, {0, 6}, 3);
  std::int64_t expected_us = 0;
  for (SubtaskId id = 0; id < 3; ++id) {
    expected_us += sleep_duration_us(SleepDistribution::pareto, 0.002, 1, id);
  }
  EXPECT_DOUBLE_EQ(job.result["slept_seconds"].get<double>(), expected_us / 1e6);
  EXPECT_NE(job.line.find("by 3 subtasks"), std::string::npos) << job.line;
}

// --- noop ---------------------------------------------------------------------------------

TEST(NoopKernel, ValueIsTheRangeSize) {
  const auto noop = make_kernel("noop");
  const SubtaskResult result = run_range(*noop, {10, 17});
  EXPECT_EQ(result.value, 7);
  EXPECT_TRUE(result.payload.empty());
  const JobResult job = run_job(*noop, {0, 1000}, 64);
  EXPECT_EQ(job.result, (nlohmann::json{{"elements", 1000}}));
  EXPECT_EQ(job.line, "noop: 1000 elements");
}

// --- stop token ---------------------------------------------------------------------------

// What `run` throws when stopped; "" when it returns.
std::string stopped_message(const Kernel& kernel, Range range, std::stop_token stop) {
  try {
    run_range(kernel, range, 0, stop);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

TEST(StopToken, ARequestedStopMakesKernelsThrow) {
  std::stop_source source;
  source.request_stop();
  EXPECT_EQ(stopped_message(*make_kernel("primes"), {0, 1'000'000}, source.get_token()), "stopped");
  EXPECT_EQ(stopped_message(*make_kernel("pi"), {0, 1'000'000}, source.get_token()), "stopped");
  EXPECT_EQ(stopped_message(*make_kernel("mandelbrot"), {0, 600}, source.get_token()), "stopped");
  EXPECT_EQ(stopped_message(*make_kernel("sleep"), {0, 1}, source.get_token()), "stopped");
  // Without a stop the same calls finish.
  EXPECT_EQ(stopped_message(*make_kernel("primes"), {0, 2000}, {}), "");
}

// Without the stop these would run for an hour and for many minutes: the unit tests' CTest
// TIMEOUT (120 s) is the bound, so no wall-clock assertion is needed here.
TEST(StopToken, AStopInterruptsALongSleepPromptly) {
  const auto sleep = make_kernel("sleep", {{"mean", "3600"}});
  std::stop_source source;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    source.request_stop();
  });
  EXPECT_EQ(stopped_message(*sleep, {0, 1}, source.get_token()), "stopped");
}

TEST(StopToken, AStopInterruptsPrimesMidRange) {
  // Numbers near 10^12 cost ~10^6 divisions each, so this range would run for many seconds.
  const auto primes = make_kernel("primes");
  std::stop_source source;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    source.request_stop();
  });
  EXPECT_EQ(stopped_message(*primes, {1'000'000'000'000, 1'000'010'000'000}, source.get_token()),
            "stopped");
}

}  // namespace
}  // namespace tasktrack
