// Reading captured output back: packed files written frame by frame here (an independent
// writer of packed_format.hpp), files-mode names, torn tails, and `tasktrack output`'s choice
// of attempt and --all layout. Every check compares exact bytes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/packed_test_writer.hpp"
#include "journal/journal.hpp"
#include "output/output_command.hpp"
#include "output/output_folder.hpp"
#include "output/packed_reader.hpp"
#include "output/packed_writer.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;
using packed::Stream;
using testing::PackedTestWriter;

std::string binary_bytes() {
  return std::string("a\0b\0\xff\xfe\r\n\0tail", 14);
}

std::string big_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class PackedReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack-packed-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string rank_file(int rank) const { return packed::packed_file_name(dir_, rank); }

  std::string stream_of(const OutputFolder& folder, std::uint64_t subtask, std::uint32_t attempt,
                        OutputStream stream) const {
    for (const AttemptOutput* found : folder.attempts_of(subtask)) {
      if (found->attempt != attempt) continue;
      std::ostringstream out;
      EXPECT_EQ(copy_stream(found->pieces(stream), out), found->bytes(stream));
      return out.str();
    }
    ADD_FAILURE() << "no attempt " << attempt << " of subtask " << subtask;
    return {};
  }

  std::string output(const OutputQuery& query) const {
    std::ostringstream out;
    EXPECT_EQ(run_output_command(query, out), 0);
    return out.str();
  }

  std::string usage_error(const OutputQuery& query) const {
    std::ostringstream out;
    try {
      run_output_command(query, out);
    } catch (const UsageError& error) {
      EXPECT_EQ(out.str(), "");
      return error.what();
    }
    ADD_FAILURE() << "no UsageError";
    return {};
  }

  std::uint64_t valid_end_of(const std::string& path) const {
    const int fd = ::open(path.c_str(), O_RDONLY);
    EXPECT_GE(fd, 0);
    const std::uint64_t end = packed::valid_end(fd);
    ::close(fd);
    return end;
  }

  std::string dir_;
};

TEST_F(PackedReaderTest, WalksFramesInFileOrderWithOffsetsAndBytesOnDemand) {
  {
    PackedTestWriter writer(rank_file(1));
    writer.data(3, 0, Stream::stdout_stream, "hello\n");
    writer.data(4, 1, Stream::stderr_stream, binary_bytes());
    writer.end(3, 0);
  }
  packed::PackedReader reader(rank_file(1));
  const std::uint64_t header = sizeof(packed::FileHeader);
  const std::uint64_t frame = sizeof(packed::FrameHeader);

  const auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->subtask, 3u);
  EXPECT_EQ(first->attempt, 0u);
  EXPECT_EQ(first->stream, Stream::stdout_stream);
  EXPECT_EQ(first->kind, packed::FrameKind::data);
  EXPECT_EQ(first->payload_offset, header + frame);
  EXPECT_EQ(first->length, 6u);
  const auto first_bytes = reader.payload(*first);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(first_bytes.data()), first_bytes.size()),
            "hello\n");

  const auto second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->subtask, 4u);
  EXPECT_EQ(second->attempt, 1u);
  EXPECT_EQ(second->stream, Stream::stderr_stream);
  EXPECT_EQ(second->payload_offset, header + 2 * frame + 6);
  const auto second_bytes = reader.payload(*second);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(second_bytes.data()), second_bytes.size()),
            binary_bytes());

  const auto end = reader.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, packed::FrameKind::end);
  EXPECT_EQ(end->length, 0u);
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.torn());
  EXPECT_EQ(reader.valid_end(), fs::file_size(rank_file(1)));
  EXPECT_EQ(valid_end_of(rank_file(1)), fs::file_size(rank_file(1)));
}

