// The journal: format round trips, torn and corrupt tails, group commit, fingerprints,
// moving aside, and `tasktrack status`.
#include "journal/journal.hpp"
#include "journal/journal_status.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "commands/task_list.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> bytes_of(const std::string& text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

std::vector<char> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

JournalAttempt done_attempt(SubtaskId subtask, std::int32_t rank, std::vector<std::byte> payload) {
  JournalAttempt attempt;
  attempt.subtask = subtask;
  attempt.state = SubtaskState::done;
  attempt.reason = FailureReason::none;
  attempt.thread = static_cast<std::uint16_t>(subtask % 7);
  attempt.attempt = subtask % 3;
  attempt.rank = rank;
  attempt.start_unix = 1700000000.25 + subtask;
  attempt.end_unix = 1700000000.75 + subtask;
  attempt.value = -1234567890123ll + subtask;
  attempt.payload = std::move(payload);
  return attempt;
}

JournalAttempt failed_attempt(SubtaskId subtask, std::int32_t rank, std::uint32_t attempt_number,
                              FailureReason reason, const std::string& detail) {
  JournalAttempt attempt = done_attempt(subtask, rank, bytes_of(detail));
  attempt.state = SubtaskState::failed;
  attempt.reason = reason;
  attempt.attempt = attempt_number;
  attempt.value = 0;
  return attempt;
}

JobSpec small_job() {
  JobSpec job;
  job.work = RangeJob{"primes", Range{0, 1000}, {{"alpha", "1"}, {"beta", "two"}}};
  job.subtasks = 10;
  return job;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack-journal-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = (directory_ / "job.journal").string();
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path directory_;
  std::string path_;
  const std::string fingerprint_ = job_fingerprint(small_job());
};

TEST_F(JournalTest, RoundTripsSessionsAndAttemptsWithBinaryAndEmptyPayloads) {
  std::vector<std::byte> binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<std::byte>(i));
  const std::vector<JournalAttempt> attempts = {
      done_attempt(0, 1, binary),
      done_attempt(1, 2, {}),
      failed_attempt(2, 3, 2, FailureReason::exit_code, "exit code 3\nstderr tail"),
      done_attempt(4294967295u, -1, bytes_of(std::string("\0\0zero\0", 7))),
  };
  const nlohmann::json session = {{"started", 1700000000.5},
                                  {"workers", {{{"rank", 1}, {"host", "node-a"}}}}};
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append_session(session);
    for (const auto& attempt : attempts) writer.append(attempt);
  }  // the destructor flushes

  const JournalContents contents = read_journal(path_);
  EXPECT_EQ(contents.fingerprint, fingerprint_);
  ASSERT_EQ(contents.sessions.size(), 1u);
  EXPECT_EQ(contents.sessions[0], session);
  EXPECT_EQ(contents.attempts, attempts);
  EXPECT_FALSE(contents.warning.has_value());
  EXPECT_EQ(contents.valid_bytes, fs::file_size(path_));
}

TEST_F(JournalTest, AttemptsWithResourcesRoundTripBesidePlainOnes) {
  JournalAttempt placed = done_attempt(3, 1, bytes_of("result"));
  placed.cores = 8;
  placed.gpus = {"0", "GPU-5f1c2d3e-aaaa-bbbb-cccc-0123456789ab"};
  placed.usage = AttemptUsage{210u << 20, 3.5, 0.25};
  JournalAttempt failed = failed_attempt(4, 2, 1, FailureReason::signal, "killed by SIGKILL");
  failed.cores = 1;  // placed, but nothing measured
  const std::vector<JournalAttempt> attempts = {placed, done_attempt(5, 1, {}), failed};
  {
    JournalWriter writer(path_, fingerprint_);
    for (const auto& attempt : attempts) writer.append(attempt);
  }
  const JournalContents contents = read_journal(path_);
  EXPECT_EQ(contents.format_version, journal_format_version);
  EXPECT_EQ(contents.attempts, attempts);
  EXPECT_FALSE(contents.warning.has_value());
}

TEST_F(JournalTest, AVersionOneJournalStaysVersionOneWhenAppendedTo) {
  // A journal an earlier tasktrack started: its header says version 1.
  {
    const std::vector<std::byte> header = journal_format::encode_header(fingerprint_, 1);
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(header.data()),
              static_cast<std::streamsize>(header.size()));
  }
  const JournalContents before = read_journal(path_);
  ASSERT_EQ(before.format_version, 1u);
  JournalAttempt placed = done_attempt(3, 1, {});
  placed.cores = 2;
  placed.gpus = {"1"};
  {
    JournalWriter writer(path_, fingerprint_, before.valid_bytes, std::chrono::milliseconds(200),
                         before.format_version);
    writer.append(placed);
  }
  const JournalContents after = read_journal(path_);
  EXPECT_EQ(after.format_version, 1u);
  ASSERT_EQ(after.attempts.size(), 1u);
  // Written as version 1 knows attempts: what it cannot hold is left out, the rest is kept.
  JournalAttempt plain = placed;
  plain.cores = 0;
  plain.gpus.clear();
  EXPECT_EQ(after.attempts[0], plain);
}

