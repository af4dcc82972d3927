// protocol.hpp and status_batcher.hpp: the wire format round-trips, refuses what it cannot
// have produced, and batches status records into messages rank 0's receives can hold.
#include "runtime/protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/outbox.hpp"
#include "runtime/status_batcher.hpp"

namespace tasktrack {

static void PrintTo(const IdRun& run, std::ostream* out) {
  *out << "{first " << run.first << ", count " << run.count << ", attempt " << run.attempt << "}";
}

namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes_of(std::string_view text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return Bytes(begin, begin + text.size());
}

// Payload `size` bytes long whose content depends on `seed`, so a shifted payload shows.
Bytes payload_for(std::uint32_t seed, std::size_t size) {
  Bytes payload(size);
  for (std::size_t i = 0; i < size; ++i) {
    payload[i] = static_cast<std::byte>((seed * 131 + i * 7 + 1) & 0xFF);
  }
  return payload;
}

StatusRecord record_for(std::uint32_t i) {
  StatusRecord record;
  record.subtask = i * 3 + 1;
  record.state =
      i % 3 == 0 ? SubtaskState::running : (i % 3 == 1 ? SubtaskState::done : SubtaskState::failed);
  record.reason =
      record.state == SubtaskState::failed ? FailureReason::timeout : FailureReason::none;
  record.thread = static_cast<std::uint16_t>(i % 17);
  record.attempt = i % 5;
  record.start_seconds = 0.25 * i;
  record.end_seconds = record.state == SubtaskState::running ? 0 : 0.25 * i + 0.125;
  record.value = -1'000'000'007LL * i;
  return record;
}

void expect_same_record(const StatusRecord& actual, const StatusRecord& expected,
                        std::size_t expected_payload_bytes) {
  EXPECT_EQ(actual.subtask, expected.subtask);
  EXPECT_EQ(actual.state, expected.state);
  EXPECT_EQ(actual.reason, expected.reason);
  EXPECT_EQ(actual.thread, expected.thread);
  EXPECT_EQ(actual.attempt, expected.attempt);
  EXPECT_EQ(actual.payload_bytes, expected_payload_bytes);
  EXPECT_EQ(actual.start_seconds, expected.start_seconds);
  EXPECT_EQ(actual.end_seconds, expected.end_seconds);
  EXPECT_EQ(actual.value, expected.value);
}

struct Read {
  StatusRecord record;
  Bytes payload;
};

std::vector<Read> read_all(std::span<const std::byte> message) {
  std::vector<Read> out;
  StatusBatchReader(message).for_each(
      [&](const StatusRecord& record, std::span<const std::byte> payload) {
        out.push_back(Read{record, Bytes(payload.begin(), payload.end())});
      });
  return out;
}

void set_header(Bytes& message, const MessageHeader& header) {
  std::memcpy(message.data(), &header, sizeof header);
}

MessageHeader header_of(const Bytes& message) {
  MessageHeader header;
  std::memcpy(&header, message.data(), sizeof header);
  return header;
}

// --- Assign ---

TEST(ProtocolAssign, EmptyRoundTrips) {
  const Bytes message = encode_assign({});
  EXPECT_EQ(message.size(), sizeof(MessageHeader));
  EXPECT_EQ(header_of(message).version, protocol_version);
  EXPECT_EQ(header_of(message).count, 0u);
  EXPECT_TRUE(decode_assign(message).empty());
}

TEST(ProtocolAssign, OneRunRoundTrips) {
  const std::vector<IdRun> runs = {IdRun{7, 42, 3}};
  const Bytes message = encode_assign(runs);
  EXPECT_EQ(message.size(), sizeof(MessageHeader) + sizeof(IdRun));
  EXPECT_THAT(decode_assign(message), testing::ElementsAre(IdRun{7, 42, 3}));
}

TEST(ProtocolAssign, ManyRunsRoundTripInOrder) {
  std::vector<IdRun> runs;
  for (std::uint32_t i = 0; i < max_runs_per_assign; ++i) {
    runs.push_back(IdRun{0xFFFFFFFFu - i * 1000, i + 1, i % 256});
  }
  const Bytes message = encode_assign(runs);
  EXPECT_LE(message.size(), max_assign_message_bytes);
  EXPECT_EQ(header_of(message).count, runs.size());
  EXPECT_EQ(decode_assign(message), runs);
}

TEST(ProtocolAssign, MaxRunsFillsTheWorkersBuffer) {
  EXPECT_LE(sizeof(MessageHeader) + max_runs_per_assign * sizeof(IdRun), max_assign_message_bytes);
  EXPECT_GT(sizeof(MessageHeader) + (max_runs_per_assign + 1) * sizeof(IdRun),
            max_assign_message_bytes);
}

TEST(ProtocolAssign, ShortMessageIsAnError) {
  EXPECT_THROW(decode_assign({}), ProtocolError);
  const Bytes message = encode_assign({});
  EXPECT_THROW(decode_assign(std::span(message).first(sizeof(MessageHeader) - 1)), ProtocolError);
}

TEST(ProtocolAssign, WrongVersionIsAnError) {
  const std::vector<IdRun> runs = {IdRun{1, 2, 0}};
  Bytes message = encode_assign(runs);
  MessageHeader header = header_of(message);
  for (const std::uint32_t version : {0u, protocol_version + 1, 0x01000000u}) {
    header.version = version;
    set_header(message, header);
    EXPECT_THROW(decode_assign(message), ProtocolError) << "version " << version;
  }
}

TEST(ProtocolAssign, SizeMismatchIsAnError) {
  const std::vector<IdRun> runs = {IdRun{1, 2, 0}, IdRun{5, 1, 1}};
  const Bytes message = encode_assign(runs);

  Bytes longer = message;
  longer.push_back(std::byte{0});
  EXPECT_THROW(decode_assign(longer), ProtocolError);

  EXPECT_THROW(decode_assign(std::span(message).first(message.size() - 1)), ProtocolError);
  EXPECT_THROW(decode_assign(std::span(message).first(message.size() - sizeof(IdRun))),
               ProtocolError);

  Bytes miscounted = message;
  MessageHeader header = header_of(miscounted);
  header.count = 3;
  set_header(miscounted, header);
  EXPECT_THROW(decode_assign(miscounted), ProtocolError);
  header.count = 0xFFFFFFFFu;  // must not allocate or read that much
  set_header(miscounted, header);
  EXPECT_THROW(decode_assign(miscounted), ProtocolError);
}

// --- StatusBatch ---

TEST(ProtocolStatusBatch, EmptyWriterGivesAHeaderOnlyBatch) {
  StatusBatchWriter writer;
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(writer.encoded_bytes(), sizeof(MessageHeader));
  const Bytes message = writer.finish();
  EXPECT_EQ(message.size(), sizeof(MessageHeader));
  const StatusBatchReader reader(message);
  EXPECT_EQ(reader.size(), 0u);
  // A plain batch, none of the notices that used to be flags on an empty batch.
  EXPECT_EQ(message_kind(message), MessageKind::status_batch);
  EXPECT_TRUE(std::holds_alternative<StatusBatchReader>(decode_from_worker(message)));
  EXPECT_TRUE(read_all(message).empty());
}

TEST(ProtocolStatusBatch, RoundTripWithoutPayloads) {
  StatusBatchWriter writer;
  for (std::uint32_t i = 0; i < 50; ++i) writer.add(record_for(i), {});
  EXPECT_EQ(writer.record_count(), 50u);
  EXPECT_EQ(writer.encoded_bytes(), sizeof(MessageHeader) + 50 * sizeof(StatusRecord));
  const Bytes message = writer.finish();
  EXPECT_EQ(message.size(), sizeof(MessageHeader) + 50 * sizeof(StatusRecord));

  const StatusBatchReader reader(message);
  EXPECT_EQ(reader.size(), 50u);
  EXPECT_EQ(message_kind(message), MessageKind::status_batch);
  const std::vector<Read> read = read_all(message);
  ASSERT_EQ(read.size(), 50u);
  for (std::uint32_t i = 0; i < 50; ++i) {
    SCOPED_TRACE(i);
    expect_same_record(read[i].record, record_for(i), 0);
    EXPECT_TRUE(read[i].payload.empty());
  }
}

TEST(ProtocolStatusBatch, RoundTripWithPayloadsInOrder) {
  StatusBatchWriter writer;
  std::size_t payload_total = 0;
  for (std::uint32_t i = 0; i < 40; ++i) {
    const std::size_t size = i % 4 == 0 ? 0 : i * 37 % 300;  // some records carry nothing
    payload_total += size;
    writer.add(record_for(i), payload_for(i, size));
  }
  const std::size_t expected_size =
      sizeof(MessageHeader) + 40 * sizeof(StatusRecord) + payload_total;
  EXPECT_EQ(writer.encoded_bytes(), expected_size);
  const Bytes message = writer.finish();
  EXPECT_EQ(message.size(), expected_size);

  const std::vector<Read> read = read_all(message);
  ASSERT_EQ(read.size(), 40u);
  for (std::uint32_t i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    const std::size_t size = i % 4 == 0 ? 0 : i * 37 % 300;
    expect_same_record(read[i].record, record_for(i), size);
    EXPECT_EQ(read[i].payload, payload_for(i, size));
  }
}

TEST(ProtocolStatusBatch, WriterSetsPayloadBytesFromThePayload) {
  StatusBatchWriter writer;
  StatusRecord record = record_for(2);
  record.payload_bytes = 9999;  // whatever the caller left there
  writer.add(record, bytes_of("detail"));
  const std::vector<Read> read = read_all(writer.finish());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].record.payload_bytes, 6u);
  EXPECT_EQ(read[0].payload, bytes_of("detail"));
}

