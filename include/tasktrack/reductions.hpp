// Ready-made reductions for kernels whose result is simple, so that a kernel author needs no
// Reduction class of their own for the common case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tasktrack/kernel.hpp"

namespace tasktrack {

// Sums every subtask's SubtaskResult::value; the payload is ignored. The result is
// {key: sum} and the summary line "key: sum". A sum does not depend on the order of `add`
// calls, so it meets Reduction's contract for any kernel whose per-subtask values add up
// to the answer (counts, sums, element totals).
//
//   std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
//     return std::make_unique<SumReduction>("squares");
//   }
//
// Like every Reduction: single-threaded, rank 0 only. add() throws std::overflow_error when
// the sum would leave the int64 range (rather than wrap round to a wrong answer).
class SumReduction : public Reduction {
 public:
  explicit SumReduction(std::string key);

  void add(SubtaskId id, Range range, std::int64_t value,
           std::span<const std::byte> payload) override;
  nlohmann::json finish() override;
  std::string describe() const override;

  // The sum so far.
  std::int64_t sum() const { return sum_; }

 private:
  std::string key_;
  std::int64_t sum_ = 0;
};

}  // namespace tasktrack
