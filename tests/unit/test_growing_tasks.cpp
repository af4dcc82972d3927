// A task list that grows while the job runs (issue 13): the Tracker takes subtasks and
// barriers after the start, and a TaskStream reads complete lines from a pipe without
// blocking, ending at end of input, at `#TASKTRACK end` or at a bad line.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "commands/command_list_kernel.hpp"
#include "commands/task_stream.hpp"
#include "core/tracker.hpp"
#include "core_test_harness.hpp"
#include "kernels/builtin_kernels.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using testing_core::ids_of;

using testing::HasSubstr;

TEST(GrowingTracker, SubtasksAddedAfterTheStartAreHandedOutInOrder) {
  Tracker tracker(0, 1, 2);
  std::vector<IdRun> out;
  EXPECT_EQ(tracker.assign_next(1, 10, out), 0u);
  EXPECT_TRUE(tracker.finished());  // nothing known yet: the job state waits for the input
  tracker.add_subtasks(3);
  EXPECT_EQ(tracker.total(), 3u);
  EXPECT_FALSE(tracker.finished());
  EXPECT_EQ(tracker.assign_next(1, 2, out), 2u);
  EXPECT_EQ(ids_of(out), (std::vector<SubtaskId>{0, 1}));
  tracker.add_subtasks(2);
  out.clear();
  EXPECT_EQ(tracker.assign_next(1, 10, out), 3u);
  EXPECT_EQ(ids_of(out), (std::vector<SubtaskId>{2, 3, 4}));
  for (SubtaskId id = 0; id < 5; ++id) EXPECT_EQ(tracker.complete(id, 1, 0), Verdict::accepted);
  EXPECT_TRUE(tracker.finished());
}

TEST(GrowingTracker, ABarrierAddedAfterUnfinishedWorkHoldsWhatComesAfterIt) {
  Tracker tracker(0, 1, 2);
  tracker.add_subtasks(2);
  std::vector<IdRun> out;
  ASSERT_EQ(tracker.assign_next(1, 10, out), 2u);
  tracker.add_barrier(false);
  tracker.add_subtasks(2);
  EXPECT_EQ(tracker.dispatch_limit(), 2u);
  out.clear();
  EXPECT_EQ(tracker.assign_next(1, 10, out), 0u) << "subtask 2 went out past the barrier";
  ASSERT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.assign_next(1, 10, out), 0u);
  ASSERT_EQ(tracker.complete(1, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.dispatch_limit(), 4u);
  EXPECT_EQ(tracker.assign_next(1, 10, out), 2u);
  EXPECT_EQ(ids_of(out), (std::vector<SubtaskId>{2, 3}));
}

TEST(GrowingTracker, ABarrierAfterFinishedWorkOpensAtOnceAndACheckStopsAfterAFailure) {
  Tracker open_one(0, 0, 2);
  open_one.add_subtasks(1);
  std::vector<IdRun> out;
  ASSERT_EQ(open_one.assign_next(1, 1, out), 1u);
  ASSERT_EQ(open_one.complete(0, 1, 0), Verdict::accepted);
  open_one.add_barrier(true);
  open_one.add_subtasks(1);
  EXPECT_EQ(open_one.dispatch_limit(), 2u);
  EXPECT_FALSE(open_one.barrier_stop());

  Tracker checked(0, 0, 2);
  checked.add_subtasks(1);
  out.clear();
  ASSERT_EQ(checked.assign_next(1, 1, out), 1u);
  checked.add_barrier(true);
  checked.add_subtasks(1);
  ASSERT_EQ(checked.fail(0, 1, 0), Verdict::failed_for_good);
  ASSERT_TRUE(checked.barrier_stop());
  EXPECT_EQ(checked.barrier_stop()->failures, 1u);
  out.clear();
  EXPECT_EQ(checked.assign_next(1, 10, out), 0u);
}