TEST(ProtocolStatusBatch, FinishClearsTheWriter) {
  StatusBatchWriter writer;
  writer.add(record_for(1), bytes_of("first"));
  const Bytes first = writer.finish();
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(writer.record_count(), 0u);
  EXPECT_EQ(writer.encoded_bytes(), sizeof(MessageHeader));

  writer.add(record_for(2), bytes_of("second"));
  const std::vector<Read> read = read_all(writer.finish());
  ASSERT_EQ(read.size(), 1u);  // nothing of the first batch leaked into the second
  expect_same_record(read[0].record, record_for(2), 6);
  EXPECT_EQ(read[0].payload, bytes_of("second"));
  EXPECT_EQ(read_all(first).size(), 1u);
}

TEST(ProtocolWorkerNotices, GoodbyeDrainedAndHeartbeatAreHeaderOnlyMessagesOfTheirOwn) {
  const Bytes goodbye = encode(Goodbye{});
  EXPECT_EQ(goodbye.size(), sizeof(MessageHeader));
  EXPECT_EQ(header_of(goodbye).version, protocol_version);
  EXPECT_EQ(message_kind(goodbye), MessageKind::goodbye);
  EXPECT_TRUE(std::holds_alternative<Goodbye>(decode_from_worker(goodbye)));
  EXPECT_THROW(StatusBatchReader{goodbye}, ProtocolError);  // not a batch of no records

  const Bytes drained = encode(Drained{});
  EXPECT_EQ(drained.size(), sizeof(MessageHeader));
  EXPECT_TRUE(std::holds_alternative<Drained>(decode_from_worker(drained)));

  const Bytes heartbeat = encode(Heartbeat{});
  EXPECT_EQ(heartbeat.size(), sizeof(MessageHeader));
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(decode_from_worker(heartbeat)));

  // A notice with anything after its header is not one this build sends.
  Bytes longer = goodbye;
  longer.push_back(std::byte{0});
  EXPECT_THROW(decode_from_worker(longer), ProtocolError);
}