TEST_F(JournalTest, TheOutputCappedMarkRoundTripsInVersionThree) {
  ASSERT_GE(journal_format_version, 3u);
  JournalAttempt capped = done_attempt(3, 1, {});
  capped.output_capped = true;  // nothing else only a resources record keeps
  JournalAttempt measured = failed_attempt(4, 2, 0, FailureReason::exit_code, "exit code 1");
  measured.cores = 2;
  measured.usage = AttemptUsage{5u << 20, 1.0, 0.5};
  measured.output_capped = true;
  const std::vector<JournalAttempt> attempts = {capped, measured, done_attempt(5, 1, {})};
  {
    JournalWriter writer(path_, fingerprint_);
    for (const auto& attempt : attempts) writer.append(attempt);
  }
  const JournalContents contents = read_journal(path_);
  EXPECT_EQ(contents.format_version, journal_format_version);
  EXPECT_EQ(contents.attempts, attempts);
  EXPECT_FALSE(contents.warning.has_value());
}

TEST_F(JournalTest, AVersionTwoJournalNeverGetsTheCappedBit) {
  {
    const std::vector<std::byte> header = journal_format::encode_header(fingerprint_, 2);
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(header.data()),
              static_cast<std::streamsize>(header.size()));
  }
  const JournalContents before = read_journal(path_);
  ASSERT_EQ(before.format_version, 2u);
  JournalAttempt capped = done_attempt(3, 1, {});
  capped.output_capped = true;
  JournalAttempt measured = done_attempt(4, 1, {});
  measured.cores = 1;
  measured.usage = AttemptUsage{7u << 20, 0.5, 0.0};
  measured.output_capped = true;
  {
    JournalWriter writer(path_, fingerprint_, before.valid_bytes, std::chrono::milliseconds(200),
                         before.format_version);
    writer.append(capped);
    writer.append(measured);
  }
  const JournalContents after = read_journal(path_);
  EXPECT_EQ(after.format_version, 2u);
  EXPECT_FALSE(after.warning.has_value());
  // What version 2 knows is kept, the capped mark is left out: flags stay within bit 0, as a
  // version-2 reader demands.
  capped.output_capped = false;
  measured.output_capped = false;
  EXPECT_EQ(after.attempts, (std::vector<JournalAttempt>{capped, measured}));
}

TEST_F(JournalTest, RetriedAttemptsRoundTripInVersionThreeAndAreLeftOutOfVersionTwo) {
  JournalAttempt retried = failed_attempt(4, 2, 0, FailureReason::exit_code, "exit code 1");
  retried.retried = true;  // nothing else only a resources record keeps
  const JournalAttempt last = done_attempt(4, 1, {});
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append(retried);
    writer.append(last);
  }
  EXPECT_EQ(read_journal(path_).attempts, (std::vector<JournalAttempt>{retried, last}));

  // A version-2 journal's readers would take a retried attempt for a failure for good.
  std::filesystem::remove(path_);
  {
    const std::vector<std::byte> header = journal_format::encode_header(fingerprint_, 2);
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(header.data()),
              static_cast<std::streamsize>(header.size()));
  }
  const JournalContents before = read_journal(path_);
  {
    JournalWriter writer(path_, fingerprint_, before.valid_bytes, std::chrono::milliseconds(200),
                         before.format_version);
    writer.append(retried);
    writer.append(last);
  }
  const JournalContents after = read_journal(path_);
  EXPECT_EQ(after.format_version, 2u);
  EXPECT_FALSE(after.warning.has_value());
  EXPECT_EQ(after.attempts, std::vector<JournalAttempt>{last});
}

TEST_F(JournalTest, AVersionTwoRecordWithTheCappedBitIsMalformed) {
  JournalAttempt capped = done_attempt(3, 1, {});
  capped.cores = 1;
  capped.output_capped = true;
  std::vector<std::byte> bytes = journal_format::encode_header(fingerprint_, 2);
  journal_format::append_framed(bytes, journal_format::RecordKind::attempt_with_resources,
                                journal_format::encode_attempt(capped, true, 3));
  const JournalContents contents = parse_journal(bytes, path_);
  EXPECT_TRUE(contents.attempts.empty());
  ASSERT_TRUE(contents.warning.has_value());
  EXPECT_NE(contents.warning->find("malformed attempt"), std::string::npos) << *contents.warning;
  // The same record in a version-3 journal reads.
  bytes = journal_format::encode_header(fingerprint_, 3);
  journal_format::append_framed(bytes, journal_format::RecordKind::attempt_with_resources,
                                journal_format::encode_attempt(capped, true, 3));
  EXPECT_EQ(parse_journal(bytes, path_).attempts, std::vector<JournalAttempt>{capped});
}

