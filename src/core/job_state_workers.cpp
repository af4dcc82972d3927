// JobState's workers: a worker lost (silent, gone, never started) and what its loss costs
// the subtasks it was running (--crash-limit), and the goodbyes at the end. The rest of
// JobState is in job_state.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "core/crash_detail.hpp"
#include "core/job_state.hpp"

namespace tasktrack {

namespace {

std::span<const std::byte> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace

void JobState::handle_goodbye(int rank) {
  roster_.at(rank).said_goodbye = true;
}

void JobState::handle_gone_at_end(int rank) {
  WorkerState& worker = roster_.at(rank);
  if (worker.dead) return;
  worker.dead = true;
  // Every result of its was in: nothing is lost, but a rank that dies at the end (a crash in
  // its teardown, its node going down) is worth a line. A lost one was reported as such, and
  // one that said goodbye first has simply left.
  if (worker.health != Health::lost && !worker.said_goodbye) {
    effects_.notice(fmt::format("rank {} ({}) died after the job's last result; nothing was lost",
                                rank, worker.info.host));
  }
}

void JobState::declare_lost(WorkerState& worker, const std::string& why, double now) {
  if (worker.health == Health::lost) return;
  roster_.set_health(worker, Health::lost);
  top_up_everyone_ = true;  // its subtasks are pending again
  statistics_.rank(worker.info.rank).lost = true;
  // Deaths after a stop signal are the stop's doing (the batch system ends every rank),
  // not their subtasks': nothing is charged then.
  Tracker::LostRankRelease release;
  if (interrupted_ || over_) {
    release.released = tracker_.release_rank(worker.info.rank);
  } else {
    release = tracker_.release_lost_rank(worker.info.rank);
  }
  const std::uint32_t released = release.released;
  if (rules_.tracing) {
    effects_.trace_instant(now, worker.info.rank, "worker lost",
                           fmt::format("{}; {} subtasks reassigned", why, released));
  }
  effects_.notice(fmt::format("rank {} ({}) lost: {}; {} subtask{} reassigned", worker.info.rank,
                              worker.info.host, why, released, released == 1 ? "" : "s"));
  charge_crashes(worker, release, why, now);
}

void JobState::charge_crashes(const WorkerState& worker, const Tracker::LostRankRelease& release,
                              const std::string& why, double now) {
  if (release.charged.empty()) return;
  const std::string site = fmt::format("rank {} ({})", worker.info.rank, worker.info.host);
  const std::uint32_t limit = tracker_.crash_limit();
  for (const SubtaskId id : release.charged) {
    crash_sites_[id].push_back(site);
    const bool out = std::find(release.crashed_out.begin(), release.crashed_out.end(), id) !=
                     release.crashed_out.end();
    StatusRecord record;
    record.subtask = id;
    record.state = SubtaskState::failed;
    record.reason = FailureReason::crashed_worker;
    record.attempt = tracker_.attempt(id);
    record.start_seconds = now;
    record.end_seconds = now;
    std::string detail;
    if (out) {
      const std::vector<std::string>& sites = crash_sites_[id];
      detail = crashed_out_detail(sites, limit);
      statistics_.note_failure(FailureSummary{id, record.attempt + 1, record.reason, detail});
      effects_.notice(fmt::format("subtask {} failed for good: it {}", id, detail));
      top_up_everyone_ = true;  // a barrier may have opened
    } else {
      detail = crash_detail(site, why, tracker_.crashes(id), limit);
    }
    if (rules_.tracing) effects_.trace_instant(now, worker.info.rank, "crash", detail);
    if (rules_.journaling) {
      journal_.flush(effects_);
      journal_.attempt(worker.info, record, bytes_of(detail), nullptr, effects_, !out);
    }
  }
}

void JobState::handle_never_started(int rank, const std::string& why) {
  declare_lost(roster_.at(rank), why, 0);
}

void JobState::handle_worker_gone(int rank, const std::string& why, double now) {
  WorkerState& worker = roster_.at(rank);
  worker.dead = true;
  declare_lost(worker, why, now);
}

void JobState::declare_silent_workers_lost(double now) {
  for (WorkerState& worker : roster_.all()) {
    if (worker.health == Health::lost || worker.said_goodbye) continue;
    const double silent = now - worker.last_heard;
    if (silent > rules_.worker_timeout) {
      declare_lost(
          worker,
          fmt::format("silent for {:.1f} s (--worker-timeout {} s)", silent, rules_.worker_timeout),
          now);
    }
  }
}

}  // namespace tasktrack
