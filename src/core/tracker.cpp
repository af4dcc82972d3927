#include "core/tracker.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace tasktrack {

namespace {
// Attempts are stored in a byte; the CLI caps --retries below this.
constexpr std::uint32_t max_attempt = 255;
}  // namespace

Tracker::Tracker(std::uint32_t subtask_count, std::uint32_t max_retries, int ranks)
    : max_retries_(std::min(max_retries, max_attempt)),
      states_(subtask_count, SubtaskState::pending),
      attempts_(subtask_count, 0),
      ranks_(subtask_count, 0),
      outstanding_(static_cast<std::size_t>(std::max(ranks, 1)), 0),
      fresh_left_(subtask_count),
      dispatch_limit_(subtask_count) {}

std::uint32_t Tracker::pending() const {
  std::uint32_t waiting = 0;
  for (const Retry& retry : retry_queue_) {
    waiting += states_[retry.id] == SubtaskState::pending ? 1 : 0;
  }
  return fresh_left_ + waiting;
}

std::uint32_t Tracker::outstanding_total() const {
  return std::accumulate(outstanding_.begin(), outstanding_.end(), 0u);
}

std::uint32_t Tracker::assign_next(int rank, std::uint32_t count, std::vector<IdRun>& out,
                                   bool rank_is_alone) {
  std::uint32_t given = 0;
  auto append = [&](SubtaskId id) {
    give(rank, id, out);
    ++given;
  };
  // Retries first. Entries that finished meanwhile (a late first completion) are dropped;
  // entries that should avoid this rank stay queued for another one.
  for (std::size_t i = 0; i < retry_queue_.size() && given < count;) {
    const Retry retry = retry_queue_[i];
    if (states_[retry.id] != SubtaskState::pending) {
      retry_queue_.erase(retry_queue_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (retry.avoid_rank == rank && !rank_is_alone) {
      ++i;
    } else {
      retry_queue_.erase(retry_queue_.begin() + static_cast<std::ptrdiff_t>(i));
      append(retry.id);
    }
  }
  // Then fresh subtasks in id order, skipping those a journal says are finished, up to the
  // first barrier that holds.
  while (given < count && fresh_left_ > 0 && next_fresh_ < dispatch_limit_) {
    if (states_[next_fresh_] == SubtaskState::pending) {
      append(next_fresh_);
      --fresh_left_;
    }
    ++next_fresh_;
  }
  outstanding_.at(rank) += given;
  return given;
}

std::optional<SubtaskId> Tracker::peek_next(int rank, bool rank_is_alone) const {
  for (const Retry& retry : retry_queue_) {
    if (states_[retry.id] != SubtaskState::pending) continue;
    if (retry.avoid_rank == rank && !rank_is_alone) continue;
    return retry.id;
  }
  if (fresh_left_ == 0) return std::nullopt;
  for (SubtaskId id = next_fresh_; id < dispatch_limit_; ++id) {
    if (states_[id] == SubtaskState::pending) return id;
  }
  return std::nullopt;
}

void Tracker::give(int rank, SubtaskId id, std::vector<IdRun>& out) {
  states_[id] = SubtaskState::assigned;
  ranks_[id] = static_cast<std::uint16_t>(rank);
  const std::uint32_t attempt = attempt_number(id);
  if (!out.empty() && out.back().attempt == attempt && out.back().first + out.back().count == id) {
    ++out.back().count;
  } else {
    out.push_back(IdRun{id, 1, attempt});
  }
}

std::optional<SubtaskId> Tracker::first_pending() const {
  if (!packing()) return peek_next(-1, true);
  for (const Retry& retry : retry_queue_) {
    if (states_[retry.id] == SubtaskState::pending) return retry.id;
  }
  SubtaskId best = total();
  for (std::size_t c = 0; c < requirements_.size(); ++c) {
    const std::vector<SubtaskId>& ids = fresh_of_class_[c];
    for (std::size_t i = fresh_cursor_[c]; i < ids.size(); ++i) {
      if (states_[ids[i]] == SubtaskState::pending) {
        best = std::min(best, ids[i]);
        break;
      }
    }
  }
  if (best >= dispatch_limit_) return std::nullopt;
  return best;
}

std::uint32_t Tracker::release_rank(int rank) {
  return release_of(rank, /*charge_running=*/false).released;
}

Tracker::LostRankRelease Tracker::release_lost_rank(int rank) {
  return release_of(rank, /*charge_running=*/true);
}

Tracker::LostRankRelease Tracker::release_of(int rank, bool charge_running) {
  LostRankRelease result;
  for (SubtaskId id = 0; id < next_fresh_; ++id) {
    const SubtaskState state = states_[id];
    if ((state != SubtaskState::assigned && state != SubtaskState::running) || ranks_[id] != rank) {
      continue;
    }
    if (charge_running && state == SubtaskState::running) {
      const std::uint32_t crashes = ++crashes_[id];
      result.charged.push_back(id);
      if (crash_limit_ > 0 && crashes >= crash_limit_) {
        states_[id] = SubtaskState::failed;
        ++failed_;
        result.crashed_out.push_back(id);
        note_finished(id);
        continue;
      }
    }
    states_[id] = SubtaskState::pending;
    retry_queue_.push_front(Retry{id, -1});
    ++result.released;
  }
  outstanding_.at(rank) = 0;
  if (packing()) in_use_.at(rank) = Resources{0, 0, 0};
  reassigned_ += result.released;
  return result;
}

std::uint32_t Tracker::crashes(SubtaskId id) const {
  (void)states_.at(id);  // std::out_of_range for an unknown id
  const auto found = crashes_.find(id);
  return found == crashes_.end() ? 0 : found->second;
}

void Tracker::restore_crashes(SubtaskId id, std::uint32_t crashes) {
  check_id_range(id);
  if (next_fresh_ > 0) throw std::logic_error("Tracker::restore_crashes: only before any dispatch");
  if (crashes > 0) crashes_[id] = crashes;
}

bool Tracker::restore_done(SubtaskId id) {
  check_id_range(id);
  if (states_[id] == SubtaskState::done) return false;
  const bool was_pending = states_[id] == SubtaskState::pending;
  if (was_pending) --fresh_left_;
  if (states_[id] == SubtaskState::failed) --failed_;
  states_[id] = SubtaskState::done;
  ++done_;
  if (was_pending) note_finished(id);
  return true;
}

void Tracker::restore_failed(SubtaskId id, std::uint32_t attempt) {
  check_id_range(id);
  if (states_[id] != SubtaskState::pending) return;
  --fresh_left_;
  states_[id] = SubtaskState::failed;
  // It keeps its recorded number: attempt(id) then says which attempt failed last.
  if (first_attempt_.empty()) first_attempt_.assign(states_.size(), 0);
  first_attempt_[id] = attempt;
  attempts_[id] = 0;
  ++failed_;
  note_finished(id);
}

bool Tracker::continue_attempts(SubtaskId id, std::uint32_t last_attempt) {
  check_id_range(id);
  if (states_[id] != SubtaskState::pending || next_fresh_ > 0) {
    throw std::logic_error("Tracker::continue_attempts: only before any dispatch");
  }
  if (last_attempt >= max_attempt_number - max_retries_) return false;
  if (first_attempt_.empty()) first_attempt_.assign(states_.size(), 0);
  first_attempt_[id] = last_attempt + 1;
  return true;
}

std::vector<SubtaskId> Tracker::fail_pending() {
  std::vector<SubtaskId> failed;
  for (SubtaskId id = 0; id < total(); ++id) {
    if (states_[id] != SubtaskState::pending) continue;
    states_[id] = SubtaskState::failed;
    ++failed_;
    failed.push_back(id);
    note_finished(id);
  }
  retry_queue_.clear();
  fresh_left_ = 0;
  next_fresh_ = total();
  return failed;
}

void Tracker::set_barriers(std::vector<SubtaskId> phase_starts, std::vector<bool> checks) {
  if (phase_starts.size() != checks.size() ||
      !std::is_sorted(phase_starts.begin(), phase_starts.end()) ||
      (!phase_starts.empty() && phase_starts.back() > total()) || next_fresh_ > 0) {
    throw std::logic_error("Tracker::set_barriers: sorted starts, one check each, before dispatch");
  }
  phase_starts_ = std::move(phase_starts);
  barrier_checks_ = std::move(checks);
  unfinished_in_phase_.assign(phase_starts_.size() + 1, 0);
  for (SubtaskId id = 0; id < total(); ++id) {
    if (states_[id] != SubtaskState::done && states_[id] != SubtaskState::failed) {
      ++unfinished_in_phase_[phase_of(id)];
    }
  }
  open_barriers();
}

void Tracker::add_subtasks(std::uint32_t count) {
  if (packing()) throw std::logic_error("Tracker::add_subtasks: not with packing");
  const std::size_t total = states_.size() + count;
  states_.resize(total, SubtaskState::pending);
  attempts_.resize(total, 0);
  ranks_.resize(total, 0);
  if (!first_attempt_.empty()) first_attempt_.resize(total, 0);
  fresh_left_ += count;
  if (!phase_starts_.empty()) unfinished_in_phase_.back() += count;
  // No barrier holds: the new subtasks may go at once.
  if (!barrier_stop_ && next_barrier_ == phase_starts_.size()) dispatch_limit_ = this->total();
}

void Tracker::add_barrier(bool check) {
  if (phase_starts_.empty()) unfinished_in_phase_.assign(1, total() - done_ - failed_);
  phase_starts_.push_back(total());
  barrier_checks_.push_back(check);
  unfinished_in_phase_.push_back(0);
  open_barriers();
}

std::size_t Tracker::phase_of(SubtaskId id) const {
  return static_cast<std::size_t>(std::upper_bound(phase_starts_.begin(), phase_starts_.end(), id) -
                                  phase_starts_.begin());
}

void Tracker::note_finished_in_phase(SubtaskId id) {
  const std::size_t phase = phase_of(id);
  --unfinished_in_phase_[phase];
  if (phase == next_barrier_) open_barriers();
}

void Tracker::open_barriers() {
  while (!barrier_stop_ && next_barrier_ < phase_starts_.size() &&
         unfinished_in_phase_[next_barrier_] == 0) {
    if (barrier_checks_[next_barrier_]) {
      // Every subtask before it finished: a scan once per barrier, not per report.
      const auto failures = static_cast<std::uint32_t>(std::count(
          states_.begin(), states_.begin() + phase_starts_[next_barrier_], SubtaskState::failed));
      if (failures > 0) {
        barrier_stop_ = BarrierStop{next_barrier_, failures};
        break;
      }
    }
    ++next_barrier_;
  }
  dispatch_limit_ = next_barrier_ < phase_starts_.size() ? phase_starts_[next_barrier_] : total();
}

void Tracker::check_id_range(SubtaskId id) const {
  if (id >= states_.size()) {
    throw IllegalTransition("report for subtask " + std::to_string(id) + " of a job with " +
                            std::to_string(states_.size()) + " subtasks");
  }
}

void Tracker::check_id(SubtaskId id) const {
  check_id_range(id);
  if (id >= next_fresh_ && states_[id] == SubtaskState::pending) {
    throw IllegalTransition("report for subtask " + std::to_string(id) +
                            ", which was never handed out");
  }
}

void Tracker::release(SubtaskId id) {
  std::uint32_t& count = outstanding_.at(ranks_[id]);
  if (count > 0) --count;
  if (!packing()) return;
  // Saturating, like the count: a late report from a lost rank may name a subtask that
  // now runs elsewhere.
  Resources& used = in_use_.at(ranks_[id]);
  used = saturating_minus(used, requirements_[class_of_[id]]);
}

Verdict Tracker::mark_running(SubtaskId id, int rank, std::uint32_t attempt) {
  check_id(id);
  if (states_[id] == SubtaskState::assigned && ranks_[id] == rank &&
      attempt_number(id) == attempt) {
    states_[id] = SubtaskState::running;
    return Verdict::accepted;
  }
  return Verdict::stale;
}

Verdict Tracker::complete(SubtaskId id, int rank, std::uint32_t attempt) {
  check_id(id);
  (void)rank;
  (void)attempt;
  switch (states_[id]) {
    case SubtaskState::done:
    case SubtaskState::failed:
      ++duplicates_;
      return Verdict::duplicate;
    case SubtaskState::pending:
      // Handed out before, now waiting for another attempt: an earlier attempt finished
      // after all. First completion wins; the queued retry will be skipped.
      states_[id] = SubtaskState::done;
      ++done_;
      note_finished(id);
      return Verdict::accepted;
    case SubtaskState::assigned:
    case SubtaskState::running:
      release(id);
      states_[id] = SubtaskState::done;
      ++done_;
      note_finished(id);
      return Verdict::accepted;
  }
  return Verdict::stale;
}

Verdict Tracker::fail(SubtaskId id, int rank, std::uint32_t attempt) {
  check_id(id);
  const SubtaskState state = states_[id];
  if (state == SubtaskState::done || state == SubtaskState::failed) {
    ++duplicates_;
    return Verdict::duplicate;
  }
  const bool current = (state == SubtaskState::assigned || state == SubtaskState::running) &&
                       ranks_[id] == rank && attempt_number(id) == attempt;
  if (!current) return Verdict::stale;
  release(id);
  if (attempts_[id] < max_retries_) {
    ++attempts_[id];
    states_[id] = SubtaskState::pending;
    retry_queue_.push_back(Retry{id, rank});
    ++retried_;
    return Verdict::retry;
  }
  states_[id] = SubtaskState::failed;
  ++failed_;
  note_finished(id);
  return Verdict::failed_for_good;
}

SubtaskState Tracker::state(SubtaskId id) const {
  return states_.at(id);
}
std::uint32_t Tracker::attempt(SubtaskId id) const {
  (void)attempts_.at(id);  // std::out_of_range for an unknown id
  return attempt_number(id);
}

}  // namespace tasktrack
