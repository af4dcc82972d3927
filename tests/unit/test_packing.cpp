// packer.hpp through job_state.hpp: task lists whose lines ask for different cores, GPUs and
// memory, packed onto workers' free resources (issue 11). Scripted events, no MPI, no clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "core/job_state.hpp"
#include "core_test_harness.hpp"

namespace tasktrack {
namespace {

using namespace testing_core;

constexpr Resources one_core{1, 0, 0};
constexpr Resources two_cores{2, 0, 0};
constexpr Resources gpu_task{2, 1, 0};

WorkerInfo worker(int rank, unsigned cores, unsigned gpus = 0, std::uint64_t memory = 0) {
  WorkerInfo info{rank, "node" + std::to_string(rank), cores, 1000 + rank, cores, {}, memory};
  for (unsigned i = 0; i < gpus; ++i) info.gpus.push_back(std::to_string(i));
  return info;
}

// A task list's rules: line i needs `classes[class_of[i]]`.
JobRules packed_rules(std::vector<Resources> classes, std::vector<std::uint16_t> class_of,
                      double reserve_after = 30) {
  JobRules r = rules(static_cast<std::uint32_t>(class_of.size()), Schedule::guided);
  r.requirements = std::move(classes);
  r.class_of = std::move(class_of);
  r.reserve_after = reserve_after;
  return r;
}

// The sum of the requirements of `ids`.
Resources total_of(const std::vector<SubtaskId>& ids, const JobRules& r) {
  Resources sum{0, 0, 0};
  for (SubtaskId id : ids) sum += r.requirements[r.class_of[id]];
  return sum;
}

TEST(Packing, AWorkerGetsTheFirstTasksInLineThatFitWhatIsFree) {
  RecordedEffects effects;
  // Lines: GPU task, 1-core, 1-core, GPU task, 1-core.
  const JobRules r = packed_rules({one_core, gpu_task}, {1, 0, 0, 1, 0});
  JobState state(r, {worker(1, 4, 2)}, 2, effects);
  state.start(0);
  // 4 cores, 2 GPUs: line 0 (2 cores, 1 GPU), lines 1 and 2 (1 core each); the second GPU
  // task would need 2 more cores.
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1, 2}));
  EXPECT_TRUE(fits(total_of(effects.ids_for(1), r), Resources{4, 2, 0}));

  // Line 1 ends: 1 core free. Line 3 does not fit it; line 4 does.
  effects.clear_assignments();
  report(state, 1, {record(1, SubtaskState::done)}, 1);
  state.handle_tick(1);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{4}));

  // Lines 0 and 2 end: 3 cores and a GPU free, line 3 goes.
  effects.clear_assignments();
  report(state, 1, {record(0, SubtaskState::done), record(2, SubtaskState::done)}, 2);
  state.handle_tick(2);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{3}));
}

TEST(Packing, NoWorkerIsEverOversubscribedAndNoneSitsIdleWhileATaskFitsIt) {
  RecordedEffects effects;
  // Twelve lines cycling through three sizes; two workers of different shapes.
  std::vector<std::uint16_t> class_of;
  for (int i = 0; i < 12; ++i) class_of.push_back(static_cast<std::uint16_t>(i % 3));
  const JobRules r = packed_rules({one_core, two_cores, gpu_task}, class_of);
  const std::vector<WorkerInfo> list{worker(1, 2), worker(2, 3, 1)};
  JobState state(r, list, 3, effects);
  state.start(0);
  std::map<int, std::set<SubtaskId>> running;
  std::set<SubtaskId> finished;
  double now = 0;
  for (int step = 0; step < 100 && finished.size() < 12; ++step) {
    // What each rank holds fits its capacity, and no pending task fits what is left free.
    for (const WorkerInfo& info : list) {
      for (SubtaskId id : effects.ids_for(info.rank)) {
        if (!finished.count(id)) running[info.rank].insert(id);
      }
      const std::vector<SubtaskId> held(running[info.rank].begin(), running[info.rank].end());
      const Resources used = total_of(held, r);
      ASSERT_TRUE(fits(used, info.capacity())) << "rank " << info.rank << " at step " << step;
      Resources free = info.capacity();
      free -= used;
      for (SubtaskId id = 0; id < 12; ++id) {
        bool handed_out = false;
        for (const auto& [rank, ids] : running) handed_out |= ids.count(id) > 0;
        if (handed_out || finished.count(id)) continue;
        EXPECT_FALSE(fits(r.requirements[r.class_of[id]], free))
            << "line " << id << " waits while rank " << info.rank << " has room";
      }
    }
    // The lowest running id on each rank ends.
    now += 1;
    for (auto& [rank, ids] : running) {
      if (ids.empty()) continue;
      const SubtaskId id = *ids.begin();
      ids.erase(ids.begin());
      finished.insert(id);
      report(state, rank, {record(id, SubtaskState::done)}, now);
    }
    effects.clear_assignments();
    state.handle_tick(now);
  }
  EXPECT_EQ(finished.size(), 12u);
  EXPECT_TRUE(state.over());
}

