#include "core/worker_roster.hpp"

#include <algorithm>
#include <string>

#include "runtime/protocol.hpp"

namespace tasktrack {

WorkerRoster::WorkerRoster(std::span<const WorkerInfo> workers, int ranks)
    : index_(static_cast<std::size_t>(ranks), -1) {
  for (const WorkerInfo& info : workers) {
    total_threads_ += info.threads;
    index_.at(info.rank) = static_cast<int>(workers_.size());
    WorkerState state;
    state.info = info;
    workers_.push_back(std::move(state));
  }
  active_ = workers_.size();
}

WorkerState& WorkerRoster::at(int rank) {
  const int index = rank >= 0 && rank < static_cast<int>(index_.size()) ? index_[rank] : -1;
  if (index < 0) {
    throw ProtocolError("status batch from rank " + std::to_string(rank) +
                        ", which is not a worker");
  }
  return workers_[index];
}

void WorkerRoster::set_health(WorkerState& worker, Health health) {
  if (worker.health == health || worker.health == Health::lost) return;
  if (worker.health == Health::active) --active_;
  if (health == Health::active) ++active_;
  worker.health = health;
}

bool WorkerRoster::any_lost_or_dead() const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [](const WorkerState& w) { return w.health == Health::lost || w.dead; });
}

bool WorkerRoster::note_failed_attempt(WorkerState& worker, SubtaskId subtask,
                                       std::uint32_t attempt, std::uint32_t quarantine_after) {
  auto& streak = worker.failure_streak;
  if (attempt == 0 && std::find(streak.begin(), streak.end(), subtask) == streak.end()) {
    streak.push_back(subtask);
  }
  if (quarantine_after == 0 || streak.size() < quarantine_after) return false;
  if (worker.health != Health::active || active_count() <= 1) return false;
  set_health(worker, Health::quarantined);
  return true;
}

}  // namespace tasktrack