TEST_F(JournalTest, AJournalOfALaterFormatIsRefusedNamingTheVersions) {
  const std::vector<std::byte> header =
      journal_format::encode_header(fingerprint_, journal_format_version + 1);
  {
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(header.data()),
              static_cast<std::streamsize>(header.size()));
  }
  try {
    read_journal(path_);
    FAIL() << "a journal of a later format was read";
  } catch (const UsageError& error) {
    const std::string expected = "format version " + std::to_string(journal_format_version + 1) +
                                 ", this tasktrack " + "reads versions 1 to " +
                                 std::to_string(journal_format_version);
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
  }
}

TEST_F(JournalTest, RunRecordsRoundTripAndExpandIntoOneAttemptPerSubtask) {
  JournalRun plain;
  plain.first = 10;
  plain.thread = 3;
  plain.attempt = 1;
  plain.rank = 2;
  plain.start_unix = 100.0;
  plain.end_unix = 104.0;
  plain.values = {5, -6, 7, 8};
  JournalRun keyed = plain;
  keyed.first = 20;
  keyed.values = {1, 2};
  keyed.keys = {0xdeadbeefULL, 42};
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append_run(plain);
    writer.append(done_attempt(1, 1, {}));
    writer.append_run(keyed);
  }
  const JournalContents contents = read_journal(path_);
  EXPECT_FALSE(contents.warning.has_value());
  ASSERT_EQ(contents.runs.size(), 2u);
  EXPECT_EQ(contents.runs[0], plain);
  EXPECT_EQ(contents.runs[1], keyed);
  ASSERT_EQ(contents.attempts.size(), 1u);

  std::vector<JournalAttempt> seen;
  for_each_attempt(contents, [&](const JournalAttempt& attempt) { seen.push_back(attempt); });
  ASSERT_EQ(seen.size(), 7u);  // the single record, then 4 + 2 from the runs
  EXPECT_EQ(seen[0].subtask, 1u);
  for (int i = 0; i < 4; ++i) {
    const JournalAttempt& attempt = seen[1 + i];
    EXPECT_EQ(attempt.subtask, 10u + i);
    EXPECT_EQ(attempt.state, SubtaskState::done);
    EXPECT_EQ(attempt.value, plain.values[i]);
    EXPECT_EQ(attempt.key, 0u);
    EXPECT_EQ(attempt.rank, 2);
    EXPECT_EQ(attempt.thread, 3);
    EXPECT_DOUBLE_EQ(attempt.start_unix, 100.0 + i);  // the run's span, spread evenly
    EXPECT_DOUBLE_EQ(attempt.end_unix, 101.0 + i);
  }
  EXPECT_EQ(seen[5].key, 0xdeadbeefULL);
  EXPECT_EQ(seen[6].key, 42u);
}

TEST_F(JournalTest, ATornRunRecordIsCutOff) {
  JournalRun run;
  run.first = 0;
  run.values = std::vector<std::int64_t>(100, 1);
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append(done_attempt(500, 1, {}));
    writer.append_run(run);
  }
  fs::resize_file(path_, fs::file_size(path_) - 9);
  const JournalContents contents = read_journal(path_);
  ASSERT_TRUE(contents.warning.has_value());
  EXPECT_EQ(contents.attempts.size(), 1u);
  EXPECT_TRUE(contents.runs.empty());
}

TEST_F(JournalTest, ParseJournalMatchesReadJournal) {
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append_session({{"n", 1}});
    writer.append(done_attempt(3, 1, bytes_of("abc")));
  }
  const std::vector<char> file = read_file(path_);
  const JournalContents from_memory =
      parse_journal(std::span(reinterpret_cast<const std::byte*>(file.data()), file.size()), path_);
  const JournalContents from_file = read_journal(path_);
  EXPECT_EQ(from_memory.fingerprint, from_file.fingerprint);
  EXPECT_EQ(from_memory.sessions, from_file.sessions);
  EXPECT_EQ(from_memory.attempts, from_file.attempts);
  EXPECT_EQ(from_memory.valid_bytes, from_file.valid_bytes);
}

