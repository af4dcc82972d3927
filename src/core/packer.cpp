#include "core/packer.hpp"

#include <algorithm>
#include <tuple>

namespace tasktrack {

namespace {

Resources free_of(const Tracker& tracker, const WorkerState& worker) {
  return saturating_minus(worker.info.capacity(), tracker.in_use(worker.info.rank));
}

}  // namespace

Packer::Packer(std::vector<Resources> requirements, double reserve_after)
    : requirements_(std::move(requirements)),
      reserve_after_(reserve_after),
      waiting_since_(requirements_.size(), 0),
      alone_for_class_(requirements_.size(), 1) {}

void Packer::start(double now) {
  waiting_since_.assign(requirements_.size(), now);
}

void Packer::note_workers(std::span<const WorkerState> workers) {
  alone_for_class_.assign(requirements_.size(), 0);
  for (std::size_t c = 0; c < requirements_.size(); ++c) {
    const auto holders =
        std::count_if(workers.begin(), workers.end(), [&](const WorkerState& worker) {
          return worker.health == Health::active && fits(requirements_[c], worker.info.capacity());
        });
    alone_for_class_[c] = holders <= 1 ? 1 : 0;
  }
}

void Packer::top_up(Tracker& tracker, const WorkerState& worker, std::vector<IdRun>& runs,
                    double now, const std::function<bool(SubtaskId)>& may_start) {
  const std::span<const std::uint8_t> alone = alone_for_class_;
  const int rank = worker.info.rank;
  if (rank == reserved_rank_) {
    // Hold what frees up until the reserved task fits.
    const int taken = tracker.assign_fitting(rank, free_of(tracker, worker), runs, alone,
                                             reserved_class_, may_start);
    if (taken < 0) return;
    waiting_since_[static_cast<std::size_t>(taken)] = now;
    reserved_rank_ = -1;
    reserved_class_ = -1;
  }
  for (int taken = 0; taken >= 0;) {
    taken = tracker.assign_fitting(rank, free_of(tracker, worker), runs, alone, -1, may_start);
    if (taken >= 0) waiting_since_[static_cast<std::size_t>(taken)] = now;
  }
}

bool Packer::check_reservation(const Tracker& tracker, std::span<const WorkerState> workers,
                               double now) {
  note_workers(workers);
  if (reserved_rank_ >= 0) {
    for (const WorkerState& worker : workers) {
      if (worker.info.rank == reserved_rank_ && worker.health != Health::active) {
        reserved_rank_ = -1;
        reserved_class_ = -1;
      }
    }
  }
  const int first = tracker.first_pending_class();
  if (first < 0) return false;
  const Resources& need = requirements_[static_cast<std::size_t>(first)];
  const WorkerState* best = nullptr;
  Resources best_free{0, 0, 0};
  for (const WorkerState& worker : workers) {
    if (worker.health != Health::active || !fits(need, worker.info.capacity())) continue;
    const Resources free = free_of(tracker, worker);
    if (fits(need, free)) return true;
    if (best == nullptr || std::tie(free.gpus, free.cores, free.memory_bytes) >
                               std::tie(best_free.gpus, best_free.cores, best_free.memory_bytes)) {
      best = &worker;
      best_free = free;
    }
  }
  if (reserved_rank_ < 0 && best != nullptr &&
      now - waiting_since_[static_cast<std::size_t>(first)] >= reserve_after_) {
    reserved_rank_ = best->info.rank;
    reserved_class_ = first;
  }
  return false;
}

std::vector<std::uint16_t> Packer::unrunnable_classes(std::span<const WorkerState> workers) const {
  std::vector<std::uint16_t> unrunnable;
  for (std::size_t c = 0; c < requirements_.size(); ++c) {
    bool runnable = false;
    for (const WorkerState& worker : workers) {
      if (worker.health == Health::active && fits(requirements_[c], worker.info.capacity())) {
        runnable = true;
        break;
      }
    }
    if (!runnable) unrunnable.push_back(static_cast<std::uint16_t>(c));
  }
  return unrunnable;
}

}  // namespace tasktrack