TEST(Packing, ALargeTaskThatWaitedReservesAWorkerAndIsNotStarvedBySmallOnes) {
  RecordedEffects effects;
  // One 2-core worker; line 2 needs both cores, every other line one core. With one small
  // task always running, line 2 never fits until the worker is held for it.
  std::vector<std::uint16_t> class_of(40, 0);
  class_of[2] = 1;
  const JobRules r = packed_rules({one_core, two_cores}, class_of, /*reserve_after=*/5);
  JobState state(r, {worker(1, 2)}, 2, effects);
  state.start(0);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1}));
  std::set<SubtaskId> running{0, 1};
  bool big_sent = false;
  SubtaskId highest_small = 1;
  int smalls_after_reservation = -1;
  double now = 0;
  for (int step = 0; step < 60 && !big_sent; ++step) {
    now += 0.5;
    const SubtaskId ending = *running.begin();
    running.erase(running.begin());
    report(state, 1, {record(ending, SubtaskState::done)}, now);
    effects.clear_assignments();
    state.handle_tick(now);
    for (SubtaskId id : effects.ids_for(1)) {
      running.insert(id);
      if (id != 2) highest_small = std::max(highest_small, id);
      if (id == 2) {
        big_sent = true;
        EXPECT_TRUE(running.size() == 1) << "the 2-core task went out beside another";
      }
    }
    if (now >= 5.2 && smalls_after_reservation < 0) smalls_after_reservation = 0;
    if (smalls_after_reservation >= 0 && !big_sent) {
      smalls_after_reservation += static_cast<int>(effects.ids_for(1).size());
    }
  }
  ASSERT_TRUE(big_sent);
  // Before it had waited 5 s, small tasks filled the free core (no idle core while they
  // fit); after, the worker held its free core for the large task.
  EXPECT_GE(now, 5.0);
  EXPECT_EQ(smalls_after_reservation, 0);
  EXPECT_GT(highest_small, 3u);  // small tasks did go out past the waiting large one
}

TEST(Packing, TasksOnlyLostWorkersCouldHoldFailWithWorkerLostAndTheRestGoOn) {
  RecordedEffects effects;
  // Rank 2 has the only GPU. Lines 0 and 1 need it, lines 2 and 3 do not.
  const JobRules r = packed_rules({one_core, gpu_task}, {1, 1, 0, 0});
  JobState state(r, {worker(1, 1), worker(2, 2, 1)}, 3, effects);
  state.start(0);
  EXPECT_EQ(effects.ids_for(2), (std::vector<SubtaskId>{0}));
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{2}));
  state.handle_worker_gone(2, "killed", 1);
  state.handle_tick(1.5);
  EXPECT_EQ(state.failed(), 2u);  // lines 0 and 1: nobody left has a GPU
  report(state, 1, {record(2, SubtaskState::done)}, 2);
  state.handle_tick(2.5);
  report(state, 1, {record(3, SubtaskState::done)}, 3);
  state.handle_tick(3.5);
  EXPECT_EQ(state.done(), 2u);
  EXPECT_TRUE(state.over());
}

TEST(Packing, ARetryWaitsForAWorkerItFits) {
  RecordedEffects effects;
  // Line 0 needs 2 cores; rank 1 has 1 core, rank 2 has 2.
  const JobRules r = packed_rules({one_core, two_cores}, {1, 0, 0, 0});
  JobState state(r, {worker(1, 1), worker(2, 2)}, 3, effects);
  state.start(0);
  EXPECT_EQ(effects.ids_for(2), (std::vector<SubtaskId>{0}));
  effects.clear_assignments();
  report(state, 2, {record(0, SubtaskState::failed)}, 1);
  state.handle_tick(1.5);
  // The retry never goes to rank 1, which cannot hold it: rank 2 is alone in fitting it.
  for (SubtaskId id : effects.ids_for(1)) EXPECT_NE(id, 0u);
  std::vector<SubtaskId> to_two = effects.ids_for(2);
  EXPECT_NE(std::find(to_two.begin(), to_two.end(), 0u), to_two.end());
}

}  // namespace
}  // namespace tasktrack
