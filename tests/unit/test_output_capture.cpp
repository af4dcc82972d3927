// Issue 12, the writing side of --output: real /bin/sh processes write through the pump into
// each mode's sink, and the tests read back what landed (packed files walked frame by frame
// by a reader of their own, per-attempt files, our own stdout). Also --output-limit, the
// rusage of a command, a background process that holds the pipe, and torn packed files.
// Durations are never asserted, only "returned before a generous deadline" and CPU/wall.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>  // mkdtemp
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "commands/command_list_kernel.hpp"
#include "commands/command_runner.hpp"
#include "commands/output_cap.hpp"
#include "output/output_sink.hpp"
#include "output/packed_format.hpp"
#include "output/packed_writer.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto hang_guard = 30s;

class OutputTempDir {
 public:
  OutputTempDir() {
    std::string pattern = (fs::temp_directory_path() / "tasktrack-output-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~OutputTempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  OutputTempDir(const OutputTempDir&) = delete;
  OutputTempDir& operator=(const OutputTempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Bytes no text tool would keep intact: every byte value, NULs included, no final newline.
std::string binary_payload(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xFF);
  if (!bytes.empty() && bytes.back() == '\n') bytes.back() = 'x';
  return bytes;
}

// ---- a test-local reader of packed files (packed_format.hpp) ----------------------------

using AttemptKey = std::tuple<std::uint32_t, std::uint32_t>;  // subtask, attempt

struct PackedContents {
  std::map<AttemptKey, std::string> stdout_bytes;
  std::map<AttemptKey, std::string> stderr_bytes;
  std::set<AttemptKey> ended;
  std::size_t frames = 0;
  std::size_t end_offset = 0;  // where the complete frames end
  std::size_t file_size = 0;
};

PackedContents read_packed(const std::string& path) {
  const std::string bytes = read_file(path);
  PackedContents contents;
  contents.file_size = bytes.size();
  if (bytes.size() < sizeof(packed::FileHeader)) return contents;
  EXPECT_EQ(bytes.compare(0, 8, std::string(packed::file_magic, 8)), 0);
  std::size_t at = sizeof(packed::FileHeader);
  while (at + sizeof(packed::FrameHeader) <= bytes.size()) {
    packed::FrameHeader header;
    std::memcpy(&header, bytes.data() + at, sizeof header);
    if (header.magic != packed::frame_magic) break;
    if (at + sizeof header + header.length > bytes.size()) break;
    const AttemptKey key{header.subtask, header.attempt};
    const std::string data = bytes.substr(at + sizeof header, header.length);
    if (header.kind == packed::FrameKind::end) {
      contents.ended.insert(key);
    } else if (header.stream == packed::Stream::stderr_stream) {
      contents.stderr_bytes[key] += data;
    } else {
      contents.stdout_bytes[key] += data;
    }
    EXPECT_LE(header.length, packed::max_frame_bytes);
    ++contents.frames;
    at += sizeof header + header.length;
  }
  contents.end_offset = at;
  return contents;
}

// ---- running an attempt through a sink --------------------------------------------------

CommandOutcome run_in_sink(OutputSink& sink, std::uint32_t subtask, std::uint32_t attempt,
                           const std::string& command, std::uint64_t limit = 0) {
  auto result = std::async(std::launch::async, [&] {
    const std::unique_ptr<AttemptOutput> output = sink.begin({subtask, attempt, subtask + 1});
    CommandSpec spec;
    spec.command = command;
    spec.output = output.get();
    spec.output_limit = limit;
    return run_command(spec, {});
  });
  if (result.wait_for(hang_guard) != std::future_status::ready) {
    ADD_FAILURE() << "run_command did not return within the hang guard";
    std::abort();
  }
  return result.get();
}

// Redirects our stdout (fd 1) to a file while it lives.
class CapturedStdout {
 public:
  explicit CapturedStdout(const std::string& path) {
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
  }
  ~CapturedStdout() {
    std::fflush(stdout);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }
  CapturedStdout(const CapturedStdout&) = delete;
  CapturedStdout& operator=(const CapturedStdout&) = delete;

 private:
  int saved_ = -1;
};

class OutputCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    payloads_ = {
        {"binary", binary_payload(70000, 1)},
        {"large", binary_payload(5 * 1000 * 1000, 2)},
        {"short", "no newline at the end"},
    };
    for (const auto& [name, bytes] : payloads_) write_file(dir_.file(name + ".bin"), bytes);
  }

  std::unique_ptr<OutputSink> sink(OutputMode mode, bool tag = false) {
    return make_output_sink(OutputSettings{mode, dir_.path(), 3, 100, tag, {}});
  }

  // The attempts every mode test runs: subtask i writes payload i to stdout or stderr.
  struct Case {
    std::string payload;
    bool to_stderr;
  };
  std::vector<Case> cases() const {
    return {{"binary", false}, {"large", false}, {"short", true}, {"large", true}};
  }
  std::string command_for(const Case& c) const {
    return "cat '" + dir_.file(c.payload + ".bin") + "'" + (c.to_stderr ? " >&2" : "");
  }

  OutputTempDir dir_;
  std::map<std::string, std::string> payloads_;
};

TEST_F(OutputCaptureTest, PackedKeepsEveryByteOfEveryAttempt) {
  const auto packed = sink(OutputMode::packed);
  const std::vector<Case> all = cases();
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(run_in_sink(*packed, i, 2, command_for(all[i])).succeeded);
  }
  const PackedContents contents = read_packed(packed::packed_file_name(dir_.path(), 3));
  EXPECT_EQ(contents.end_offset, contents.file_size);
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    const AttemptKey key{i, 2};
    const std::string& expected = payloads_.at(all[i].payload);
    const auto& written = all[i].to_stderr ? contents.stderr_bytes : contents.stdout_bytes;
    const auto& silent = all[i].to_stderr ? contents.stdout_bytes : contents.stderr_bytes;
    ASSERT_EQ(written.count(key), 1u) << i;
    EXPECT_TRUE(written.at(key) == expected) << i << ": " << written.at(key).size() << " bytes";
    EXPECT_EQ(silent.count(key), 0u) << i;
    EXPECT_EQ(contents.ended.count(key), 1u) << i;
  }
  // One file for the rank, nothing else.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_.path())) ++files;
  EXPECT_EQ(files, payloads_.size() + 1);
}