TEST(ProtocolWorkerNotices, BatchFollowsCarriesTheSizeAndIsNotAReport) {
  const Bytes announce = encode(BatchFollows{3'000'000});
  EXPECT_EQ(message_kind(announce), MessageKind::batch_follows);
  EXPECT_EQ(decode_batch_follows(announce).bytes, 3'000'000u);
  EXPECT_THROW(StatusBatchReader{announce}, ProtocolError);
  // The transport handles it; it is never handed to rank 0's handler.
  EXPECT_THROW(decode_from_worker(announce), ProtocolError);
  EXPECT_THROW(decode_batch_follows(std::span(announce).first(announce.size() - 1)), ProtocolError);
}

TEST(ProtocolStatusBatch, ShortMessageIsAnError) {
  EXPECT_THROW(StatusBatchReader(std::span<const std::byte>{}), ProtocolError);
  const Bytes empty = StatusBatchWriter().finish();
  EXPECT_THROW(StatusBatchReader(std::span(empty).first(sizeof(MessageHeader) - 1)), ProtocolError);
}

TEST(ProtocolStatusBatch, WrongVersionIsAnError) {
  Bytes message = StatusBatchWriter().finish();
  MessageHeader header = header_of(message);
  header.version = protocol_version + 1;
  set_header(message, header);
  EXPECT_THROW(StatusBatchReader{message}, ProtocolError);
  header.version = 0;
  set_header(message, header);
  EXPECT_THROW(StatusBatchReader{message}, ProtocolError);
}

TEST(ProtocolStatusBatch, FewerRecordsThanTheHeaderSaysIsAnError) {
  StatusBatchWriter writer;
  writer.add(record_for(1), {});
  writer.add(record_for(2), {});
  const Bytes message = writer.finish();
  EXPECT_THROW(StatusBatchReader(std::span(message).first(message.size() - 1)), ProtocolError);
  EXPECT_THROW(StatusBatchReader(std::span(message).first(message.size() - sizeof(StatusRecord))),
               ProtocolError);

  Bytes overcounted = message;
  MessageHeader header = header_of(overcounted);
  header.count = 0xFFFFFFFFu;
  set_header(overcounted, header);
  EXPECT_THROW(StatusBatchReader{overcounted}, ProtocolError);
}

TEST(ProtocolStatusBatch, PayloadSizesThatDoNotAddUpAreAnError) {
  StatusBatchWriter writer;
  writer.add(record_for(1), bytes_of("abc"));
  writer.add(record_for(2), bytes_of("defgh"));
  const Bytes message = writer.finish();
  ASSERT_NO_THROW(StatusBatchReader{message});

  // One payload byte missing, or one too many.
  EXPECT_THROW(StatusBatchReader(std::span(message).first(message.size() - 1)), ProtocolError);
  Bytes longer = message;
  longer.push_back(std::byte{'x'});
  EXPECT_THROW(StatusBatchReader{longer}, ProtocolError);

  // A record claiming more (or less) payload than the message holds.
  const std::size_t second_record = sizeof(MessageHeader) + sizeof(StatusRecord);
  for (const std::uint32_t claimed : {6u, 4u, 0u, 0xFFFFFFFFu}) {
    Bytes forged = message;
    StatusRecord record;
    std::memcpy(&record, forged.data() + second_record, sizeof record);
    record.payload_bytes = claimed;
    std::memcpy(forged.data() + second_record, &record, sizeof record);
    EXPECT_THROW(StatusBatchReader{forged}, ProtocolError) << "claimed " << claimed;
  }
}

