#include "journal/journal_records.hpp"

namespace tasktrack {

void for_each_attempt(const JournalContents& contents,
                      const std::function<void(const JournalAttempt&)>& visit) {
  for (const JournalAttempt& attempt : contents.attempts) visit(attempt);
  JournalAttempt attempt;
  attempt.state = SubtaskState::done;
  for (const JournalRun& run : contents.runs) {
    const std::size_t count = run.values.size();
    attempt.thread = run.thread;
    attempt.attempt = run.attempt;
    attempt.rank = run.rank;
    for (std::size_t i = 0; i < count; ++i) {
      attempt.subtask = run.first + static_cast<SubtaskId>(i);
      const TimeSpan span = run_subtask_span(run, i);
      attempt.start_unix = span.start_unix;
      attempt.end_unix = span.end_unix;
      attempt.value = run.values[i];
      attempt.key = run.keys.empty() ? 0 : run.keys[i];
      visit(attempt);
    }
  }
}

}  // namespace tasktrack