TEST_F(OutputCaptureTest, FilesModeWritesTwoPaddedFilesPerAttempt) {
  const auto files = sink(OutputMode::files);
  const std::vector<Case> all = cases();
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(run_in_sink(*files, i, 1, command_for(all[i])).succeeded);
    const std::string stem = dir_.file("subtask-00000" + std::to_string(i) + ".attempt-1");
    const std::string& expected = payloads_.at(all[i].payload);
    EXPECT_TRUE(read_file(stem + (all[i].to_stderr ? ".err" : ".out")) == expected) << i;
    EXPECT_EQ(read_file(stem + (all[i].to_stderr ? ".out" : ".err")), "") << i;
  }
  EXPECT_EQ(attempt_file_stem(42, 1, 100), "subtask-000042.attempt-1");
  EXPECT_EQ(attempt_file_stem(42, 0, 12345678), "subtask-00000042.attempt-0");
}

TEST_F(OutputCaptureTest, OnFailureKeepsOnlyTheFailedAttempts) {
  const auto on_failure = sink(OutputMode::on_failure);
  const std::vector<Case> all = cases();
  // Subtask 1 succeeds, the others fail after writing; the large ones (1 and 3) pass the
  // memory spool and go to a spool file.
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    const std::string command = command_for(all[i]) + (i != 1 ? "; exit 1" : "");
    EXPECT_EQ(run_in_sink(*on_failure, i, 0, command).succeeded, i == 1);
  }
  const PackedContents contents = read_packed(packed::packed_file_name(dir_.path(), 3));
  EXPECT_EQ(contents.end_offset, contents.file_size);
  EXPECT_EQ(contents.ended, (std::set<AttemptKey>{{0, 0}, {2, 0}, {3, 0}}));
  ASSERT_EQ(contents.stdout_bytes.count({0, 0}), 1u);
  EXPECT_TRUE(contents.stdout_bytes.at({0, 0}) == payloads_.at("binary"));
  ASSERT_EQ(contents.stderr_bytes.count({2, 0}), 1u);
  EXPECT_EQ(contents.stderr_bytes.at({2, 0}), payloads_.at("short"));
  ASSERT_EQ(contents.stderr_bytes.count({3, 0}), 1u);
  EXPECT_TRUE(contents.stderr_bytes.at({3, 0}) == payloads_.at("large"));
  EXPECT_EQ(contents.stdout_bytes.count({1, 0}) + contents.stderr_bytes.count({1, 0}), 0u);
  // The spool files are gone with their attempts.
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tasktrack-spool"), std::string::npos);
  }
}

