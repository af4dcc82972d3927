// Writes the seed journals of fuzz/corpus/journal/ (committed; rerun after a format change):
//   journal_seeds DIR
// Small on purpose: a fuzzer mutates a few hundred bytes far better than megabytes.
#include <cstdio>
#include <string>

#include "journal/journal.hpp"

namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

tasktrack::JournalAttempt attempt(tasktrack::SubtaskId id, tasktrack::SubtaskState state,
                                  tasktrack::FailureReason reason, std::vector<std::byte> payload) {
  tasktrack::JournalAttempt result;
  result.subtask = id;
  result.state = state;
  result.reason = reason;
  result.thread = 1;
  result.attempt = state == tasktrack::SubtaskState::failed ? 2 : 0;
  result.rank = static_cast<std::int32_t>(id % 3);
  result.start_unix = 1700000000.0 + id;
  result.end_unix = 1700000000.5 + id;
  result.value = 1000 + id;
  result.payload = std::move(payload);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: journal_seeds DIR\n");
    return 2;
  }
  const std::string directory = argv[1];
  tasktrack::JobSpec job;
  job.work = tasktrack::RangeJob{"primes", {0, 1000}, {}};
  job.subtasks = 8;
  const std::string fingerprint = tasktrack::job_fingerprint(job);
  using tasktrack::FailureReason;
  using tasktrack::SubtaskState;

  {  // a header and nothing else: a job that died before its first result
    const std::string path = directory + "/header_only.journal";
    std::remove(path.c_str());
    tasktrack::JournalWriter writer(path, fingerprint);
  }
  {  // one session, done and failed attempts, empty and binary payloads
    const std::string path = directory + "/one_session.journal";
    std::remove(path.c_str());
    tasktrack::JournalWriter writer(path, fingerprint);
    writer.append_session({{"workers", {{{"rank", 1}, {"host", "node-a"}, {"threads", 2}}}}});
    writer.append(attempt(0, SubtaskState::done, FailureReason::none, {}));
    writer.append(attempt(1, SubtaskState::done, FailureReason::none,
                          {std::byte{0}, std::byte{0xff}, std::byte{7}}));
    tasktrack::JournalRun run;  // fast subtasks 3..6 as one run record
    run.first = 3;
    run.rank = 1;
    run.values = {1, 2, 3, 4};
    writer.append_run(run);
    writer.append(attempt(2, SubtaskState::failed, FailureReason::exception,
                          bytes_of("division by zero\nat line 3")));
  }
  {  // a resumed job: two sessions, a failure later done
    job.range_job()->kernel = "pi";
    job.range_job()->params = {{"seed", "1"}};
    const std::string path = directory + "/resumed.journal";
    std::remove(path.c_str());
    tasktrack::JournalWriter writer(path, tasktrack::job_fingerprint(job));
    writer.append_session({{"session", 1}});
    writer.append(attempt(5, SubtaskState::failed, FailureReason::timeout, bytes_of("timed out")));
    writer.append_session({{"session", 2}, {"workers", nlohmann::json::array()}});
    writer.append(attempt(5, SubtaskState::done, FailureReason::none, bytes_of("ok")));
  }
  return 0;
}