TEST_F(PackedReaderTest, TornTailsEndTheWalkWithoutError) {
  const std::string path = rank_file(0);
  std::uint64_t whole = 0;
  {
    PackedTestWriter writer(path);
    writer.data(0, 0, Stream::stdout_stream, "kept\n");
    writer.end(0, 0);
  }
  whole = fs::file_size(path);
  const std::string good = file_bytes(path);

  // A frame of `length` bytes of which only some arrived, cut at each byte of its header and
  // of its payload.
  std::string torn_frame;
  {
    PackedTestWriter writer(path);
    writer.data(1, 0, Stream::stdout_stream, "lost bytes");
  }
  torn_frame = file_bytes(path).substr(sizeof(packed::FileHeader));
  for (std::size_t cut = 1; cut < torn_frame.size(); ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes of the frame");
    write_file(path, good + torn_frame.substr(0, cut));
    packed::PackedReader reader(path);
    int frames = 0;
    while (reader.next()) ++frames;
    EXPECT_EQ(frames, 2);
    EXPECT_TRUE(reader.torn());
    EXPECT_EQ(reader.valid_end(), whole);
    EXPECT_EQ(valid_end_of(path), whole);
    const OutputFolder folder = read_output_folder(dir_);
    ASSERT_EQ(folder.attempts.size(), 1u);
    EXPECT_EQ(stream_of(folder, 0, 0, OutputStream::stdout_stream), "kept\n");
    EXPECT_EQ(folder.warnings.size(), 1u);
  }

  // A zeroed tail (the file grew before its data reached the disk), and garbage.
  write_file(path, good + std::string(4096, '\0'));
  EXPECT_EQ(valid_end_of(path), whole);
  EXPECT_EQ(stream_of(read_output_folder(dir_), 0, 0, OutputStream::stdout_stream), "kept\n");
  write_file(path, good + std::string(40, 'x'));
  EXPECT_EQ(valid_end_of(path), whole);

  // A length past the end of the file: the header is sound, its payload never came.
  write_file(path, good + torn_frame.substr(0, sizeof(packed::FrameHeader)));
  EXPECT_EQ(valid_end_of(path), whole);
}

TEST_F(PackedReaderTest, HeaderOnlyPrefixesReadAsEmptyAndForeignFilesAreRefused) {
  const std::string path = rank_file(0);
  write_file(path, "");
  EXPECT_EQ(valid_end_of(path), 0u);
  write_file(path, std::string(packed::file_magic, 5));  // torn while the header was written
  EXPECT_EQ(valid_end_of(path), 0u);
  {
    packed::PackedReader reader(path);
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.torn());
  }
  { PackedTestWriter writer(path); }
  EXPECT_EQ(valid_end_of(path), sizeof(packed::FileHeader));
  EXPECT_TRUE(read_output_folder(dir_).attempts.empty());

  write_file(path, "not a packed file, but somebody's data\n");
  EXPECT_THROW(packed::PackedReader{path}, UsageError);
  const int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_THROW(packed::valid_end(fd), UsageError);
  ::close(fd);
}