TEST_F(JournalTest, ReopensAnExistingJournalAndAppends) {
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append_session({{"session", 1}});
    writer.append(done_attempt(0, 1, bytes_of("first")));
  }
  const JournalContents first = read_journal(path_);
  ASSERT_EQ(first.attempts.size(), 1u);
  {
    // The fingerprint is only written to a new file: the old header must stay as it is.
    JournalWriter writer(path_, "ignored for an existing journal", first.valid_bytes);
    writer.append_session({{"session", 2}});
    writer.append(done_attempt(1, 2, bytes_of("second")));
  }
  const JournalContents second = read_journal(path_);
  EXPECT_EQ(second.fingerprint, fingerprint_);
  ASSERT_EQ(second.sessions.size(), 2u);
  EXPECT_EQ(second.sessions[1]["session"], 2);
  ASSERT_EQ(second.attempts.size(), 2u);
  EXPECT_EQ(second.attempts[0], done_attempt(0, 1, bytes_of("first")));
  EXPECT_EQ(second.attempts[1], done_attempt(1, 2, bytes_of("second")));
  EXPECT_FALSE(second.warning.has_value());
}

TEST_F(JournalTest, TornLastRecordIsCutOffAndTheWriterAppendsCleanlyAfterIt) {
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append_session({{"session", 1}});
    writer.append(done_attempt(0, 1, bytes_of("kept")));
  }
  const std::uint64_t good_end = fs::file_size(path_);
  {
    JournalWriter writer(path_, fingerprint_, good_end);
    writer.append(done_attempt(1, 1, bytes_of("the record that gets torn")));
  }
  const std::vector<char> whole = read_file(path_);
  ASSERT_GT(whole.size(), good_end);

  // Cut inside the kind, the size, the fixed fields, the payload and the CRC.
  for (const std::size_t keep : {std::size_t{1}, std::size_t{6}, std::size_t{20},
                                 whole.size() - good_end - 5, whole.size() - good_end - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " bytes of the last record");
    std::vector<char> torn(whole.begin(), whole.begin() + static_cast<long>(good_end + keep));
    write_file(path_, torn);

    const JournalContents contents = read_journal(path_);
    ASSERT_EQ(contents.attempts.size(), 1u);
    EXPECT_EQ(contents.attempts[0], done_attempt(0, 1, bytes_of("kept")));
    EXPECT_EQ(contents.sessions.size(), 1u);
    EXPECT_EQ(contents.valid_bytes, good_end);
    ASSERT_TRUE(contents.warning.has_value());
    EXPECT_NE(contents.warning->find("cut off " + std::to_string(keep) + " bytes"),
              std::string::npos)
        << *contents.warning;
    EXPECT_NE(contents.warning->find("at byte " + std::to_string(good_end)), std::string::npos)
        << *contents.warning;
    EXPECT_EQ(contents.warning->find('\n'), std::string::npos);

    {
      JournalWriter writer(path_, fingerprint_, contents.valid_bytes);
      writer.append(done_attempt(2, 3, bytes_of("new")));
    }
    const JournalContents resumed = read_journal(path_);
    EXPECT_FALSE(resumed.warning.has_value());
    ASSERT_EQ(resumed.attempts.size(), 2u);
    EXPECT_EQ(resumed.attempts[0], done_attempt(0, 1, bytes_of("kept")));
    EXPECT_EQ(resumed.attempts[1], done_attempt(2, 3, bytes_of("new")));
    EXPECT_EQ(resumed.valid_bytes, fs::file_size(path_));
  }
}

TEST_F(JournalTest, CorruptByteInTheLastRecordIsCutOff) {
  std::uint64_t good_end = 0;
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append(done_attempt(0, 1, bytes_of("kept")));
    writer.flush();
    good_end = fs::file_size(path_);
    writer.append(done_attempt(1, 1, bytes_of("corrupted")));
  }
  std::vector<char> bytes = read_file(path_);
  // One flipped bit anywhere in the record (head, fixed part, payload or CRC) is caught.
  for (std::size_t at = good_end; at < bytes.size(); at += 5) {
    SCOPED_TRACE("flipped byte " + std::to_string(at));
    std::vector<char> corrupt = bytes;
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x10);
    write_file(path_, corrupt);
    const JournalContents contents = read_journal(path_);
    ASSERT_EQ(contents.attempts.size(), 1u);
    EXPECT_EQ(contents.attempts[0].subtask, 0u);
    EXPECT_EQ(contents.valid_bytes, good_end);
    ASSERT_TRUE(contents.warning.has_value());
    EXPECT_NE(contents.warning->find("at byte " + std::to_string(good_end)), std::string::npos);
  }
}