TEST_F(OutputCaptureTest, OnFailureWithOnlySuccessesCreatesNoFile) {
  const auto on_failure = sink(OutputMode::on_failure);
  EXPECT_TRUE(run_in_sink(*on_failure, 0, 0, "echo fine").succeeded);
  EXPECT_FALSE(fs::exists(packed::packed_file_name(dir_.path(), 3)));
}

TEST_F(OutputCaptureTest, NoneCreatesNoFilesAndStillQuotesStderr) {
  OutputTempDir empty;
  const std::string output_dir = empty.file("never");
  TaskListJob list;
  list.task_file = "tasks.txt";
  list.output_dir = output_dir;
  list.output = OutputMode::none;
  list.tasks = {TaskLine{1, "echo out; echo the reason >&2; exit 5", {}},
                TaskLine{2, "echo quiet", {}}};
  const CommandListKernel kernel(list, KernelRegistry{}, 0, "job");
  SubtaskContext context;
  context.id = 0;
  try {
    kernel.run(context);
    FAIL() << "expected SubtaskFailure";
  } catch (const SubtaskFailure& failure) {
    EXPECT_NE(std::string(failure.what()).find("exit code 5; stderr: the reason"),
              std::string::npos)
        << failure.what();
  }
  context.id = 1;
  kernel.run(context);
  EXPECT_FALSE(fs::exists(output_dir));
  EXPECT_TRUE(fs::is_empty(empty.path()));
}

