#include "tasktrack/tracker.hpp"

#include <algorithm>
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
      outstanding_(static_cast<std::size_t>(std::max(ranks, 1)), 0) {}

std::uint32_t Tracker::pending() const {
  std::uint32_t waiting = 0;
  for (SubtaskId id : retry_queue_) waiting += states_[id] == SubtaskState::pending ? 1 : 0;
  return never_dispatched() + waiting;
}

std::uint32_t Tracker::assign_next(int rank, std::uint32_t count, std::vector<IdRun>& out) {
  std::uint32_t given = 0;
  auto append = [&](SubtaskId id) {
    states_[id] = SubtaskState::assigned;
    ranks_[id] = static_cast<std::uint16_t>(rank);
    const std::uint32_t attempt = attempts_[id];
    if (!out.empty() && out.back().attempt == attempt &&
        out.back().first + out.back().count == id) {
      ++out.back().count;
    } else {
      out.push_back(IdRun{id, 1, attempt});
    }
    ++given;
  };
  // Retries first; entries that finished meanwhile (a late first completion) are skipped.
  while (given < count && !retry_queue_.empty()) {
    const SubtaskId id = retry_queue_.front();
    retry_queue_.pop_front();
    if (states_[id] == SubtaskState::pending) append(id);
  }
  // Then fresh subtasks as one run: no per-id work beyond the state bytes.
  const std::uint32_t fresh = std::min(count - given, never_dispatched());
  if (fresh > 0) {
    const SubtaskId first = next_fresh_;
    std::fill_n(states_.begin() + first, fresh, SubtaskState::assigned);
    std::fill_n(ranks_.begin() + first, fresh, static_cast<std::uint16_t>(rank));
    if (!out.empty() && out.back().attempt == 0 && out.back().first + out.back().count == first) {
      out.back().count += fresh;
    } else {
      out.push_back(IdRun{first, fresh, 0});
    }
    next_fresh_ += fresh;
    given += fresh;
  }
  outstanding_.at(rank) += given;
  return given;
}

void Tracker::check_id(SubtaskId id) const {
  if (id >= states_.size()) {
    throw IllegalTransition("report for subtask " + std::to_string(id) + " of a job with " +
                            std::to_string(states_.size()) + " subtasks");
  }
  if (id >= next_fresh_ && states_[id] == SubtaskState::pending) {
    throw IllegalTransition("report for subtask " + std::to_string(id) +
                            ", which was never handed out");
  }
}

void Tracker::release(SubtaskId id) {
  std::uint32_t& count = outstanding_.at(ranks_[id]);
  if (count > 0) --count;
}

Verdict Tracker::mark_running(SubtaskId id, int rank, std::uint32_t attempt) {
  check_id(id);
  if (states_[id] == SubtaskState::assigned && ranks_[id] == rank && attempts_[id] == attempt) {
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
      return Verdict::accepted;
    case SubtaskState::assigned:
    case SubtaskState::running:
      release(id);
      states_[id] = SubtaskState::done;
      ++done_;
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
                       ranks_[id] == rank && attempts_[id] == attempt;
  if (!current) return Verdict::stale;
  release(id);
  if (attempts_[id] < max_retries_) {
    ++attempts_[id];
    states_[id] = SubtaskState::pending;
    retry_queue_.push_back(id);
    ++retried_;
    return Verdict::retry;
  }
  states_[id] = SubtaskState::failed;
  ++failed_;
  return Verdict::failed_for_good;
}

SubtaskState Tracker::state(SubtaskId id) const { return states_.at(id); }
std::uint32_t Tracker::attempt(SubtaskId id) const { return attempts_.at(id); }

}  // namespace tasktrack