TEST_F(JournalTest, CorruptHeaderIsAUsageError) {
  { JournalWriter writer(path_, fingerprint_); }
  const std::vector<char> good = read_file(path_);
  // Version, fingerprint length, fingerprint text and CRC; the magic has its own test.
  for (const std::size_t at : {std::size_t{8}, std::size_t{12}, std::size_t{20}, good.size() - 1}) {
    SCOPED_TRACE("flipped header byte " + std::to_string(at));
    std::vector<char> corrupt = good;
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x01);
    write_file(path_, corrupt);
    EXPECT_THROW(read_journal(path_), UsageError);
  }
  // A header cut short.
  write_file(path_, std::vector<char>(good.begin(), good.begin() + 14));
  EXPECT_THROW(read_journal(path_), UsageError);
}

TEST_F(JournalTest, NonJournalFileAndMissingFileAreUsageErrors) {
  write_file(path_, {'k', 'e', 'r', 'n', 'e', 'l', ' ', '=', ' ', '"', 'p', '"', '\n'});
  try {
    read_journal(path_);
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()),
              "journal '" + path_ + "': not a tasktrack journal (no TTJRNL01 header)");
  }
  const std::string missing = (directory_ / "missing.journal").string();
  try {
    read_journal(missing);
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()), "journal '" + missing + "': No such file or directory");
  }
}

TEST_F(JournalTest, EmptyFileReadsAsNoHeaderAndTheWriterWritesOne) {
  write_file(path_, {});
  const JournalContents empty = read_journal(path_);
  EXPECT_TRUE(empty.fingerprint.empty());
  EXPECT_EQ(empty.valid_bytes, 0u);
  EXPECT_FALSE(empty.warning.has_value());
  {
    JournalWriter writer(path_, fingerprint_, empty.valid_bytes);
    writer.append(done_attempt(5, 1, {}));
  }
  const JournalContents contents = read_journal(path_);
  EXPECT_EQ(contents.fingerprint, fingerprint_);
  ASSERT_EQ(contents.attempts.size(), 1u);
}

TEST_F(JournalTest, WriterRefusesToCutANonEmptyJournalItHasNotRead) {
  { JournalWriter writer(path_, fingerprint_); }
  const auto size = fs::file_size(path_);
  EXPECT_THROW(JournalWriter(path_, fingerprint_, 0), UsageError);
  EXPECT_EQ(fs::file_size(path_), size);
}

TEST_F(JournalTest, SecondWriterOnTheSameJournalIsRefused) {
  JournalWriter first(path_, fingerprint_);
  const auto valid_bytes = read_journal(path_).valid_bytes;
  EXPECT_THROW(JournalWriter(path_, fingerprint_, valid_bytes), UsageError);
}

TEST_F(JournalTest, GroupCommitSyncsFarLessThanOncePerRecord) {
  constexpr std::uint32_t count = 10000;
  JournalWriter writer(path_, fingerprint_);
  for (std::uint32_t i = 0; i < count; ++i) writer.append(done_attempt(i, 1, bytes_of("r")));
  writer.flush();
  EXPECT_LT(writer.syncs(), 50u);
  EXPECT_GE(writer.syncs(), 2u);  // the header's, and at least the flush's
  const JournalContents contents = read_journal(path_);
  ASSERT_EQ(contents.attempts.size(), count);
  for (std::uint32_t i = 0; i < count; ++i) ASSERT_EQ(contents.attempts[i].subtask, i);
  EXPECT_FALSE(contents.warning.has_value());
}

TEST_F(JournalTest, FlushMakesRecordsVisibleAtOnce) {
  // A commit interval far beyond the test: only flush() can have written the record.
  JournalWriter writer(path_, fingerprint_, 0, std::chrono::hours(1));
  writer.append(done_attempt(7, 1, bytes_of("now")));
  EXPECT_TRUE(read_journal(path_).attempts.empty());
  writer.flush();
  const JournalContents contents = read_journal(path_);
  ASSERT_EQ(contents.attempts.size(), 1u);
  EXPECT_EQ(contents.attempts[0].subtask, 7u);
  const auto syncs = writer.syncs();
  writer.flush();  // nothing new: no extra sync
  EXPECT_EQ(writer.syncs(), syncs);
}