// A pipe whose write end the test holds: what a producer on standard input looks like.
class Pipe {
 public:
  Pipe() {
    int ends[2];
    if (::pipe(ends) != 0) throw std::runtime_error("pipe");
    read_ = ends[0];
    write_ = ends[1];
  }
  ~Pipe() {
    ::close(read_);
    close_write();
  }
  void write(const std::string& text) const {
    ASSERT_EQ(::write(write_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void close_write() {
    if (write_ >= 0) ::close(write_);
    write_ = -1;
  }
  std::string path() const { return "/dev/fd/" + std::to_string(read_); }

 private:
  int read_ = -1;
  int write_ = -1;
};

std::vector<std::string> texts_of(const std::vector<TaskLine>& tasks) {
  std::vector<std::string> texts;
  for (const TaskLine& task : tasks) texts.push_back(task.text);
  return texts;
}

TEST(TaskStream, TakesCompleteLinesAsTheyArriveWithoutBlocking) {
  Pipe pipe;
  TaskStream stream(pipe.path(), TaskFormat::plain, Resources{}, true);
  std::vector<TaskLine> tasks;
  stream.read_available(tasks);  // nothing written yet: returns at once
  EXPECT_TRUE(tasks.empty());
  pipe.write("echo one\n# a comment\n\necho tw");
  stream.read_available(tasks);
  EXPECT_EQ(texts_of(tasks), (std::vector<std::string>{"echo one"}));
  EXPECT_EQ(tasks[0].line_number, 1u);
  pipe.write("o\n#TASKTRACK prefix cd /tmp &&\necho three\n");
  stream.read_available(tasks);
  EXPECT_EQ(texts_of(tasks),
            (std::vector<std::string>{"echo one", "echo two", "cd /tmp && echo three"}));
  EXPECT_EQ(tasks[1].line_number, 4u);
  EXPECT_FALSE(stream.ended());
  pipe.write("echo last, no newline");
  pipe.close_write();
  stream.read_available(tasks);
  EXPECT_TRUE(stream.ended());
  EXPECT_FALSE(stream.problem());
  EXPECT_EQ(tasks.back().text, "cd /tmp && echo last, no newline");
  EXPECT_EQ(stream.tasks_read(), 4u);
}

TEST(TaskStream, EndsAtTheEndLineAndReadsNothingAfterIt) {
  Pipe pipe;
  TaskStream stream(pipe.path(), TaskFormat::plain, Resources{}, true);
  pipe.write("echo a\n  #TASKTRACK end\necho never\n");
  std::vector<TaskLine> tasks;
  stream.read_available(tasks);
  EXPECT_TRUE(stream.ended());
  EXPECT_FALSE(stream.problem());
  EXPECT_EQ(texts_of(tasks), (std::vector<std::string>{"echo a"}));
}

TEST(TaskStream, ABadLineEndsInputNamingItAndKeepsTheTasksBeforeIt) {
  Pipe pipe;
  TaskStream stream(pipe.path(), TaskFormat::jsonl, Resources{}, true);
  pipe.write("{\"cmd\": \"echo 1\"}\n\n{\"cmd\": \"echo 2\", \"colour\": 1}\n{\"cmd\": \"x\"}\n");
  std::vector<TaskLine> tasks;
  stream.read_available(tasks);
  EXPECT_TRUE(stream.ended());
  ASSERT_TRUE(stream.problem());
  EXPECT_THAT(*stream.problem(), HasSubstr("line 3"));
  EXPECT_THAT(*stream.problem(), HasSubstr("colour"));
  EXPECT_EQ(texts_of(tasks), (std::vector<std::string>{"echo 1"}));
}

TEST(TaskStream, RefusesWhatAGrowingListCannotHold) {
  {
    Pipe pipe;
    TaskStream stream(pipe.path(), TaskFormat::jsonl, Resources{1, 0, 0}, true);
    pipe.write("{\"cmd\": \"echo 1\", \"cores\": 2}\n");
    std::vector<TaskLine> tasks;
    stream.read_available(tasks);
    ASSERT_TRUE(stream.problem());
    EXPECT_THAT(*stream.problem(), HasSubstr("line 1: asks for"));
    EXPECT_TRUE(tasks.empty());
  }
  {
    Pipe pipe;
    TaskStream stream(pipe.path(), TaskFormat::plain, Resources{}, true);
    pipe.write("echo " + std::string(TaskStream::max_task_line_bytes, 'x') + "\n");
    std::vector<TaskLine> tasks;
    stream.read_available(tasks);
    ASSERT_TRUE(stream.problem());
    EXPECT_THAT(*stream.problem(), HasSubstr("longer than"));
  }
  {
    Pipe pipe;
    TaskStream stream(pipe.path(), TaskFormat::plain, Resources{}, true);
    pipe.write("echo ok\necho caf\xe9\n");
    std::vector<TaskLine> tasks;
    stream.read_available(tasks);
    ASSERT_TRUE(stream.problem());
    EXPECT_THAT(*stream.problem(), HasSubstr("line 2: not UTF-8 text"));
    EXPECT_EQ(tasks.size(), 1u);
  }
  {
    Pipe pipe;
    TaskStream stream(pipe.path(), TaskFormat::plain, Resources{}, true);
    pipe.close_write();
    std::vector<TaskLine> tasks;
    stream.read_available(tasks);
    ASSERT_TRUE(stream.problem());
    EXPECT_THAT(*stream.problem(), HasSubstr("held no task"));
  }
  EXPECT_THROW(TaskStream("/nonexistent/tasks.txt", TaskFormat::plain, Resources{}, true),
               UsageError);
}

TEST(TaskStream, AFollowedFileIsReadAgainAfterItsEnd) {
  const std::string file =
      (std::filesystem::temp_directory_path() / ("follow-" + std::to_string(::getpid()))).string();
  std::ofstream(file) << "echo 1\n";
  TaskStream stream(file, TaskFormat::automatic, Resources{}, true);
  std::vector<TaskLine> tasks;
  stream.read_available(tasks);
  EXPECT_EQ(tasks.size(), 1u);
  EXPECT_FALSE(stream.ended()) << "a followed file does not end at its end";
  std::ofstream(file, std::ios::app) << "echo 2\n#TASKTRACK end\n";
  for (int i = 0; i < 100 && !stream.ended(); ++i) {
    ::usleep(10000);  // the stream looks again after a short pause
    stream.read_available(tasks);
  }
  EXPECT_TRUE(stream.ended());
  EXPECT_EQ(texts_of(tasks), (std::vector<std::string>{"echo 1", "echo 2"}));
  std::filesystem::remove(file);
}

TEST(GrowingKernel, AWorkerLearnsItsTasksFromTaskLinesMessages) {
  KernelRegistry registry;
  registry.add(noop_kernel_info());
  TaskListJob list;
  list.task_file = "-";
  list.growing = true;
  list.output = OutputMode::none;
  CommandListKernel rank0(list, registry, 0, "job");
  std::vector<TaskLine> arrived{TaskLine{1, "echo 'a b'", list.per_task()},
                                TaskLine{2, "@noop 0:10", list.per_task()}};
  arrived[0].environment = {{"X", "1"}};
  rank0.add_tasks(0, arrived);
  EXPECT_EQ(rank0.line(1).kernel_name, "noop");
  EXPECT_THROW(rank0.line(2), std::out_of_range);
  TaskLine bad{3, "@nosuchkernel 0:1", list.per_task()};
  EXPECT_THROW(rank0.add_tasks(2, std::span(&bad, 1)), UsageError);

  const std::vector<IdRun> runs{IdRun{0, 2, 0}};
  const std::vector<TaskLines> messages = rank0.task_lines_messages(runs);
  ASSERT_EQ(messages.size(), 1u);
  CommandListKernel worker(list, registry, 1, "job");
  for (const TaskLines& message : messages) worker.add_task_lines(message.json);
  EXPECT_EQ(worker.line(0).task, rank0.line(0).task);
  EXPECT_EQ(worker.subtask_key(0), rank0.subtask_key(0));
  EXPECT_EQ(worker.subtask_key(1), rank0.subtask_key(1));
  EXPECT_THROW(worker.add_task_lines("[[0, "), ProtocolError);
}

}  // namespace
}  // namespace tasktrack