TEST_F(OutputCaptureTest, StdoutModePrintsEachAttemptAsOneBlock) {
  const auto terminal = sink(OutputMode::terminal);
  const std::string captured = dir_.file("stdout.txt");
  constexpr int lines = 3000;
  constexpr int per_thread = 3;
  {
    const CapturedStdout redirect(captured);
    std::vector<std::thread> threads;
    for (const char name : {'A', 'B'}) {
      threads.emplace_back([&, name] {
        for (int k = 0; k < per_thread; ++k) {
          // stdout and stderr both, many small writes while the other thread writes too.
          const std::string command = "i=0; while [ $i -lt " + std::to_string(lines) +
                                      " ]; do echo " + name + std::to_string(k) +
                                      "-$i; [ $((i % 7)) = 0 ] && echo " + name +
                                      std::to_string(k) + "-err$i >&2; i=$((i+1)); done";
          const std::unique_ptr<AttemptOutput> output = terminal->begin({0, 0, 1});
          CommandSpec spec;
          spec.command = command;
          spec.output = output.get();
          EXPECT_TRUE(run_command(spec, {}).succeeded);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  // Every line names its block ("A0", "B2"): each block's lines must be contiguous.
  std::istringstream text(read_file(captured));
  std::vector<std::string> blocks;
  std::map<std::string, int> counts;
  for (std::string line; std::getline(text, line);) {
    const std::string block = line.substr(0, line.find('-'));
    if (blocks.empty() || blocks.back() != block) blocks.push_back(block);
    ++counts[block];
  }
  EXPECT_EQ(blocks.size(), 2u * per_thread) << "blocks interleaved";
  EXPECT_EQ(std::set<std::string>(blocks.begin(), blocks.end()).size(), blocks.size());
  for (const auto& [block, count] : counts) {
    EXPECT_EQ(count, lines + (lines + 6) / 7) << block;
  }
}

TEST_F(OutputCaptureTest, StdoutModeTagsEveryLineWithTheTaskLine) {
  const auto terminal = sink(OutputMode::terminal, true);
  const std::string captured = dir_.file("stdout.txt");
  {
    const CapturedStdout redirect(captured);
    // subtask 4 is line 5 (run_in_sink numbers lines subtask + 1)
    // One stream: the order between stdout and stderr is the order the pipes were read.
    EXPECT_TRUE(run_in_sink(*terminal, 4, 0, "echo one; echo; printf three").succeeded);
  }
  EXPECT_EQ(read_file(captured), "5\tone\n5\t\n5\tthree\n");
}

// An MPI worker's sink hands each block to its writer (which relays it to rank 0) and
// prints nothing itself.
TEST_F(OutputCaptureTest, StdoutModeWithAWriterHandsItEachBlockAndPrintsNothing) {
  std::vector<std::string> blocks;
  std::mutex mutex;
  const auto terminal = make_output_sink(
      OutputSettings{OutputMode::terminal, dir_.path(), 3, 100, true, [&](std::string block) {
                       const std::lock_guard lock(mutex);
                       blocks.push_back(std::move(block));
                     }});
  const std::string captured = dir_.file("stdout.txt");
  {
    const CapturedStdout redirect(captured);
    EXPECT_TRUE(run_in_sink(*terminal, 4, 0, "echo one; printf two").succeeded);
    EXPECT_TRUE(run_in_sink(*terminal, 6, 0, "true").succeeded);  // no output: no block
    EXPECT_TRUE(run_in_sink(*terminal, 1, 0, "echo x").succeeded);
  }
  EXPECT_EQ(read_file(captured), "");
  EXPECT_EQ(blocks, (std::vector<std::string>{"5\tone\n5\ttwo\n", "2\tx\n"}));
}

TEST_F(OutputCaptureTest, OutputLimitKeepsHeadAndTailAndCountsWhatWasDropped) {
  const std::string big = binary_payload(50u << 20, 7);
  write_file(dir_.file("big.bin"), big);
  const auto files = sink(OutputMode::files);
  const std::uint64_t limit = 1u << 20;
  const CommandOutcome outcome =
      run_in_sink(*files, 0, 0, "cat '" + dir_.file("big.bin") + "'", limit);
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_TRUE(outcome.output_capped);
  const std::string kept = read_file(dir_.file("subtask-000000.attempt-0.out"));
  const std::size_t half = 512u << 10;
  const std::string marker = "\n[tasktrack: " + std::to_string(big.size() - limit) +
                             " bytes dropped here by --output-limit 1 MiB]\n";
  EXPECT_EQ(marker, process::StreamCap::marker(big.size() - limit, limit));
  ASSERT_EQ(kept.size(), limit + marker.size());
  EXPECT_TRUE(kept.compare(0, half, big, 0, half) == 0) << "head differs";
  EXPECT_EQ(kept.substr(half, marker.size()), marker);
  EXPECT_TRUE(kept.compare(half + marker.size(), half, big, big.size() - half, half) == 0)
      << "tail differs";
  // stderr stayed under the limit: not capped, nothing written.
  EXPECT_EQ(read_file(dir_.file("subtask-000000.attempt-0.err")), "");

  // Under the limit nothing changes, including the bytes held for a possible tail.
  const CommandOutcome small =
      run_in_sink(*files, 1, 0, "cat '" + dir_.file("binary.bin") + "'", 100000);
  EXPECT_FALSE(small.output_capped);
  EXPECT_TRUE(read_file(dir_.file("subtask-000001.attempt-0.out")) == payloads_.at("binary"));
}

TEST(StreamCap, KeepsExactlyHeadAndTailWhateverTheChunks) {
  std::mt19937 random(3);
  for (const std::uint64_t limit : {1ull, 2ull, 10ull, 1000ull, 3ull << 20}) {
    for (const std::size_t total : {std::size_t{0}, std::size_t{5}, std::size_t{999},
                                    std::size_t{1001}, std::size_t{5} << 20}) {
      const std::string input = binary_payload(total, static_cast<unsigned>(total + limit));
      process::StreamCap cap(limit);
      std::string kept;
      const auto emit = [&kept](std::string_view bytes) { kept.append(bytes); };
      std::size_t at = 0;
      while (at < input.size()) {
        const std::size_t size = std::min<std::size_t>(input.size() - at, 1 + random() % 70000);
        cap.add(std::string_view(input).substr(at, size), emit);
        at += size;
      }
      cap.finish(emit);
      if (total <= limit) {
        EXPECT_TRUE(kept == input) << limit << " " << total;
        EXPECT_EQ(cap.dropped(), 0u);
        continue;
      }
      const std::size_t tail = std::min<std::uint64_t>(1u << 20, limit / 2);
      const std::size_t head = limit - tail;
      const std::string expected = input.substr(0, head) +
                                   process::StreamCap::marker(total - limit, limit) +
                                   input.substr(total - tail);
      EXPECT_TRUE(kept == expected) << limit << " " << total;
      EXPECT_EQ(cap.dropped(), total - limit);
    }
  }
}

TEST_F(OutputCaptureTest, TornPackedTailIsCutAndTheNextRunAppendsCleanly) {
  const std::string path = packed::packed_file_name(dir_.path(), 0);
  {
    PackedOutputWriter writer(path);
    writer.write_data(1, 0, packed::Stream::stdout_stream, "first run");
    writer.write_end(1, 0);
  }
  const std::size_t complete = fs::file_size(path);
  for (const std::string& torn :
       {std::string("TTP"),  // a frame header cut short
        PackedOutputWriter::frame_bytes(
            packed::FrameHeader{packed::frame_magic, 2, 0, packed::Stream::stdout_stream,
                                packed::FrameKind::data, 0, 1000},
            "only part of the 1000 bytes"),
        std::string(40, '\0')}) {  // zeroes a crash can leave on some file systems
    std::ofstream(path, std::ios::binary | std::ios::app) << torn;
    ASSERT_GT(fs::file_size(path), complete);
    {
      PackedOutputWriter writer(path);
      EXPECT_EQ(fs::file_size(path), complete) << "the torn tail was not cut";
    }
  }
  {
    PackedOutputWriter writer(path);
    writer.write_data(2, 1, packed::Stream::stderr_stream, "second run");
    writer.write_end(2, 1);
  }
  const PackedContents contents = read_packed(path);
  EXPECT_EQ(contents.end_offset, contents.file_size);
  EXPECT_EQ(contents.frames, 4u);
  EXPECT_EQ(contents.stdout_bytes.at({1, 0}), "first run");
  EXPECT_EQ(contents.stderr_bytes.at({2, 1}), "second run");
  EXPECT_EQ(contents.ended, (std::set<AttemptKey>{{1, 0}, {2, 1}}));
}

TEST_F(OutputCaptureTest, AFileThatIsNotPackedOutputIsLeftAlone) {
  const std::string path = packed::packed_file_name(dir_.path(), 0);
  write_file(path, "someone else's data, much longer than a header\n");
  EXPECT_THROW(PackedOutputWriter{path}, SystemError);
  EXPECT_EQ(read_file(path), "someone else's data, much longer than a header\n");
}

TEST_F(OutputCaptureTest, ABackgroundProcessHoldingThePipeDoesNotHoldTheAttempt) {
  const auto files = sink(OutputMode::files);
  const auto started = std::chrono::steady_clock::now();
  const CommandOutcome outcome =
      run_in_sink(*files, 0, 0, "sleep 60 & echo $! > '" + dir_.file("pid") + "'; echo done");
  const auto took = std::chrono::steady_clock::now() - started;
  const std::string pid = read_file(dir_.file("pid"));
  if (!pid.empty()) ::kill(std::stoi(pid), SIGKILL);
  EXPECT_TRUE(outcome.succeeded);
  EXPECT_LT(took, 50s) << "waited for the background sleep";
  EXPECT_EQ(read_file(dir_.file("subtask-000000.attempt-0.out")), "done\n");
}

TEST_F(OutputCaptureTest, PeakMemoryOfACommandIsMeasured) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is not installed";
  }
  const auto none = sink(OutputMode::none);
  // bytearray zero-fills, so every page is touched.
  const CommandOutcome outcome =
      run_in_sink(*none, 0, 0, "python3 -c 'b = bytearray(200 * 1024 * 1024)'");
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_TRUE(outcome.measured);
  EXPECT_GE(outcome.usage.max_rss_bytes, 200ull << 20);
}

// The command burns until its own clock says 0.4 CPU seconds, so what rusage reports is known
// whatever the load on the machine (a CPU/wall ratio would depend on the scheduler).
TEST_F(OutputCaptureTest, CpuTimeOfABusyCommandIsWhatItBurned) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is not installed";
  }
  const auto none = sink(OutputMode::none);
  const auto started = std::chrono::steady_clock::now();
  const CommandOutcome outcome =
      run_in_sink(*none, 0, 0, "python3 -c 'import time\nwhile time.process_time() < 0.4: pass'");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(outcome.succeeded) << outcome.detail;
  EXPECT_TRUE(outcome.measured);
  const double cpu = outcome.usage.user_cpu_seconds + outcome.usage.system_cpu_seconds;
  EXPECT_GT(outcome.usage.user_cpu_seconds, 0.0);
  EXPECT_GE(cpu, 0.4) << "cpu " << cpu << " s, wall " << wall << " s";
  // One thread cannot burn more than its run time (up to the accounting's granularity).
  EXPECT_LE(cpu, wall + 0.1) << "cpu " << cpu << " s, wall " << wall << " s";
}

TEST_F(OutputCaptureTest, KernelReportGetsUsageAndCapping) {
  TaskListJob list;
  list.task_file = "tasks.txt";
  list.output_dir = dir_.file("out");
  list.output_limit = 1000;
  list.tasks = {TaskLine{1, "head -c 5000 /dev/zero", {}}};
  const CommandListKernel kernel(list, KernelRegistry{}, 0, "job");
  AttemptReport report;
  SubtaskContext context;
  context.report = &report;
  kernel.run(context);
  EXPECT_TRUE(report.measured);
  EXPECT_GT(report.usage.max_rss_bytes, 0u);
  EXPECT_TRUE(report.output_capped);
  EXPECT_TRUE(fs::exists(packed::packed_file_name(dir_.file("out"), 0)));
}

}  // namespace
}  // namespace tasktrack