TEST_F(PackedReaderTest, MixedAttemptsAcrossTwoRankFilesComeBackExactly) {
  const std::string five_mb = big_bytes(5 * 1000 * 1000, 1);
  const std::string five_mb_err = big_bytes(5 * 1000 * 1000 + 7, 2);
  {
    // Ranks 1 and 2 run attempts of several subtasks at once: their frames interleave.
    PackedTestWriter rank1(rank_file(1));
    PackedTestWriter rank2(rank_file(2));
    rank1.data(0, 0, Stream::stdout_stream, "no trailing newline");
    rank1.data(2, 0, Stream::stdout_stream, five_mb.substr(0, 123));
    rank1.data(1, 0, Stream::stderr_stream, "only stderr\n");
    rank1.data(0, 0, Stream::stderr_stream, "err of 0\n");
    rank1.data(2, 0, Stream::stdout_stream, five_mb.substr(123));  // 1 MiB frames
    rank1.end(1, 0);
    rank1.data(0, 0, Stream::stdout_stream, binary_bytes());
    rank1.end(0, 0);
    rank2.data(5, 0, Stream::stdout_stream, "five, try 0\n");
    rank1.data(2, 0, Stream::stderr_stream, five_mb_err);
    rank2.end(5, 0);
    rank1.end(2, 0);
    rank1.data(5, 1, Stream::stdout_stream, "five, try 1\n");  // the retry ran on rank 1
    rank1.end(5, 1);
    rank2.end(7, 0);  // ran, wrote nothing
  }
  const OutputFolder folder = read_output_folder(dir_);
  EXPECT_TRUE(folder.warnings.empty());
  std::vector<std::pair<std::uint64_t, std::uint32_t>> listed;
  for (const AttemptOutput& attempt : folder.attempts) {
    listed.emplace_back(attempt.subtask, attempt.attempt);
    EXPECT_TRUE(attempt.ended);
  }
  const std::vector<std::pair<std::uint64_t, std::uint32_t>> expected{{0, 0}, {1, 0}, {2, 0},
                                                                      {5, 0}, {5, 1}, {7, 0}};
  EXPECT_EQ(listed, expected);

  EXPECT_EQ(stream_of(folder, 0, 0, OutputStream::stdout_stream),
            "no trailing newline" + binary_bytes());
  EXPECT_EQ(stream_of(folder, 0, 0, OutputStream::stderr_stream), "err of 0\n");
  EXPECT_EQ(stream_of(folder, 1, 0, OutputStream::stdout_stream), "");
  EXPECT_EQ(stream_of(folder, 1, 0, OutputStream::stderr_stream), "only stderr\n");
  EXPECT_TRUE(stream_of(folder, 2, 0, OutputStream::stdout_stream) == five_mb);
  EXPECT_TRUE(stream_of(folder, 2, 0, OutputStream::stderr_stream) == five_mb_err);
  EXPECT_EQ(stream_of(folder, 5, 0, OutputStream::stdout_stream), "five, try 0\n");
  EXPECT_EQ(stream_of(folder, 5, 1, OutputStream::stdout_stream), "five, try 1\n");
  EXPECT_EQ(stream_of(folder, 7, 0, OutputStream::stdout_stream), "");

  // The command: the latest attempt by default, any by --attempt, stderr by --stderr.
  EXPECT_EQ(output({dir_, 5, {}, false, false}), "five, try 1\n");
  EXPECT_EQ(output({dir_, 5, 0, false, false}), "five, try 0\n");
  EXPECT_EQ(output({dir_, 1, {}, true, false}), "only stderr\n");
  EXPECT_TRUE(output({dir_, 2, {}, true, false}) == five_mb_err);
  EXPECT_EQ(output({dir_, 7, {}, false, false}), "");
  EXPECT_EQ(output({dir_, 0, {}, false, false}), "no trailing newline" + binary_bytes());
}

TEST_F(PackedReaderTest, AllPrintsEveryAttemptBySubtaskThenAttemptUnderHeaderLines) {
  {
    PackedTestWriter rank1(rank_file(1));
    PackedTestWriter rank2(rank_file(2));
    rank2.data(10, 0, Stream::stdout_stream, "ten\n");
    rank1.data(2, 1, Stream::stdout_stream, "two, try 1");  // no newline at the end
    rank1.data(2, 0, Stream::stdout_stream, "two, try 0\n");
    rank1.data(2, 0, Stream::stderr_stream, "two's err\n");
    rank2.end(10, 0);
    rank1.end(2, 1);
    rank1.end(2, 0);
    rank2.end(3, 0);
  }
  EXPECT_EQ(output({dir_, {}, {}, false, true}),
            "==> subtask 2 attempt 0 stdout <==\ntwo, try 0\n"
            "==> subtask 2 attempt 1 stdout <==\ntwo, try 1\n"
            "==> subtask 3 attempt 0 stdout <==\n"
            "==> subtask 10 attempt 0 stdout <==\nten\n");
  EXPECT_EQ(output({dir_, {}, {}, true, true}),
            "==> subtask 2 attempt 0 stderr <==\ntwo's err\n"
            "==> subtask 2 attempt 1 stderr <==\n"
            "==> subtask 3 attempt 0 stderr <==\n"
            "==> subtask 10 attempt 0 stderr <==\n");
  EXPECT_EQ(output({dir_, 2, {}, false, true}),
            "==> subtask 2 attempt 0 stdout <==\ntwo, try 0\n"
            "==> subtask 2 attempt 1 stdout <==\ntwo, try 1");
  EXPECT_EQ(output_header_line(3, 1, false), "==> subtask 3 attempt 1 stdout <==\n");
}

