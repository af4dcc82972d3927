// replay(): the one reading of a journal's records into what became of each subtask, used
// by resume, `tasktrack status` and `tasktrack report`, so that the three can never tell
// different stories about one journal.
//
// The rules, once:
// - A record counts only while its subtask is still the same work (CurrentWork): a task
//   list's edited line is new work, a line beyond the end of a shortened file is gone.
//   Without a CurrentWork every record counts.
// - A subtask done in any counted record is done; the record that says so first (single
//   records in file order, then runs in file order, as for_each_attempt() visits them) is
//   the one kept. A done subtask is never run again, so a later failed record of it does
//   not undo it.
// - A subtask with counted records but none done failed for good when its last failed
//   record says so (attempt number, reason, detail); when that record is a retried attempt,
//   the run was cut off before the next attempt ended: the subtask is work left.
// - Sessions are read field by field, defensively: a field of the wrong type is absent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "journal/fingerprint.hpp"
#include "journal/journal_records.hpp"

namespace tasktrack {

// A worker as a session record names it.
struct SessionWorker {
  std::int32_t rank = 0;
  std::string host;               // "" when not named
  std::uint64_t threads = 0;      // 0 when not named
  std::vector<std::string> gpus;  // the GPU ids it owned; empty when none or not named
};

// One run of the job, from its session record.
struct JournalSession {
  double started_unix = std::numeric_limits<double>::quiet_NaN();  // NaN when not recorded
  std::int64_t ranks = 0;
  std::uint64_t resumed = 0;           // subtasks it found done in the journal
  std::string slurm_job_id;            // "" outside Slurm
  std::vector<SessionWorker> workers;  // those with a rank that fits an int32
};

// A subtask done, by the record that first said so.
struct DoneSubtask {
  SubtaskId subtask = 0;
  std::int32_t rank = 0;
  std::int64_t value = 0;
  // The single record that said so, or nullptr when a run record did (a run keeps no
  // payload and no times of its own per subtask).
  const JournalAttempt* record = nullptr;
  // The result bytes for the kernel's reduction: empty for a run's subtask.
  std::span<const std::byte> payload() const {
    return record != nullptr ? std::span<const std::byte>(record->payload)
                             : std::span<const std::byte>();
  }
};

// The work a job has now, which a record must match to count: a subtask id below `total`
// whose key(id) (Kernel::subtask_key) equals the record's key. `key` is called only for
// ids below `total`.
struct CurrentWork {
  std::uint64_t total = 0;
  std::function<std::uint64_t(SubtaskId)> key;
};

// The crashes (issue 14) charged to a subtask still to run: the crash records (reason
// crashed_worker, retried) after its last failure for good, in file order. A subtask that
// failed for good starts a resumed run, if it runs again, with no crashes, as it starts
// with its full retries.
struct CrashHistory {
  SubtaskId subtask = 0;
  std::vector<const JournalAttempt*> records;
};

// A journal's history. It points into the JournalContents it was replayed from (the
// records of `done` and `failed`, their payloads): keep those alive and unchanged while
// the history is in use.
struct JournalHistory {
  const JournalContents* contents = nullptr;
  RecordedJob job;                            // from the fingerprint
  std::vector<JournalSession> sessions;       // one per session record, in file order
  std::vector<DoneSubtask> done;              // one per done subtask, by id
  std::vector<const JournalAttempt*> failed;  // one per subtask failed for good, by id
  // One per subtask neither done nor failed for good whose last record is a retried attempt
  // (the run was cut off before its next attempt ended), by id: work left, whose next
  // attempt is numbered on from that record's.
  std::vector<const JournalAttempt*> interrupted;
  // One per interrupted subtask that crashed workers, by id.
  std::vector<CrashHistory> crashes;
  // The latest end time of any record, counted or not (NaN ends are skipped); -1: none.
  double last_end_unix = -1;

  // Every attempt the journal records, counted or not, as for_each_attempt() visits them:
  // the timeline the report draws.
  void for_each_attempt(const std::function<void(const JournalAttempt&)>& visit) const {
    tasktrack::for_each_attempt(*contents, visit);
  }
};

// Replays `contents`, counting every record (status of a kernel job, the report).
JournalHistory replay(const JournalContents& contents);
// Replays `contents`, counting only the records that match `work` (resume; status of a
// task list whose file can be read).
JournalHistory replay(const JournalContents& contents, const CurrentWork& work);
// A history points into its contents: a temporary would leave it dangling.
JournalHistory replay(JournalContents&&) = delete;
JournalHistory replay(JournalContents&&, const CurrentWork&) = delete;

}  // namespace tasktrack
