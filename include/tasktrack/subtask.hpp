// Subtask identity, life-cycle states and failure reasons: the vocabulary shared by the
// tracker, the protocol, the journal and the summary.
#pragma once

#include <cstdint>
#include <string_view>

namespace tasktrack {

// Subtask ids are 0..N-1 and depend only on the job (range and subtask count), never on
// the number of ranks or threads.
using SubtaskId = std::uint32_t;

// pending -> assigned -> running -> done | failed. `running` is optional: a subtask that
// finishes before its worker reports it running goes straight from assigned to done.
enum class SubtaskState : std::uint8_t { pending, assigned, running, done, failed };

// Why an attempt failed. Failures travel as data, never as exceptions across ranks.
enum class FailureReason : std::uint8_t {
  none,
  exception,
  exit_code,
  signal,
  timeout,
  worker_lost,
  // It was running on every worker that died under it, up to --crash-limit of them (issue
  // 14). Last: the journal and the wire carry reasons as numbers.
  crashed_worker,
};

std::string_view to_string(SubtaskState state);
std::string_view to_string(FailureReason reason);

}  // namespace tasktrack
