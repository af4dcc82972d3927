// Tracker under packing (issue 11): subtasks in classes by what they need, each rank's
// resources in use, and dispatch of the first pending subtask that fits. The rest of the
// Tracker is in tracker.cpp.
#include <algorithm>
#include <stdexcept>

#include "core/tracker.hpp"

namespace tasktrack {

void Tracker::set_classes(std::vector<std::uint16_t> class_of,
                          std::vector<Resources> requirements) {
  if (class_of.size() != states_.size()) {
    throw std::logic_error("Tracker::set_classes: one class per subtask");
  }
  class_of_ = std::move(class_of);
  requirements_ = std::move(requirements);
  fresh_of_class_.assign(requirements_.size(), {});
  for (SubtaskId id = 0; id < total(); ++id) fresh_of_class_.at(class_of_[id]).push_back(id);
  fresh_cursor_.assign(requirements_.size(), 0);
  in_use_.assign(outstanding_.size(), Resources{0, 0, 0});
}

SubtaskId Tracker::next_fresh_of_class(std::size_t class_index) {
  const std::vector<SubtaskId>& ids = fresh_of_class_[class_index];
  std::size_t& cursor = fresh_cursor_[class_index];
  while (cursor < ids.size() && states_[ids[cursor]] != SubtaskState::pending) ++cursor;
  return cursor < ids.size() ? ids[cursor] : total();
}

int Tracker::assign_fitting(int rank, const Resources& available, std::vector<IdRun>& out,
                            std::span<const std::uint8_t> alone_for_class, int only_class,
                            const std::function<bool(SubtaskId)>& may_start) {
  const auto wanted = [&](std::size_t class_index) {
    return (only_class < 0 || static_cast<std::size_t>(only_class) == class_index) &&
           fits(requirements_[class_index], available);
  };
  const auto take = [&](SubtaskId id) {
    give(rank, id, out);
    in_use_.at(rank) += requirements_[class_of_[id]];
    ++outstanding_.at(rank);
    return static_cast<int>(class_of_[id]);
  };
  // Retries first, as assign_next does.
  for (std::size_t i = 0; i < retry_queue_.size();) {
    const Retry retry = retry_queue_[i];
    if (states_[retry.id] != SubtaskState::pending) {
      retry_queue_.erase(retry_queue_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if ((retry.avoid_rank == rank && alone_for_class[class_of_[retry.id]] == 0) ||
               !wanted(class_of_[retry.id])) {
      ++i;
    } else {
      if (may_start && !may_start(retry.id)) return -1;
      retry_queue_.erase(retry_queue_.begin() + static_cast<std::ptrdiff_t>(i));
      return take(retry.id);
    }
  }
  // Then the lowest fresh id among the classes that fit.
  SubtaskId best = total();
  for (std::size_t c = 0; c < requirements_.size(); ++c) {
    if (wanted(c)) best = std::min(best, next_fresh_of_class(c));
  }
  if (best >= dispatch_limit_) return -1;
  if (may_start && !may_start(best)) return -1;
  ++fresh_cursor_[class_of_[best]];
  --fresh_left_;
  next_fresh_ = std::max(next_fresh_, best + 1);
  return take(best);
}

int Tracker::first_pending_class() const {
  const std::optional<SubtaskId> first = first_pending();
  return first ? static_cast<int>(class_of_[*first]) : -1;
}

std::vector<SubtaskId> Tracker::fail_pending_of_class(std::uint16_t class_index) {
  std::vector<SubtaskId> failed;
  const auto fail_one = [&](SubtaskId id) {
    states_[id] = SubtaskState::failed;
    ++failed_;
    failed.push_back(id);
    note_finished(id);
  };
  for (const Retry& retry : retry_queue_) {
    if (class_of_[retry.id] == class_index && states_[retry.id] == SubtaskState::pending) {
      fail_one(retry.id);
    }
  }
  for (SubtaskId id = next_fresh_of_class(class_index); id < total();
       id = next_fresh_of_class(class_index)) {
    fail_one(id);
    --fresh_left_;
    ++fresh_cursor_[class_index];
  }
  return failed;
}

}  // namespace tasktrack