TEST(ProtocolStatusBatch, AttemptReportsTravelWithTheirRecordsAndOnlyWithThem) {
  AttemptReport first;
  first.cores = 2;
  first.gpu_mask = 0b1010;
  AttemptReport third;
  third.cores = 1;
  third.measured = true;
  third.usage = AttemptUsage{200u << 20, 1.25, 0.5};
  StatusBatchWriter writer;
  writer.add(record_for(1), bytes_of("abc"), &first);
  writer.add(record_for(2), bytes_of("de"));
  writer.add(record_for(3), {}, &third);
  EXPECT_EQ(writer.encoded_bytes(),
            sizeof(MessageHeader) + 3 * sizeof(StatusRecord) + 5 + 2 * sizeof(AttemptReportEntry));
  const Bytes message = writer.finish();
  ASSERT_EQ(message.size(),
            sizeof(MessageHeader) + 3 * sizeof(StatusRecord) + 5 + 2 * sizeof(AttemptReportEntry));

  std::vector<std::optional<AttemptReport>> reports;
  std::vector<Bytes> payloads;
  StatusBatchReader(message).for_each([&](const StatusRecord& record,
                                          std::span<const std::byte> payload,
                                          const AttemptReport* report) {
    expect_same_record(record, record_for(static_cast<std::uint32_t>(reports.size() + 1)),
                       payload.size());
    payloads.emplace_back(payload.begin(), payload.end());
    reports.push_back(report != nullptr ? std::optional(*report) : std::nullopt);
  });
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0], first);
  EXPECT_EQ(reports[1], std::nullopt);
  EXPECT_EQ(reports[2], third);
  EXPECT_EQ(payloads, (std::vector<Bytes>{bytes_of("abc"), bytes_of("de"), {}}));
  // A visitor that does not take reports sees the same records and payloads.
  const std::vector<Read> plain = read_all(message);
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_EQ(plain[0].payload, bytes_of("abc"));
  EXPECT_EQ(plain[2].payload, Bytes{});
}

TEST(ProtocolStatusBatch, TheOutputCappedFlagIsBitOneOfTheReportEntry) {
  AttemptReport capped;
  capped.cores = 1;
  capped.output_capped = true;
  AttemptReport both = capped;
  both.measured = true;
  both.usage = AttemptUsage{1u << 20, 0.5, 0.25};
  StatusBatchWriter writer;
  writer.add(record_for(1), {}, &capped);
  writer.add(record_for(2), {}, &both);
  const Bytes message = writer.finish();
  const std::size_t table = message.size() - 2 * sizeof(AttemptReportEntry);
  std::vector<std::uint16_t> flags;
  for (std::size_t i = 0; i < 2; ++i) {
    AttemptReportEntry entry;
    std::memcpy(&entry, message.data() + table + i * sizeof entry, sizeof entry);
    flags.push_back(entry.flags);
  }
  EXPECT_EQ(flags, (std::vector<std::uint16_t>{2, 3}));
  std::vector<AttemptReport> reports;
  StatusBatchReader(message).for_each(
      [&](const StatusRecord&, std::span<const std::byte>, const AttemptReport* report) {
        ASSERT_NE(report, nullptr);
        reports.push_back(*report);
      });
  EXPECT_EQ(reports, (std::vector<AttemptReport>{capped, both}));
}

TEST(ProtocolStatusBatch, TheLeftProcessesFlagIsBitTwoOfTheReportEntry) {
  AttemptReport left;
  left.cores = 1;
  left.left_processes = true;
  StatusBatchWriter writer;
  writer.add(record_for(1), {}, &left);
  const Bytes message = writer.finish();
  AttemptReportEntry entry;
  std::memcpy(&entry, message.data() + message.size() - sizeof entry, sizeof entry);
  EXPECT_EQ(entry.flags, 4);
  std::vector<AttemptReport> reports;
  StatusBatchReader(message).for_each(
      [&](const StatusRecord&, std::span<const std::byte>, const AttemptReport* report) {
        ASSERT_NE(report, nullptr);
        reports.push_back(*report);
      });
  EXPECT_EQ(reports, (std::vector<AttemptReport>{left}));
}