TEST_F(PackedReaderTest, MissingSubtasksAndAttemptsAreOneLineErrors) {
  {
    PackedTestWriter writer(rank_file(1));
    writer.end(7, 0);
    writer.end(7, 1);
  }
  EXPECT_EQ(usage_error({dir_, 8, {}, false, false}),
            "no output recorded for subtask 8 in '" + dir_ + "'");
  EXPECT_EQ(usage_error({dir_, 7, 2, false, false}),
            "attempt 2 of subtask 7 not found in '" + dir_ + "'; its attempts: 0, 1");
  EXPECT_EQ(usage_error({dir_ + "/nope", 7, {}, false, false}),
            "no such output folder or journal: '" + dir_ + "/nope'");
  write_file(dir_ + "/not-a-journal", "hello\n");
  EXPECT_NE(usage_error({dir_ + "/not-a-journal", 7, {}, false, false}), "");
}

TEST_F(PackedReaderTest, FilesModeNamesPaddedOrNotAndAlongsidePackedFiles) {
  write_file(dir_ + "/subtask-3.attempt-0.out", "old three\n");  // an old run: unpadded
  write_file(dir_ + "/subtask-3.attempt-0.err", "old err\n");
  write_file(dir_ + "/subtask-000003.attempt-1.out", binary_bytes());
  write_file(dir_ + "/subtask-000003.attempt-1.err", "");
  write_file(dir_ + "/subtask-000012.attempt-0.err", "stderr only\n");
  write_file(dir_ + "/subtask-000004.attempt-0.out", "");
  write_file(dir_ + "/notes.txt", "not output\n");
  write_file(dir_ + "/subtask-x.attempt-0.out", "not output either\n");
  {
    PackedTestWriter writer(rank_file(1));  // a resumed run switched to packed
    writer.data(3, 2, Stream::stdout_stream, "packed three\n");
    writer.end(3, 2);
  }
  const OutputFolder folder = read_output_folder(dir_);
  ASSERT_EQ(folder.attempts.size(), 5u);
  EXPECT_EQ(stream_of(folder, 3, 0, OutputStream::stdout_stream), "old three\n");
  EXPECT_EQ(stream_of(folder, 3, 0, OutputStream::stderr_stream), "old err\n");
  EXPECT_EQ(stream_of(folder, 3, 1, OutputStream::stdout_stream), binary_bytes());
  EXPECT_EQ(stream_of(folder, 3, 2, OutputStream::stdout_stream), "packed three\n");
  EXPECT_EQ(stream_of(folder, 12, 0, OutputStream::stderr_stream), "stderr only\n");
  EXPECT_EQ(output({dir_, 3, {}, false, false}), "packed three\n");
  EXPECT_EQ(output({dir_, 3, 1, false, false}), binary_bytes());
  EXPECT_EQ(output({dir_, 4, {}, false, false}), "");
  EXPECT_EQ(output({dir_, 12, {}, true, false}), "stderr only\n");

  // The same attempt under both names (an old run, then a new one that reused its number):
  // the padded, newer name wins.
  write_file(dir_ + "/subtask-000003.attempt-0.out", "new three\n");
  EXPECT_EQ(output({dir_, 3, 0, false, false}), "new three\n");
}

TEST_F(PackedReaderTest, AnAttemptNumberRunAgainInOneFileKeepsTheLaterRun) {
  {
    PackedTestWriter writer(rank_file(1));
    writer.data(0, 0, Stream::stdout_stream, "first run\n");
    writer.end(0, 0);
    writer.data(0, 0, Stream::stdout_stream, "second run\n");
    writer.end(0, 0);
  }
  EXPECT_EQ(output({dir_, 0, {}, false, false}), "second run\n");
}

