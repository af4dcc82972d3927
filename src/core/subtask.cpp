#include "tasktrack/subtask.hpp"

namespace tasktrack {

std::string_view to_string(SubtaskState state) {
  switch (state) {
    case SubtaskState::pending:
      return "pending";
    case SubtaskState::assigned:
      return "assigned";
    case SubtaskState::running:
      return "running";
    case SubtaskState::done:
      return "done";
    case SubtaskState::failed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(FailureReason reason) {
  switch (reason) {
    case FailureReason::none:
      return "none";
    case FailureReason::exception:
      return "exception";
    case FailureReason::exit_code:
      return "exit_code";
    case FailureReason::signal:
      return "signal";
    case FailureReason::timeout:
      return "timeout";
    case FailureReason::worker_lost:
      return "worker_lost";
    case FailureReason::crashed_worker:
      return "crashed_worker";
  }
  return "unknown";
}

}  // namespace tasktrack