TEST(ProtocolStatusBatch, AReportTableThatDoesNotFitTheRecordsIsAnError) {
  AttemptReport report;
  report.cores = 1;
  StatusBatchWriter writer;
  writer.add(record_for(1), bytes_of("abc"), &report);
  writer.add(record_for(2), {}, &report);
  const Bytes message = writer.finish();
  ASSERT_NO_THROW(StatusBatchReader{message});
  const std::size_t table = message.size() - 2 * sizeof(AttemptReportEntry);

  // A report cut short.
  EXPECT_THROW(StatusBatchReader(std::span(message).first(message.size() - 1)), ProtocolError);
  // A report naming a record past the last, and two naming the same record.
  for (const std::uint32_t index : {2u, 0u}) {
    Bytes forged = message;
    AttemptReportEntry entry;
    std::memcpy(&entry, forged.data() + table + sizeof entry, sizeof entry);
    entry.record_index = index;
    std::memcpy(forged.data() + table + sizeof entry, &entry, sizeof entry);
    EXPECT_THROW(StatusBatchReader{forged}, ProtocolError) << "index " << index;
  }
}

TEST(ProtocolStatusBatch, ErrorsAreRuntimeErrorsWithAMessage) {
  try {
    decode_assign({});
    FAIL() << "no ProtocolError";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()), "");
  }
}

// --- StatusBatcher ---

struct Sent {
  StatusRecord record;
  std::size_t payload_size;
};

// Reads back every message, checks it against the size rules, and returns what it carried.
std::vector<Read> unpack(const std::vector<Bytes>& messages) {
  std::vector<Read> all;
  for (std::size_t m = 0; m < messages.size(); ++m) {
    SCOPED_TRACE(testing::Message() << "message " << m);
    const Bytes& message = messages[m];
    const StatusBatchReader reader(message);
    EXPECT_GT(reader.size(), 0u) << "an empty message";
    if (message.size() > max_status_message_bytes) {
      EXPECT_EQ(reader.size(), 1u) << "only a single record may make an oversized message";
    }
    for (Read& read : read_all(message)) all.push_back(std::move(read));
  }
  return all;
}

TEST(StatusBatcher, StartsAndEndsEmpty) {
  StatusBatcher batcher;
  EXPECT_TRUE(batcher.empty());
  EXPECT_TRUE(batcher.take().empty());
  batcher.add(record_for(1), {});
  EXPECT_FALSE(batcher.empty());
  EXPECT_EQ(batcher.take().size(), 1u);
  EXPECT_TRUE(batcher.empty());
  EXPECT_TRUE(batcher.take().empty());
}

TEST(StatusBatcher, SplitsIntoMessagesThatFitAndLosesNothing) {
  StatusBatcher batcher;
  std::vector<Sent> sent;
  std::size_t total_bytes = 0;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    const std::size_t size = i * 7919 % 1500;
    batcher.add(record_for(i), payload_for(i, size));
    sent.push_back({record_for(i), size});
    total_bytes += sizeof(StatusRecord) + size;
  }
  const std::vector<Bytes> messages = batcher.take();
  ASSERT_GT(total_bytes, 3 * max_status_message_bytes);
  EXPECT_GE(messages.size(), 4u);
  for (const Bytes& message : messages) EXPECT_LE(message.size(), max_status_message_bytes);
  const std::vector<Read> read = unpack(messages);
  ASSERT_EQ(read.size(), sent.size());
  for (std::uint32_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same_record(read[i].record, sent[i].record, sent[i].payload_size);
    EXPECT_EQ(read[i].payload, payload_for(i, sent[i].payload_size));
  }
  EXPECT_TRUE(batcher.empty());
}

TEST(StatusBatcher, FillsAMessageExactlyToTheLimit) {
  const std::size_t room =
      max_status_message_bytes - sizeof(MessageHeader) - 2 * sizeof(StatusRecord);
  StatusBatcher batcher;
  batcher.add(record_for(1), payload_for(1, room / 2));
  batcher.add(record_for(2), payload_for(2, room - room / 2));
  std::vector<Bytes> messages = batcher.take();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].size(), max_status_message_bytes);

  // One byte more and the second record starts a new message.
  batcher.add(record_for(1), payload_for(1, room / 2));
  batcher.add(record_for(2), payload_for(2, room - room / 2 + 1));
  messages = batcher.take();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(StatusBatchReader(messages[0]).size(), 1u);
  EXPECT_EQ(StatusBatchReader(messages[1]).size(), 1u);
  EXPECT_EQ(unpack(messages).size(), 2u);
}