// A run cut off while an attempt ran (data, no end frame), then resumed with the same attempt
// number: the resumed run's writer ends the dead attempt first, so the attempt reads back as
// the resumed run wrote it, not as both runs' bytes run together.
TEST_F(PackedReaderTest, AnAttemptCutOffAndRunAgainByAResumedRunReadsAsTheNewRun) {
  {
    PackedOutputWriter first(rank_file(1));
    first.write_data(4, 0, Stream::stdout_stream, "cut off ");
    first.write_data(4, 0, Stream::stderr_stream, "cut err ");
    first.write_data(5, 0, Stream::stdout_stream, "five done\n");
    first.write_end(5, 0);
  }
  {
    PackedOutputWriter resumed(rank_file(1));
    resumed.write_data(4, 0, Stream::stdout_stream, "run again\n");
    resumed.write_end(4, 0);
  }
  EXPECT_EQ(output({dir_, 4, {}, false, false}), "run again\n");
  EXPECT_EQ(output({dir_, 4, {}, true, false}), "");
  EXPECT_EQ(output({dir_, 5, {}, false, false}), "five done\n");
  // A file whose attempts all ended gains nothing when a writer opens it again.
  const auto size = fs::file_size(rank_file(1));
  { const PackedOutputWriter again(rank_file(1)); }
  EXPECT_EQ(fs::file_size(rank_file(1)), size);
}

class OutputFromJournalTest : public PackedReaderTest {
 protected:
  std::string journal() const { return dir_ + "/job.journal"; }
};

TEST_F(OutputFromJournalTest, TheLastSessionWithOutputNamesTheFolder) {
  const std::string old_dir = dir_ + "/old-output";
  const std::string new_dir = dir_ + "/new-output";
  fs::create_directories(old_dir);
  fs::create_directories(new_dir);
  {
    PackedTestWriter(packed::packed_file_name(old_dir, 1)).data(0, 0, Stream::stdout_stream, "old");
  }
  {
    PackedTestWriter writer(packed::packed_file_name(new_dir, 1));
    writer.data(0, 1, Stream::stdout_stream, "new");
    writer.end(0, 1);
  }
  {
    JournalWriter writer(journal(), R"({"task_file":"/nowhere/tasks.txt"})");
    writer.append_session({{"ranks", 2}, {"output", {{"mode", "packed"}, {"dir", old_dir}}}});
    writer.append_session({{"ranks", 2}, {"output", {{"mode", "packed"}, {"dir", new_dir}}}});
    writer.append_session({{"ranks", 2}});  // a session record without "output"
  }
  const OutputLocation location = locate_output(journal());
  EXPECT_EQ(location.dir, new_dir);
  EXPECT_EQ(location.mode, "packed");
  EXPECT_EQ(output({journal(), 0, {}, false, false}), "new");
}

TEST_F(OutputFromJournalTest, OnFailureAndNoneAreNamedInTheErrors) {
  const std::string output_dir = dir_ + "/out";
  fs::create_directories(output_dir);
  {
    JournalWriter writer(journal(), R"({"task_file":"/nowhere/tasks.txt"})");
    writer.append_session({{"output", {{"mode", "on-failure"}, {"dir", output_dir}}}});
  }
  EXPECT_EQ(usage_error({journal(), 4, {}, false, false}),
            "no output recorded for subtask 4 in '" + output_dir +
                "' (--output on-failure keeps only failed attempts' output)");
  fs::remove(journal());
  {
    JournalWriter writer(journal(), R"({"task_file":"/nowhere/tasks.txt"})");
    writer.append_session({{"output", {{"mode", "none"}, {"dir", dir_ + "/never-made"}}}});
  }
  EXPECT_EQ(usage_error({journal(), 4, {}, false, false}),
            "journal '" + journal() + "': its last run kept no output files (--output none)");
}

TEST_F(OutputFromJournalTest, OldJournalsFallBackToTheTaskFilesFolder) {
  const std::string task_file = dir_ + "/tasks.txt";
  {
    JournalWriter writer(journal(), nlohmann::json{{"task_file", task_file}}.dump());
    writer.append_session({{"ranks", 1}});
  }
  EXPECT_NE(usage_error({journal(), 0, {}, false, false}).find("records no output folder"),
            std::string::npos);
  fs::create_directories(task_file + ".output");
  write_file(task_file + ".output/subtask-0.attempt-0.out", "from the old default\n");
  EXPECT_EQ(locate_output(journal()).dir, task_file + ".output");
  EXPECT_EQ(output({journal(), 0, {}, false, false}), "from the old default\n");

  fs::remove(journal());
  { JournalWriter writer(journal(), R"({"kernel":"primes"})"); }
  EXPECT_NE(usage_error({journal(), 0, {}, false, false}).find("not a task list's"),
            std::string::npos);
}

}  // namespace
}  // namespace tasktrack