TEST_F(JournalTest, BackgroundCommitsWithoutFlush) {
  JournalWriter writer(path_, fingerprint_, 0, std::chrono::milliseconds(20));
  writer.append(done_attempt(9, 1, {}));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (read_journal(path_).attempts.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(read_journal(path_).attempts.size(), 1u);
}

TEST_F(JournalTest, WriterRefusesAttemptsTheReaderWouldReject) {
  JournalWriter writer(path_, fingerprint_);
  JournalAttempt running = done_attempt(1, 1, {});
  running.state = SubtaskState::running;
  EXPECT_THROW(writer.append(running), std::invalid_argument);
}

TEST(JournalFingerprint, DependsOnKernelParamsRangeAndSubtasksOnly) {
  const JobSpec base = small_job();
  const std::string fingerprint = job_fingerprint(base);
  EXPECT_EQ(fingerprint, job_fingerprint(small_job()));
  EXPECT_EQ(fingerprint_digest(fingerprint), fingerprint_digest(job_fingerprint(small_job())));
  EXPECT_EQ(fingerprint_digest(fingerprint).size(), 16u);
  EXPECT_TRUE(nlohmann::json::parse(fingerprint).is_object());

  JobSpec other = base;
  other.threads = 17;
  other.schedule = Schedule::dynamic;
  other.chunk = 5;
  other.retries = 9;
  EXPECT_EQ(job_fingerprint(other), fingerprint);

  other = base;
  other.range_job()->kernel = "pi";
  EXPECT_NE(job_fingerprint(other), fingerprint);
  other = base;
  other.range_job()->params["beta"] = "three";
  EXPECT_NE(job_fingerprint(other), fingerprint);
  other = base;
  other.range_job()->range.hi = 1001;
  EXPECT_NE(job_fingerprint(other), fingerprint);
  other = base;
  other.subtasks = 11;
  EXPECT_NE(job_fingerprint(other), fingerprint);
  EXPECT_NE(fingerprint_digest(job_fingerprint(other)), fingerprint_digest(fingerprint));
}

// A task list is one job however its path is spelled, and whatever options that do not
// change the work (cores per task, timeouts, output) say.
TEST_F(JournalTest, TaskListFingerprintIsTheFilesRealPathOnly) {
  const std::string tasks = (directory_ / "exit.tasks").string();
  std::ofstream(tasks) << "true\n";
  fs::create_directories(directory_ / "sub");
  fs::create_symlink(tasks, directory_ / "link.tasks");
  JobSpec job;
  job.work = TaskListJob{};
  job.task_list()->task_file = tasks;
  const std::string fingerprint = job_fingerprint(job);
  for (const std::string& spelling :
       {(directory_ / "./exit.tasks").string(), (directory_ / "sub/../exit.tasks").string(),
        (directory_ / "link.tasks").string()}) {
    JobSpec respelled = job;
    respelled.task_list()->task_file = spelling;
    respelled.task_list()->cores_per_task = 4;
    respelled.timeout = 60;
    respelled.task_list()->output_dir = "elsewhere";
    EXPECT_EQ(job_fingerprint(respelled), fingerprint) << spelling;
  }
  const auto cwd = fs::current_path();
  fs::current_path(directory_);
  JobSpec relative = job;
  relative.task_list()->task_file = "exit.tasks";
  EXPECT_EQ(job_fingerprint(relative), fingerprint);
  fs::current_path(cwd);

  JobSpec other = job;
  other.task_list()->task_file = (directory_ / "other.tasks").string();
  EXPECT_NE(job_fingerprint(other), fingerprint);
  EXPECT_FALSE(same_job(job_fingerprint(other), fingerprint, path_));
}

// Journals written before the fingerprint became canonical hold the path as typed and
// cores_per_task; they still resume when that path names the same file.
TEST_F(JournalTest, EarlierTaskListFingerprintsStillMatchTheSameFile) {
  const std::string tasks = (directory_ / "exit.tasks").string();
  std::ofstream(tasks) << "true\n";
  std::ofstream(directory_ / "other.tasks") << "true\n";
  JobSpec job;
  job.work = TaskListJob{};
  job.task_list()->task_file = tasks;
  const std::string current = job_fingerprint(job);

  // Relative to the journal's folder (the job ran there), or to the current folder.
  EXPECT_TRUE(same_job(R"({"cores_per_task":1,"task_file":"exit.tasks"})", current, path_));
  EXPECT_TRUE(same_job(R"({"cores_per_task":2,"task_file":"./exit.tasks"})", current, path_));
  const auto cwd = fs::current_path();
  fs::current_path(directory_.parent_path());
  const std::string from_parent =
      nlohmann::json{{"cores_per_task", 1},
                     {"task_file", (directory_.filename() / "exit.tasks").string()}}
          .dump();
  EXPECT_TRUE(same_job(from_parent, current, "/nonexistent/j.journal"));
  fs::current_path(cwd);

  EXPECT_FALSE(same_job(R"({"cores_per_task":1,"task_file":"other.tasks"})", current, path_));
  EXPECT_FALSE(same_job(R"({"cores_per_task":1,"task_file":"missing.tasks"})", current, path_));
  EXPECT_FALSE(same_job(job_fingerprint(small_job()), current, path_));
  EXPECT_FALSE(same_job("not json", current, path_));
  EXPECT_TRUE(same_job(job_fingerprint(small_job()), job_fingerprint(small_job()), path_));
}

TEST_F(JournalTest, MoveAsideNeverDeletes) {
  EXPECT_EQ(move_journal_aside(path_), "");  // nothing there

  write_file(path_, {'o', 'n', 'e'});
  const std::string first = move_journal_aside(path_);
  ASSERT_NE(first, "");
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_EQ(read_file(first), (std::vector<char>{'o', 'n', 'e'}));
  EXPECT_EQ(first.rfind(path_ + ".", 0), 0u);

  // Within the same second the timestamped name is taken: a suffix, never an overwrite.
  write_file(path_, {'t', 'w', 'o'});
  const std::string second = move_journal_aside(path_);
  ASSERT_NE(second, "");
  EXPECT_NE(second, first);
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_EQ(read_file(first), (std::vector<char>{'o', 'n', 'e'}));
  EXPECT_EQ(read_file(second), (std::vector<char>{'t', 'w', 'o'}));
}

TEST_F(JournalTest, StatusCountsLastRecordsPerRankAndListsStandingFailures) {
  JobSpec job = small_job();
  job.subtasks = 6;
  {
    JournalWriter writer(path_, job_fingerprint(job));
    writer.append_session({{"workers",
                            {{{"rank", 1}, {"host", "node-a"}, {"threads", 2}},
                             {{"rank", 2}, {"host", "old-host"}, {"threads", 2}}}}});
    writer.append(done_attempt(0, 1, {}));
    writer.append(failed_attempt(3, 2, 2, FailureReason::exception, "first try\nignored"));
    writer.append(failed_attempt(4, 2, 1, FailureReason::timeout, "boom: too slow\nsecond line"));
    // Session 2: rank 2 moved host; subtask 3 now succeeds.
    writer.append_session({{"workers", {{{"rank", 2}, {"host", "node-b"}, {"threads", 4}}}}});
    writer.append(done_attempt(1, 2, {}));
    writer.append(done_attempt(3, 1, {}));
  }
  std::ostringstream out;
  print_status_text(journal_status(path_), out);
  const std::string text = out.str();
  SCOPED_TRACE(text);

  EXPECT_NE(text.find("primes"), std::string::npos);
  EXPECT_NE(text.find("range 0:1000"), std::string::npos);
  EXPECT_NE(text.find("sessions  2"), std::string::npos);
  EXPECT_NE(text.find("3 done, 1 failed, 2 left, of 6"), std::string::npos);
  EXPECT_NE(text.find(" s ago"), std::string::npos);
  // rank, host, done, failed
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\n\s+1\s+node-a\s+2\s+0\n)")));
  // Rank 2's failed attempts: subtask 3's (done since, on rank 1) and subtask 4's; the
  // summary's per-rank column counts failed attempts too (issue 12, item 9).
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\n\s+2\s+node-b\s+1\s+2\n)")));
  EXPECT_EQ(text.find("old-host"), std::string::npos);
  // subtask, attempts, reason, first line of the detail
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\n\s+4\s+2\s+timeout\s+boom: too slow\n)")));
  EXPECT_EQ(text.find("second line"), std::string::npos);
  EXPECT_EQ(text.find("first try"), std::string::npos);  // subtask 3 is done now
  EXPECT_EQ(text.find("warning"), std::string::npos);
}