TEST(StatusBatcher, OversizedRecordGetsAMessageOfItsOwn) {
  const std::size_t big = max_status_message_bytes + 1000;
  StatusBatcher batcher;
  std::vector<Sent> sent;
  auto add = [&](std::uint32_t i, std::size_t size) {
    batcher.add(record_for(i), payload_for(i, size));
    sent.push_back({record_for(i), size});
  };
  add(0, big);  // first
  add(1, 10);
  add(2, 20);
  add(3, big);  // between small ones
  add(4, big);  // right after another big one
  add(5, 0);
  add(6, big);  // last
  const std::vector<Bytes> messages = batcher.take();

  std::vector<std::size_t> records_per_message;
  for (const Bytes& message : messages) {
    records_per_message.push_back(StatusBatchReader(message).size());
  }
  EXPECT_THAT(records_per_message, testing::ElementsAre(1, 2, 1, 1, 1, 1));
  for (std::size_t m : {0, 2, 3, 5}) {
    EXPECT_EQ(messages[m].size(), sizeof(MessageHeader) + sizeof(StatusRecord) + big) << m;
  }
  const std::vector<Read> read = unpack(messages);
  ASSERT_EQ(read.size(), sent.size());
  for (std::uint32_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same_record(read[i].record, sent[i].record, sent[i].payload_size);
    EXPECT_EQ(read[i].payload, payload_for(i, sent[i].payload_size));
  }
}

