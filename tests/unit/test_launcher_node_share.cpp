// launcher_local_place: a worker's place on its node from mpirun's or srun's environment,
// with no MPI call (issue 14: no collective before the hellos).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "runtime/launcher_node_share.hpp"

namespace tasktrack {
namespace {

EnvironmentLookup environment_of(std::map<std::string, std::string> variables) {
  return [variables](const char* name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

TEST(LauncherLocalPlace, MpirunSaysItDirectly) {
  const auto place = launcher_local_place(
      environment_of({{"OMPI_COMM_WORLD_LOCAL_RANK", "2"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}}));
  ASSERT_TRUE(place.has_value());
  EXPECT_EQ(place->rank, 2);
  EXPECT_EQ(place->size, 4);
}

TEST(LauncherLocalPlace, SrunCountsTheTasksOfThisNodeInItsCompressedList) {
  // "3(x2),1": nodes 0 and 1 hold 3 tasks each, node 2 holds 1.
  const auto on_node = [](const char* node, const char* local) {
    return launcher_local_place(environment_of({{"SLURM_LOCALID", local},
                                                {"SLURM_NODEID", node},
                                                {"SLURM_STEP_TASKS_PER_NODE", "3(x2),1"}}));
  };
  ASSERT_TRUE(on_node("1", "2").has_value());
  EXPECT_EQ(on_node("1", "2")->size, 3);
  EXPECT_EQ(on_node("1", "2")->rank, 2);
  ASSERT_TRUE(on_node("2", "0").has_value());
  EXPECT_EQ(on_node("2", "0")->size, 1);
  EXPECT_FALSE(on_node("2", "1").has_value());  // a local id past the node's count
  EXPECT_FALSE(on_node("3", "0").has_value());  // no such node in the list
}

TEST(LauncherLocalPlace, MpirunWinsOverSlurmInsideAnAllocation) {
  const auto place = launcher_local_place(environment_of({{"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
                                                          {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                                          {"SLURM_LOCALID", "0"},
                                                          {"SLURM_NODEID", "0"},
                                                          {"SLURM_STEP_TASKS_PER_NODE", "1"}}));
  ASSERT_TRUE(place.has_value());
  EXPECT_EQ(place->size, 2);
}

TEST(LauncherLocalPlace, NothingOrNonsenseIsNoAnswer) {
  EXPECT_FALSE(launcher_local_place(environment_of({})).has_value());
  EXPECT_FALSE(launcher_local_place(environment_of({{"OMPI_COMM_WORLD_LOCAL_RANK", "x"},
                                                    {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}}))
                   .has_value());
  EXPECT_FALSE(launcher_local_place(environment_of({{"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                                                    {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}}))
                   .has_value());
  for (const char* list : {"", "2(x", "2(x0)", "(x2)", "-1", "2,,1"}) {
    EXPECT_FALSE(launcher_local_place(environment_of({{"SLURM_LOCALID", "0"},
                                                      {"SLURM_NODEID", "1"},
                                                      {"SLURM_STEP_TASKS_PER_NODE", list}}))
                     .has_value())
        << list;
  }
}

}  // namespace
}  // namespace tasktrack
