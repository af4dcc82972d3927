#include "journal/replay.hpp"

#include <algorithm>
#include <limits>
#include <map>
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
    SessionWorker& added =
        session.workers.emplace_back(SessionWorker{static_cast<std::int32_t>(*rank),
                                                   text_at(worker, "host"),
                                                   static_cast<std::uint64_t>(threads),
                                                   {}});
    if (worker.contains("gpus") && worker["gpus"].is_array()) {
      for (const json& gpu : worker["gpus"]) {
        if (gpu.is_string()) added.gpus.push_back(gpu.get<std::string>());
      }
    }
  }
  return session;
}

// Calls on_single(index, record) for each counted single record in file order, then
// on_run(run index, offset, id) for each counted subtask of each run: for_each_attempt()'s
// order, without building an attempt per run subtask.
template <typename OnSingle, typename OnRun>
void for_each_counted(const JournalContents& contents, const CurrentWork* work, OnSingle on_single,
                      OnRun on_run) {
  const auto counts = [&](SubtaskId id, std::uint64_t key) {
    return work == nullptr || (id < work->total && key == work->key(id));
  };
  for (std::size_t i = 0; i < contents.attempts.size(); ++i) {
    const JournalAttempt& attempt = contents.attempts[i];
    if (counts(attempt.subtask, attempt.key)) on_single(i, attempt);
  }
  for (std::size_t r = 0; r < contents.runs.size(); ++r) {
    const JournalRun& run = contents.runs[r];
    for (std::size_t k = 0; k < run.values.size(); ++k) {
      const SubtaskId id = run.first + static_cast<SubtaskId>(k);
      if (counts(id, run.keys.empty() ? 0 : run.keys[k])) on_run(r, k, id);
    }
  }
}

DoneSubtask done_by_run(const JournalRun& run, std::size_t offset) {
  return DoneSubtask{run.first + static_cast<SubtaskId>(offset), run.rank, run.values[offset],
                     nullptr};
}

DoneSubtask done_by_single(const JournalAttempt& attempt) {
  return DoneSubtask{attempt.subtask, attempt.rank, attempt.value, &attempt};
}

// A subtask not done whose last failed record is `last`.
void settle_failed(const JournalAttempt& last, JournalHistory& history) {
  (last.retried ? history.interrupted : history.failed).push_back(&last);
}

// Subtask ids are nearly always dense (0..total-1): one table by id settles every subtask in
// a pass, 4 bytes a subtask. An entry is a single record's index, or a run's index with
// from_run set.
void settle_by_table(const JournalContents& contents, const CurrentWork* work, std::uint64_t max_id,
                     JournalHistory& history) {
  using Entry = std::uint32_t;
  constexpr Entry none = std::numeric_limits<Entry>::max();
  constexpr Entry from_run = Entry{1} << 31;
  std::vector<Entry> first_done(max_id + 1, none);
  std::vector<Entry> last_failed;  // only when something failed
  std::size_t done_count = 0;
  for_each_counted(
      contents, work,
      [&](std::size_t i, const JournalAttempt& attempt) {
        if (attempt.state == SubtaskState::done) {
          if (first_done[attempt.subtask] == none) {
            first_done[attempt.subtask] = static_cast<Entry>(i);
            ++done_count;
          }
        } else {
          if (last_failed.empty()) last_failed.assign(max_id + 1, none);
          last_failed[attempt.subtask] = static_cast<Entry>(i);
        }
      },
      [&](std::size_t r, std::size_t, SubtaskId id) {
        if (first_done[id] == none) {
          first_done[id] = static_cast<Entry>(r) | from_run;
          ++done_count;
        }
      });
  history.done.reserve(done_count);
  for (std::uint64_t id = 0; id <= max_id; ++id) {
    const Entry entry = first_done[id];
    if (entry != none && (entry & from_run) != 0) {
      const JournalRun& run = contents.runs[entry & ~from_run];
      history.done.push_back(done_by_run(run, id - run.first));
    } else if (entry != none) {
      history.done.push_back(done_by_single(contents.attempts[entry]));
    } else if (!last_failed.empty() && last_failed[id] != none) {
      settle_failed(contents.attempts[last_failed[id]], history);
    }
  }
}