TEST(StatusBatcher, KeepsOrderAcrossSeveralAddsAndTakes) {
  StatusBatcher batcher;
  std::vector<OutboxEntry> entries;
  for (std::uint32_t i = 0; i < 3; ++i) {
    entries.push_back(OutboxEntry{record_for(i), payload_for(i, 100'000)});
  }
  std::vector<StatusRecord> running = {record_for(3), record_for(6)};
  batcher.add(running);
  batcher.add(entries);
  batcher.add(record_for(9), bytes_of("tail"));
  const std::vector<Bytes> first = batcher.take();
  for (const Bytes& message : first) EXPECT_LE(message.size(), max_status_message_bytes);
  std::vector<Read> read = unpack(first);
  ASSERT_EQ(read.size(), 6u);
  std::vector<std::uint32_t> order;
  for (const Read& r : read) order.push_back(r.record.subtask);
  EXPECT_THAT(order, testing::ElementsAre(record_for(3).subtask, record_for(6).subtask,
                                          record_for(0).subtask, record_for(1).subtask,
                                          record_for(2).subtask, record_for(9).subtask));
  EXPECT_TRUE(read[0].payload.empty());
  EXPECT_EQ(read[2].payload, payload_for(0, 100'000));
  EXPECT_EQ(read[5].payload, bytes_of("tail"));

  batcher.add(record_for(10), {});
  read = unpack(batcher.take());
  ASSERT_EQ(read.size(), 1u);
  expect_same_record(read[0].record, record_for(10), 0);
}

TEST(Protocol, TimeLimitRoundTripsAndRefusesBadSizes) {
  const TimeLimit limit{2.5, 200, 1.25};
  const auto message = encode(limit);
  const TimeLimit back = decode_time_limit(message);
  EXPECT_EQ(back.seconds, 2.5);
  EXPECT_EQ(back.percent, 200);
  EXPECT_EQ(back.median_seconds, 1.25);
  EXPECT_EQ(describe(back), "the 2.5 s limit (200% of the median run time, 1.25 s)");
  EXPECT_THROW(decode_time_limit(std::span(message).first(message.size() - 1)), ProtocolError);
  EXPECT_THROW(decode_time_limit(encode(Stop{})), ProtocolError);
}

// --- the once-per-job messages and the closed set ---

TEST(ProtocolJob, ARunRoundTripsWithItsSpecAndEpoch) {
  const JobMessage job{true, 0, R"({"kernel":"primes","range":[0,100]})", 1'764'000'000.25,
                       "node17"};
  const Bytes message = encode(job);
  EXPECT_EQ(message_kind(message), MessageKind::job);
  EXPECT_EQ(decode_job(message), job);
  EXPECT_EQ(decode_job(message).coordinator_host, "node17");
}

TEST(ProtocolJob, AHostNameLongerThanTheTailIsAnError) {
  Bytes message = encode(JobMessage{true, 0, "{}", 1.5, "n1"});
  // host_bytes is the fifth 32-bit word of the body (after run, exit_code and the epoch).
  const std::uint32_t too_long = 1000;
  std::memcpy(message.data() + sizeof(MessageHeader) + 16, &too_long, sizeof too_long);
  EXPECT_THROW(decode_job(message), ProtocolError);
}

TEST(ProtocolJob, NoRunCarriesTheExitCode) {
  const JobMessage exit{false, 2, "", 0, ""};
  EXPECT_EQ(decode_job(encode(exit)), exit);
  EXPECT_FALSE(decode_job(encode(exit)).run);
  EXPECT_EQ(decode_job(encode(exit)).exit_code, 2);
}

TEST(ProtocolJob, TruncatedOrLongerIsAnError) {
  const Bytes message = encode(JobMessage{true, 0, "{}", 1.5, ""});
  EXPECT_THROW(decode_job(std::span(message).first(message.size() - 1)), ProtocolError);
  Bytes longer = message;
  longer.push_back(std::byte{'}'});
  EXPECT_THROW(decode_job(longer), ProtocolError);
  Bytes miscounted = message;
  MessageHeader header = header_of(miscounted);
  header.count = 0xFFFFFFFFu;  // a text length it does not have: no huge read
  set_header(miscounted, header);
  EXPECT_THROW(decode_job(miscounted), ProtocolError);
}

TEST(ProtocolHello, RoundTripsTheWorkersInfo) {
  const WorkerInfo worker{7,  "node-0042.cluster",    48,         123456789L,
                          48, {"0", "3", "GPU-5d1c"}, 64ull << 30};
  const Bytes message = encode(Hello{worker});
  EXPECT_EQ(message_kind(message), MessageKind::hello);
  EXPECT_EQ(decode_hello(message).worker, worker);
  const WorkerInfo no_host{1, "", 1, 1, 1, {}, 0};
  EXPECT_EQ(decode_hello(encode(Hello{no_host})).worker, no_host);
  EXPECT_THROW(decode_hello(std::span(message).first(message.size() - 1)), ProtocolError);
}

TEST(ProtocolStop, RoundTripsSkipFinalize) {
  EXPECT_FALSE(decode_stop(encode(Stop{false})).skip_finalize);
  EXPECT_TRUE(decode_stop(encode(Stop{true})).skip_finalize);
  const Bytes message = encode(Stop{true});
  EXPECT_THROW(decode_stop(std::span(message).first(message.size() - 1)), ProtocolError);
}

TEST(ProtocolToWorker, EveryMessageDecodesAsItself) {
  const std::vector<IdRun> runs = {IdRun{3, 4, 1}};
  const ToWorkerMessage assign = decode_to_worker(encode_assign(runs));
  ASSERT_TRUE(std::holds_alternative<Assign>(assign));
  EXPECT_EQ(std::get<Assign>(assign).runs, runs);

  EXPECT_TRUE(std::holds_alternative<Drain>(decode_to_worker(encode(Drain{}))));

  const ToWorkerMessage limit = decode_to_worker(encode(TimeLimit{2.5, 200, 1.25}));
  ASSERT_TRUE(std::holds_alternative<TimeLimit>(limit));
  EXPECT_EQ(std::get<TimeLimit>(limit).seconds, 2.5);

  const ToWorkerMessage stop = decode_to_worker(encode(Stop{true}));
  ASSERT_TRUE(std::holds_alternative<Stop>(stop));
  EXPECT_TRUE(std::get<Stop>(stop).skip_finalize);
}

TEST(ProtocolClosedSet, EachDirectionRefusesTheOthersMessages) {
  StatusBatchWriter writer;
  writer.add(record_for(1), {});
  const std::vector<Bytes> from_worker = {writer.finish(),
                                          encode(Heartbeat{}),
                                          encode(Drained{}),
                                          encode(Goodbye{}),
                                          encode(BatchFollows{1}),
                                          encode(Hello{WorkerInfo{}}),
                                          encode_terminal_block("x").front()};
  for (const Bytes& message : from_worker) {
    EXPECT_THROW(decode_to_worker(message), ProtocolError)
        << static_cast<int>(message_kind(message));
  }
  const std::vector<Bytes> to_worker = {encode_assign({}), encode(Drain{}), encode(TimeLimit{}),
                                        encode(Stop{}), encode(JobMessage{})};
  for (const Bytes& message : to_worker) {
    EXPECT_THROW(decode_from_worker(message), ProtocolError)
        << static_cast<int>(message_kind(message));
  }
}

TEST(ProtocolClosedSet, EachDecoderRefusesAnotherKind) {
  const Bytes stop = encode(Stop{});
  EXPECT_THROW(decode_assign(stop), ProtocolError);
  EXPECT_THROW(decode_hello(stop), ProtocolError);
  EXPECT_THROW(decode_job(stop), ProtocolError);
  EXPECT_THROW(decode_batch_follows(stop), ProtocolError);
  EXPECT_THROW(decode_stop(encode(TimeLimit{})), ProtocolError);  // same body size, other kind
  EXPECT_THROW(StatusBatchReader{encode_assign({})}, ProtocolError);
}

TEST(ProtocolTaskLines, TheTextArrivesAsSentAndOnlyAWorkerTakesIt) {
  const std::string text = "[[7, [3, \"echo 'a b' \\\"c\\\"\"]]]";
  const Bytes message = encode(TaskLines{text});
  EXPECT_EQ(message_kind(message), MessageKind::task_lines);
  const ToWorkerMessage decoded = decode_to_worker(message);
  ASSERT_TRUE(std::holds_alternative<TaskLines>(decoded));
  EXPECT_EQ(std::get<TaskLines>(decoded).json, text);
  EXPECT_THROW(decode_from_worker(message), ProtocolError);
  Bytes cut = message;
  cut.pop_back();
  EXPECT_THROW(decode_to_worker(cut), ProtocolError);
}

// The chunks of a block, joined in order, are the block; only the last is flagged last.
std::string joined_chunks(const std::vector<Bytes>& messages) {
  std::string joined;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_LE(messages[i].size(), max_status_message_bytes);
    EXPECT_EQ(message_kind(messages[i]), MessageKind::terminal_block);
    const FromWorkerMessage decoded = decode_from_worker(messages[i]);
    const auto* chunk = std::get_if<TerminalChunk>(&decoded);
    if (chunk == nullptr) {
      ADD_FAILURE() << "chunk " << i << " is not a TerminalChunk";
      continue;
    }
    EXPECT_EQ(chunk->last, i + 1 == messages.size()) << i;
    joined.append(chunk->bytes);
  }
  return joined;
}

TEST(ProtocolTerminalBlock, ASmallBlockIsOneLastChunk) {
  const std::string block = std::string("T1-0\nT1-err0\n\0binary\xff", 22);
  const std::vector<Bytes> messages = encode_terminal_block(block);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(joined_chunks(messages), block);
  const TerminalChunk chunk = decode_terminal_chunk(messages[0]);
  EXPECT_TRUE(chunk.last);
  EXPECT_EQ(chunk.bytes, block);
  // Read in place: the chunk views the message.
  EXPECT_EQ(static_cast<const void*>(chunk.bytes.data()),
            static_cast<const void*>(messages[0].data() + messages[0].size() - block.size()));
}

TEST(ProtocolTerminalBlock, AnEmptyBlockIsOneEmptyLastChunk) {
  const std::vector<Bytes> messages = encode_terminal_block("");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(joined_chunks(messages), "");
}

TEST(ProtocolTerminalBlock, ABigBlockIsSplitIntoChunksThatFitRankZerosBuffer) {
  for (const std::size_t size : {max_terminal_chunk_bytes, max_terminal_chunk_bytes + 1,
                                 3 * max_terminal_chunk_bytes + 17}) {
    SCOPED_TRACE(size);
    std::string block(size, '\0');
    for (std::size_t i = 0; i < size; ++i) block[i] = static_cast<char>('a' + i % 26);
    const std::vector<Bytes> messages = encode_terminal_block(block);
    EXPECT_EQ(messages.size(), (size + max_terminal_chunk_bytes - 1) / max_terminal_chunk_bytes);
    EXPECT_EQ(messages.front().size(), max_status_message_bytes);  // a full chunk fills it
    EXPECT_EQ(joined_chunks(messages), block);
  }
}

TEST(ProtocolTerminalBlock, ABadChunkIsAnError) {
  const Bytes message = encode_terminal_block("abc").front();
  Bytes cut = message;
  cut.pop_back();
  EXPECT_THROW(decode_terminal_chunk(cut), ProtocolError);
  Bytes longer = message;
  longer.push_back(std::byte{0});
  EXPECT_THROW(decode_from_worker(longer), ProtocolError);
  EXPECT_THROW(decode_terminal_chunk(std::span(message).first(sizeof(MessageHeader) + 2)),
               ProtocolError);
  Bytes bad_flag = message;
  bad_flag[sizeof(MessageHeader)] = std::byte{2};
  EXPECT_THROW(decode_terminal_chunk(bad_flag), ProtocolError);
  EXPECT_THROW(decode_terminal_chunk(encode(Goodbye{})), ProtocolError);
  EXPECT_THROW(decode_to_worker(message), ProtocolError);
}

TEST(ProtocolClosedSet, UnknownKindsAndOtherVersionsAreErrors) {
  const std::vector<Bytes> messages = {encode(JobMessage{true, 0, "{}", 1, "n"}),
                                       encode(Hello{WorkerInfo{1, "h", 2, 3, 2, {}, 0}}),
                                       encode_assign({}),
                                       encode(Drain{}),
                                       encode(TimeLimit{}),
                                       encode(Stop{}),
                                       encode(Heartbeat{}),
                                       encode(Drained{}),
                                       encode(Goodbye{}),
                                       encode(BatchFollows{5}),
                                       encode(TaskLines{"[]"}),
                                       encode_terminal_block("T0-1\n").front()};
  for (const Bytes& original : messages) {
    SCOPED_TRACE(static_cast<int>(message_kind(original)));
    Bytes message = original;
    MessageHeader header = header_of(message);
    header.version = protocol_version - 1;
    set_header(message, header);
    EXPECT_THROW(message_kind(message), ProtocolError);
    EXPECT_THROW(decode_to_worker(message), ProtocolError);
    EXPECT_THROW(decode_from_worker(message), ProtocolError);
  }
  Bytes unknown = encode(Drain{});
  MessageHeader header = header_of(unknown);
  for (const std::uint32_t kind : {0u, 14u, 0xFFFFFFFFu}) {
    header.kind = static_cast<MessageKind>(kind);
    set_header(unknown, header);
    EXPECT_THROW(message_kind(unknown), ProtocolError) << kind;
  }
}

}  // namespace
}  // namespace tasktrack