TEST_F(JournalTest, StatusJsonSaysWhereAKernelJobStands) {
  JobSpec job = small_job();
  job.subtasks = 3;
  {
    JournalWriter writer(path_, job_fingerprint(job));
    writer.append_session({{"workers", {{{"rank", 1}, {"host", "node-a"}}}}});
    writer.append(done_attempt(0, 1, {}));
    writer.append(failed_attempt(1, 1, 2, FailureReason::exit_code, "exit code 3\nmore"));
  }
  const std::string line = status_to_json(journal_status(path_)).dump();
  // The batch scripts take the first match of each key: state and counts lead the line.
  EXPECT_EQ(line.rfind(R"({"state":"work_left","total":3,"done":1,"failed":1,"left":1,)", 0), 0u)
      << line;
  nlohmann::json status = nlohmann::json::parse(line);
  EXPECT_EQ(status["state"], "work_left");
  EXPECT_EQ(status["total"], 3);
  EXPECT_EQ(status["done"], 1);
  EXPECT_EQ(status["failed"], 1);
  EXPECT_EQ(status["left"], 1);
  EXPECT_EQ(status["sessions"], 1);
  EXPECT_EQ(status["job"]["kernel"], "primes");
  EXPECT_EQ(status["job"]["range"], "0:1000");
  EXPECT_TRUE(status["job"]["task_file"].is_null());
  EXPECT_EQ(status["per_rank"][0]["host"], "node-a");
  EXPECT_EQ(status["failures"][0]["subtask"], 1);
  EXPECT_EQ(status["failures"][0]["attempts"], 3);
  EXPECT_EQ(status["failures"][0]["reason"], "exit_code");
  EXPECT_EQ(status["failures"][0]["detail"], "exit code 3");
  EXPECT_TRUE(status["last_record_unix"].is_number());

  {
    JournalWriter writer(path_, job_fingerprint(job), read_journal(path_).valid_bytes);
    writer.append(done_attempt(2, 1, {}));
  }
  EXPECT_EQ(status_to_json(journal_status(path_))["state"], "failed");
  {
    JournalWriter writer(path_, job_fingerprint(job), read_journal(path_).valid_bytes);
    writer.append(done_attempt(1, 1, {}));
  }
  status = status_to_json(journal_status(path_));
  EXPECT_EQ(status["state"], "done");
  EXPECT_EQ(status["left"], 0);
  EXPECT_TRUE(status["failures"].empty());
}

