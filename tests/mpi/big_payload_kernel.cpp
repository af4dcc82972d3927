// tasktrack_big_payload: the tasktrack program plus one kernel whose results are too big
// for rank 0's posted receive, for tests/mpi/test_oversized_batch.cpp:
//
//   big_payload  bytes=N   every subtask returns N payload bytes that depend on its id
//
// Its reduction checks every payload it is given against what the subtask must have made
// and sums to {"subtasks": S, "intact": I, "bytes": B, "checksum": C}: a payload that
// arrived cut, shifted or mixed with another's lowers `intact` and changes `checksum`.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tasktrack/app.hpp"
#include "tasktrack/kernel.hpp"

namespace {

using tasktrack::Kernel;
using tasktrack::KernelInfo;
using tasktrack::ParamType;
using tasktrack::ParamValues;
using tasktrack::Partition;
using tasktrack::Range;
using tasktrack::Reduction;
using tasktrack::SubtaskContext;
using tasktrack::SubtaskId;
using tasktrack::SubtaskResult;

// The payload subtask `id` makes: not a repeated pattern, so a shifted copy does not match.
std::vector<std::byte> payload_for(SubtaskId id, std::size_t bytes) {
  std::vector<std::byte> payload(bytes);
  std::uint64_t state = 0x9E3779B97F4A7C15ull * (id + 1);
  for (std::byte& b : payload) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    b = static_cast<std::byte>(state & 0xFF);
  }
  return payload;
}

// FNV-1a over the payload, seeded with the id.
std::uint64_t checksum_of(SubtaskId id, std::span<const std::byte> payload) {
  std::uint64_t hash = 14695981039346656037ull ^ id;
  for (const std::byte b : payload) {
    hash ^= static_cast<std::uint64_t>(b);
    hash *= 1099511628211ull;
  }
  return hash;
}

class BigPayloadReduction final : public Reduction {
 public:
  explicit BigPayloadReduction(std::size_t bytes) : bytes_(bytes) {}
  void add(SubtaskId id, Range, std::int64_t, std::span<const std::byte> payload) override {
    ++subtasks_;
    total_bytes_ += payload.size();
    checksum_ += checksum_of(id, payload);  // a sum: the order of arrival does not matter
    const std::vector<std::byte> expected = payload_for(id, bytes_);
    if (std::equal(payload.begin(), payload.end(), expected.begin(), expected.end())) ++intact_;
  }
  nlohmann::json finish() override {
    return {{"subtasks", subtasks_},
            {"intact", intact_},
            {"bytes", total_bytes_},
            {"checksum", std::to_string(checksum_)}};
  }
  std::string describe() const override {
    return "big_payload: " + std::to_string(intact_) + " of " + std::to_string(subtasks_) +
           " payloads intact";
  }

 private:
  std::size_t bytes_;
  std::uint64_t subtasks_ = 0;
  std::uint64_t intact_ = 0;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t checksum_ = 0;
};

class BigPayloadKernel final : public Kernel {
 public:
  explicit BigPayloadKernel(std::size_t bytes) : bytes_(bytes) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    return {static_cast<std::int64_t>(context.id), payload_for(context.id, bytes_)};
  }
  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<BigPayloadReduction>(bytes_);
  }

 private:
  std::size_t bytes_;
};

KernelInfo big_payload_info() {
  return {.name = "big_payload",
          .description = "test: every subtask returns a payload of `bytes` bytes",
          .params = {{.name = "bytes",
                      .type = ParamType::integer,
                      .default_value = "2097152",
                      .description = "payload bytes per subtask",
                      .choices = {},
                      .min = 0,
                      .max = 64 << 20}},
          .make = [](const ParamValues& values) {
            return std::make_unique<BigPayloadKernel>(
                static_cast<std::size_t>(values.integer("bytes")));
          }};
}

}  // namespace

int main(int argc, char** argv) {
  tasktrack::KernelRegistry& registry = tasktrack::kernel_registry();  // the built-ins
  registry.add(big_payload_info());
  return tasktrack::run_main(argc, argv, registry);
}
