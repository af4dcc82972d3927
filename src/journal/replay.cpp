#include "journal/replay.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

namespace tasktrack {
namespace {

using nlohmann::json;

// An integer field that fits an int64, or nothing.
std::optional<std::int64_t> integer_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return std::nullopt;
  const json& value = object[key];
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(number);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

// A string field as it is, a number as its JSON text, anything else as "".
std::string text_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const json& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return "";
}

JournalSession read_session(const json& record) {
  JournalSession session;
  if (!record.is_object()) return session;
  if (record.contains("started_unix") && record["started_unix"].is_number()) {
    session.started_unix = record["started_unix"].get<double>();
  }
  session.ranks = integer_at(record, "ranks").value_or(0);
  session.resumed = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, integer_at(record, "resumed").value_or(0)));
  session.slurm_job_id = text_at(record, "SLURM_JOB_ID");
  if (!record.contains("workers") || !record["workers"].is_array()) return session;
  for (const json& worker : record["workers"]) {
    const auto rank = integer_at(worker, "rank");
    if (!rank || *rank < std::numeric_limits<std::int32_t>::min() ||
        *rank > std::numeric_limits<std::int32_t>::max()) {
      continue;
    }
    const auto threads = std::max<std::int64_t>(0, integer_at(worker, "threads").value_or(0));
    session.workers.push_back(SessionWorker{static_cast<std::int32_t>(*rank),
                                            text_at(worker, "host"),
                                            static_cast<std::uint64_t>(threads)});
  }
  return session;
}

// Counted records, in visiting order, into the history's per-subtask lists by id: the
// first done record of each subtask, and the last failed record of each subtask never done.
// Subtask ids are nearly always dense (0..total-1), so a table indexed by id does it in one
// pass; ids spread far wider than the records (a hostile journal) are sorted instead, so
// that no allocation grows beyond a small multiple of the records.
void settle(std::vector<DoneSubtask>& done, const std::vector<const JournalAttempt*>& failed,
            JournalHistory& history) {
  std::uint64_t max_id = 0;
  for (const DoneSubtask& d : done) max_id = std::max<std::uint64_t>(max_id, d.subtask);
  for (const JournalAttempt* f : failed) max_id = std::max<std::uint64_t>(max_id, f->subtask);
  const std::uint64_t records = done.size() + failed.size();
  if (records == 0) return;

  // Indices into `done` and `failed` by id, as u32: 4 bytes a subtask.
  using Index = std::uint32_t;
  constexpr Index none = std::numeric_limits<Index>::max();
  if (max_id <= 4 * records + 1024 && records < none) {
    std::vector<Index> first_done(max_id + 1, none);
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (first_done[done[i].subtask] == none) first_done[done[i].subtask] = static_cast<Index>(i);
    }
    std::vector<Index> last_failed(failed.empty() ? 0 : max_id + 1, none);
    for (std::size_t i = 0; i < failed.size(); ++i) {
      last_failed[failed[i]->subtask] = static_cast<Index>(i);
    }
    history.done.reserve(done.size());
    for (std::uint64_t id = 0; id <= max_id; ++id) {
      if (first_done[id] != none) {
        history.done.push_back(done[first_done[id]]);
      } else if (!failed.empty() && last_failed[id] != none) {
        history.failed.push_back(failed[last_failed[id]]);
      }
    }
    return;
  }

  // Stable sorts: among records of one subtask, visiting order stays.
  std::stable_sort(done.begin(), done.end(), [](const DoneSubtask& a, const DoneSubtask& b) {
    return a.subtask < b.subtask;
  });
  // std::unique keeps the first of each group: the first done record.
  done.erase(std::unique(
                 done.begin(), done.end(),
                 [](const DoneSubtask& a, const DoneSubtask& b) { return a.subtask == b.subtask; }),
             done.end());
  std::vector<const JournalAttempt*> sorted_failed = failed;
  std::stable_sort(
      sorted_failed.begin(), sorted_failed.end(),
      [](const JournalAttempt* a, const JournalAttempt* b) { return a->subtask < b->subtask; });
  // The last failed record of each subtask not done, walking both lists by id.
  auto next_done = done.begin();
  for (std::size_t i = 0; i < sorted_failed.size(); ++i) {
    const SubtaskId id = sorted_failed[i]->subtask;
    if (i + 1 < sorted_failed.size() && sorted_failed[i + 1]->subtask == id) continue;
    while (next_done != done.end() && next_done->subtask < id) ++next_done;
    if (next_done != done.end() && next_done->subtask == id) continue;
    history.failed.push_back(sorted_failed[i]);
  }
  history.done = std::move(done);
}

JournalHistory replay_counting(const JournalContents& contents, const CurrentWork* work) {
  JournalHistory history;
  history.contents = &contents;
  history.job = read_recorded_job(contents.fingerprint);
  for (const json& record : contents.sessions) history.sessions.push_back(read_session(record));

  const auto counts = [&](const JournalAttempt& attempt) {
    return work == nullptr ||
           (attempt.subtask < work->total && attempt.key == work->key(attempt.subtask));
  };
  // Every counted record in visiting order; settle() keeps "first" and "last" in that
  // order.
  std::vector<DoneSubtask> done;
  std::vector<const JournalAttempt*> failed;
  std::size_t visited = 0;
  history.for_each_attempt([&](const JournalAttempt& attempt) {
    // for_each_attempt() visits the single records first: those are the file's own.
    const JournalAttempt* single =
        visited < contents.attempts.size() ? &contents.attempts[visited] : nullptr;
    ++visited;
    history.last_end_unix = std::max(history.last_end_unix, attempt.end_unix);
    if (!counts(attempt)) return;
    if (attempt.state == SubtaskState::done) {
      done.push_back(DoneSubtask{attempt.subtask, attempt.rank, attempt.value, single});
    } else {
      failed.push_back(single);  // runs are all done: a failed record is a single one
    }
  });

  settle(done, failed, history);
  return history;
}

}  // namespace

JournalHistory replay(const JournalContents& contents) {
  return replay_counting(contents, nullptr);
}

JournalHistory replay(const JournalContents& contents, const CurrentWork& work) {
  return replay_counting(contents, &work);
}

}  // namespace tasktrack