// Ids spread far wider than the records (only a hostile journal has them): the counted
// records are sorted by id instead, stably, so that "first" and "last" keep their order.
void settle_by_sorting(const JournalContents& contents, const CurrentWork* work,
                       JournalHistory& history) {
  std::vector<DoneSubtask> done;
  std::vector<const JournalAttempt*> failed;
  for_each_counted(
      contents, work,
      [&](std::size_t, const JournalAttempt& attempt) {
        if (attempt.state == SubtaskState::done) {
          done.push_back(done_by_single(attempt));
        } else {
          failed.push_back(&attempt);
        }
      },
      [&](std::size_t r, std::size_t k, SubtaskId) {
        done.push_back(done_by_run(contents.runs[r], k));
      });
  std::stable_sort(done.begin(), done.end(), [](const DoneSubtask& a, const DoneSubtask& b) {
    return a.subtask < b.subtask;
  });
  // std::unique keeps the first of each group: the first done record.
  done.erase(std::unique(
                 done.begin(), done.end(),
                 [](const DoneSubtask& a, const DoneSubtask& b) { return a.subtask == b.subtask; }),
             done.end());
  std::stable_sort(
      failed.begin(), failed.end(),
      [](const JournalAttempt* a, const JournalAttempt* b) { return a->subtask < b->subtask; });
  // The last failed record of each subtask not done, walking both lists by id.
  auto next_done = done.begin();
  for (std::size_t i = 0; i < failed.size(); ++i) {
    const SubtaskId id = failed[i]->subtask;
    if (i + 1 < failed.size() && failed[i + 1]->subtask == id) continue;
    while (next_done != done.end() && next_done->subtask < id) ++next_done;
    if (next_done != done.end() && next_done->subtask == id) continue;
    settle_failed(*failed[i], history);
  }
  history.done = std::move(done);
}

// The crash records of each interrupted subtask after its last failure for good (a crash
// that failed it for good is one). Crashes are rare: one pass over the single records, and
// only when something was interrupted.
void collect_crashes(const JournalContents& contents, const CurrentWork* work,
                     JournalHistory& history) {
  if (history.interrupted.empty()) return;
  std::map<SubtaskId, std::vector<const JournalAttempt*>> crashes;
  for (const JournalAttempt* interrupted : history.interrupted) crashes[interrupted->subtask];
  for_each_counted(
      contents, work,
      [&](std::size_t, const JournalAttempt& attempt) {
        if (attempt.state != SubtaskState::failed) return;
        const auto found = crashes.find(attempt.subtask);
        if (found == crashes.end()) return;
        if (!attempt.retried) {
          found->second.clear();
        } else if (attempt.reason == FailureReason::crashed_worker) {
          found->second.push_back(&attempt);
        }
      },
      [](std::size_t, std::size_t, SubtaskId) {});
  for (auto& [subtask, records] : crashes) {
    if (!records.empty()) history.crashes.push_back(CrashHistory{subtask, std::move(records)});
  }
}

JournalHistory replay_counting(const JournalContents& contents, const CurrentWork* work) {
  JournalHistory history;
  history.contents = &contents;
  history.job = read_recorded_job(contents.fingerprint);
  for (const json& record : contents.sessions) history.sessions.push_back(read_session(record));

  // Every record, counted or not: the latest end, and the widest id and how many records.
  std::uint64_t max_id = 0;
  std::uint64_t records = contents.attempts.size();
  for (const JournalAttempt& attempt : contents.attempts) {
    history.last_end_unix = std::max(history.last_end_unix, attempt.end_unix);
    max_id = std::max<std::uint64_t>(max_id, attempt.subtask);
  }
  for (const JournalRun& run : contents.runs) {
    for (std::size_t i = 0; i < run.values.size(); ++i) {
      history.last_end_unix = std::max(history.last_end_unix, run_subtask_span(run, i).end_unix);
    }
    if (!run.values.empty())
      max_id = std::max<std::uint64_t>(max_id, run.first + run.values.size() - 1);
    records += run.values.size();
  }
  if (records == 0) return history;
  const bool dense = max_id <= 4 * records + 1024 && contents.attempts.size() < (1u << 31) - 1 &&
                     contents.runs.size() < (1u << 31) - 1;
  if (dense) {
    settle_by_table(contents, work, max_id, history);
  } else {
    settle_by_sorting(contents, work, history);
  }
  collect_crashes(contents, work, history);
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