TEST_F(JournalTest, StatusJsonOfAnEmptyJournalSaysNothingStarted) {
  { std::ofstream touch(path_); }
  const nlohmann::json status = status_to_json(journal_status(path_));
  EXPECT_EQ(status["state"], "empty");
  EXPECT_TRUE(status["job"].is_null());
  EXPECT_TRUE(status["total"].is_null());
}

// A task list's total comes from its file; a record counts only while its line is the same.
TEST_F(JournalTest, StatusOfATaskListCountsItsFilesLines) {
  const std::string tasks = (directory_ / "list.tasks").string();
  std::ofstream(tasks) << "echo a\n# a comment\necho b\necho c\n";
  JobSpec job;
  job.work = TaskListJob{};
  job.task_list()->task_file = tasks;
  const auto line_done = [](SubtaskId id, const std::string& text) {
    JournalAttempt attempt = done_attempt(id, 1, {});
    attempt.key = task_line_key(TaskLine{0, text, {}});
    return attempt;
  };
  {
    JournalWriter writer(path_, job_fingerprint(job));
    writer.append(line_done(0, "echo a"));
    writer.append(line_done(1, "echo b"));
    writer.append(line_done(2, "echo an old line"));  // the line was edited since
  }
  JournalStatus status = journal_status(path_);
  EXPECT_EQ(status.total, 3u);
  EXPECT_EQ(status.done, 2u);
  EXPECT_EQ(status.left(), 1u);
  EXPECT_EQ(status.state(), JournalStatus::State::work_left);
  std::ostringstream text;
  print_status_text(status, text);
  EXPECT_NE(text.str().find("2 done, 0 failed, 1 left, of 3"), std::string::npos) << text.str();
  EXPECT_EQ(status_to_json(status)["job"]["task_file"], fs::canonical(tasks).string());
  EXPECT_EQ(status_to_json(status)["job"]["kernel"], "commands");

  {
    JournalWriter writer(path_, job_fingerprint(job), read_journal(path_).valid_bytes);
    writer.append(line_done(2, "echo c"));
  }
  EXPECT_EQ(journal_status(path_).state(), JournalStatus::State::done);

  // Without its task file the total is unknown, and says why.
  fs::remove(tasks);
  status = journal_status(path_);
  EXPECT_EQ(status.state(), JournalStatus::State::unknown);
  ASSERT_TRUE(status.task_file_problem.has_value());
  EXPECT_NE(status.task_file_problem->find("list.tasks"), std::string::npos);
  EXPECT_TRUE(status_to_json(status)["left"].is_null());
}

TEST_F(JournalTest, StatusListsAtMostTwentyFailuresAndReportsACutTail) {
  {
    JournalWriter writer(path_, fingerprint_);
    for (SubtaskId id = 0; id < 25; ++id) {
      writer.append(failed_attempt(id, 1, 0, FailureReason::signal, "signal 9"));
    }
  }
  std::vector<char> bytes = read_file(path_);
  bytes.pop_back();  // tear the last record: subtask 24
  write_file(path_, bytes);

  std::ostringstream out;
  print_status_text(journal_status(path_), out);
  const std::string text = out.str();
  SCOPED_TRACE(text);
  EXPECT_NE(text.find("warning: journal '" + path_ + "': cut off"), std::string::npos);
  EXPECT_NE(text.find("0 done, 24 failed"), std::string::npos);
  EXPECT_NE(text.find("... and 4 more"), std::string::npos);
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\n\s+19\s+1\s+signal\s+signal 9\n)")));
  EXPECT_FALSE(std::regex_search(text, std::regex(R"(\n\s+20\s+1\s+signal)")));
}

}  // namespace
}  // namespace tasktrack
