// Turns accepted attempts into journal records: a failed-for-good or slow or payload-carrying
// attempt is one record; fast done subtasks with no payload, finished one after the other
// by one thread, become one run record (8 bytes each instead of a record each). Pure: it
// hands the records to JobEffects.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "core/job_effects.hpp"
#include "core/worker_info.hpp"

namespace tasktrack {

class JournalRecorder {
 public:
  // `epoch_unix`: the job clock's zero as a date; `key`: Kernel::subtask_key.
  JournalRecorder(double epoch_unix, std::function<std::uint64_t(SubtaskId)> key)
      : epoch_unix_(epoch_unix), key_(std::move(key)) {}

  // A done attempt that was accepted (its subtask's first completion), reported by
  // `worker`. An attempt with a report (placement, cost) gets a record of its own.
  void done(const WorkerInfo& worker, const StatusRecord& record,
            std::span<const std::byte> payload, const AttemptReport* report, JobEffects& effects);
  // Any other attempt worth a record of its own: a failure, for good or `retried`. `report`
  // may be null; its GPU mask is turned into `worker`'s GPU ids.
  void attempt(const WorkerInfo& worker, const StatusRecord& record,
               std::span<const std::byte> payload, const AttemptReport* report, JobEffects& effects,
               bool retried = false);
  // Ends the pending run: call before any other record and before the journal is flushed.
  void flush(JobEffects& effects);

 private:
  double epoch_unix_;
  std::function<std::uint64_t(SubtaskId)> key_;
  JournalRun pending_run_;  // fast consecutive done subtasks not yet recorded
};

}  // namespace tasktrack
