// Issue 12's output modes end to end: real commands run by the real binary (no mpirun, and
// under mpirun with 3 ranks), their output read back with `tasktrack output` and their
// attempts with `tasktrack log`, compared byte for byte with what the commands wrote and
// attempt by attempt with the journal. Covers the mixed list (binary, no final newline,
// 5 MB, stderr only, retried attempts), --all's order, a run killed with SIGKILL and
// resumed, --output-limit on 50 MiB, on-failure, none, stdout blocks (and --tag), a failure
// that succeeds on resume in packed and files modes, and the cost columns of the log.
// Durations are never asserted; CPU time is compared with the attempt's own run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "journal/journal_reader.hpp"
#include "run_process.hpp"
#include "scratch_run_test.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using testing::processes;  // set by main from --np=N
using testing::ProcessResult;
using testing::run_process;

// Worker ranks of a run: one in-process worker, or every rank but rank 0 under mpirun.
std::size_t worker_ranks() {
  return processes <= 1 ? 1 : static_cast<std::size_t>(processes - 1);
}

// Two threads run commands at once: 2 in one process, 2 workers x 1 under mpirun -np 3.
std::vector<std::string> two_threads() {
  return {"--threads", processes > 0 ? "1" : "2"};
}

// Bytes no text tool keeps intact: every byte value, NULs and CRs included, no final newline.
std::string binary_payload(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  if (!bytes.empty() && bytes.back() == '\n') bytes.back() = 'x';
  return bytes;
}

ProcessResult tasktrack(std::vector<std::string> args) {
  args.insert(args.begin(), TASKTRACK_BINARY);
  return run_process(args, 120);
}

// `tasktrack output JOURNAL ID --attempt A [--stderr]`: its stdout, the attempt's bytes.
std::string output_of(const std::string& journal, std::uint32_t subtask, std::uint32_t attempt,
                      bool stderr_stream) {
  std::vector<std::string> args{"output", journal, std::to_string(subtask), "--attempt",
                                std::to_string(attempt)};
  if (stderr_stream) args.push_back("--stderr");
  const ProcessResult result = tasktrack(args);
  EXPECT_EQ(result.exit_code, 0) << "output " << subtask << " --attempt " << attempt << ": "
                                 << result.err;
  return result.out;
}

using AttemptKey = std::pair<std::uint32_t, std::uint32_t>;  // subtask, attempt

// What `tasktrack output ... --all` prints for `attempts` (in subtask, then attempt order):
// a header line each, then the bytes; a newline before the next header when they do not
// end in one (the last attempt's bytes end the output as they are).
std::string all_listing(const std::map<AttemptKey, std::string>& attempts,
                        const std::string& stream) {
  std::string text;
  for (const auto& [key, bytes] : attempts) {
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    text.append("==> subtask ")
        .append(std::to_string(key.first))
        .append(" attempt ")
        .append(std::to_string(key.second))
        .append(" ")
        .append(stream)
        .append(" <==\n")
        .append(bytes);
  }
  return text;
}

class OutputModes : public testing::ScratchRunTest {
 protected:
  OutputModes() : ScratchRunTest("tasktrack-output-modes") {}

  // The files in `folder` (names), or none when it does not exist.
  static std::vector<std::string> files_in(const std::string& folder) {
    std::vector<std::string> names;
    if (!fs::exists(folder)) return names;
    for (const auto& entry : fs::directory_iterator(folder)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

// The mixed list: binary bytes without a final newline, 5 MB, stderr only, both streams,
// nothing, and lines that fail once and succeed on their retry. Every attempt the log names
// reads back exactly, in a random order; the latest attempt is the default; --all prints
// every attempt by subtask, then attempt, in one stream of bytes.
TEST_F(OutputModes, EveryAttemptOfAMixedListReadsBackExactly) {
  constexpr std::uint32_t lines = 30;
  constexpr std::uint32_t five_mb_line = 6;  // binary on stdout (i % 6 == 0)
  std::map<AttemptKey, std::string> out;     // what each attempt wrote; absent: nothing
  std::map<AttemptKey, std::string> err;
  std::string tasks;
  for (std::uint32_t i = 0; i < lines; ++i) {
    const std::string payload =
        write("payload-" + std::to_string(i),
              binary_payload(i == five_mb_line ? 5000000 : 300 + 97 * i, i + 1));
    const std::string bytes = read(payload);
    switch (i % 6) {
      case 0:  // binary on stdout
        tasks += "cat '" + payload + "'\n";
        out[{i, 0}] = bytes;
        break;
      case 1:  // stderr only
        tasks += "cat '" + payload + "' >&2\n";
        err[{i, 0}] = bytes;
        break;
      case 2:  // text without a final newline, and some stderr
        tasks += "printf 'line %s' " + std::to_string(i) + "; printf 'warn\\n' >&2\n";
        out[{i, 0}] = "line " + std::to_string(i);
        err[{i, 0}] = "warn\n";
        break;
      case 3:  // nothing at all
        tasks += "true\n";
        break;
      default: {  // fails once with one output, then succeeds with another
        const std::string marker = path("failed-once-" + std::to_string(i));
        tasks += "if [ -e '" + marker + "' ]; then cat '" + payload + "'; else : > '" + marker +
                 "'; echo first-" + std::to_string(i) + "; printf 'err-" + std::to_string(i) +
                 "' >&2; exit 4; fi\n";
        out[{i, 0}] = "first-" + std::to_string(i) + "\n";
        err[{i, 0}] = "err-" + std::to_string(i);
        out[{i, 1}] = bytes;
        break;
      }
    }
  }
  const std::string journal = path("mixed.journal");
  std::vector<std::string> args{
      "--task-file", write("mixed.txt", tasks), "--journal", journal, "--retries", "1"};
  for (const std::string& arg : two_threads()) args.push_back(arg);
  const Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.out << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["done"], lines);

  // A handful of files: one packed file per worker rank at most.
  const std::vector<std::string> files = files_in(path("mixed.txt.output"));
  EXPECT_GE(files.size(), 1u);
  EXPECT_LE(files.size(), worker_ranks());
  for (const std::string& name : files) EXPECT_EQ(fs::path(name).extension(), ".pack") << name;

  // The log names exactly the attempts the commands made.
  std::set<AttemptKey> expected_attempts;
  for (std::uint32_t i = 0; i < lines; ++i) {
    expected_attempts.insert({i, 0});
    if (i % 6 >= 4) expected_attempts.insert({i, 1});
  }
  std::vector<AttemptKey> logged;
  for (const json& row : log_rows(journal)) {
    logged.emplace_back(row["subtask"].get<std::uint32_t>(), row["attempt"].get<std::uint32_t>());
  }
  EXPECT_EQ(std::set<AttemptKey>(logged.begin(), logged.end()), expected_attempts);
  EXPECT_EQ(logged.size(), expected_attempts.size());

  // Every attempt, both streams, in a random order.
  std::mt19937 random(2024);
  std::shuffle(logged.begin(), logged.end(), random);
  for (const AttemptKey& key : logged) {
    const std::string got_out = output_of(journal, key.first, key.second, false);
    const std::string got_err = output_of(journal, key.first, key.second, true);
    const std::string want_out = out.count(key) ? out.at(key) : std::string();
    const std::string want_err = err.count(key) ? err.at(key) : std::string();
    EXPECT_TRUE(got_out == want_out)
        << "subtask " << key.first << " attempt " << key.second << ": stdout " << got_out.size()
        << " bytes, expected " << want_out.size();
    EXPECT_TRUE(got_err == want_err)
        << "subtask " << key.first << " attempt " << key.second << ": stderr " << got_err.size()
        << " bytes, expected " << want_err.size();
  }
  // Without --attempt: the latest.
  const ProcessResult latest = tasktrack({"output", journal, "4"});
  EXPECT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_TRUE(latest.out == out.at({4, 1})) << latest.out.size() << " bytes";

  // --all: every attempt by subtask, then attempt, whatever rank or file held it.
  std::map<AttemptKey, std::string> all_out;
  std::map<AttemptKey, std::string> all_err;
  for (const AttemptKey& key : expected_attempts) {
    all_out[key] = out.count(key) ? out.at(key) : std::string();
    all_err[key] = err.count(key) ? err.at(key) : std::string();
  }
  ProcessResult all = tasktrack({"output", journal, "--all"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(all.out == all_listing(all_out, "stdout")) << all.out.size() << " bytes";
  all = tasktrack({"output", journal, "--all", "--stderr"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(all.out == all_listing(all_err, "stderr")) << all.out.substr(0, 2000);
}

// A run killed with SIGKILL (no flush, no summary) and resumed: every attempt the journal
// recorded before the kill reads back exactly, before and after the resumed run, and after
// it every subtask's latest attempt does too (the resumed run cut the torn tail and
// appended). In one process: under mpirun, killing mpirun would leave its ranks to Open MPI.
TEST_F(OutputModes, ASigkilledRunResumedKeepsEveryFinishedAttemptsBytes) {
  if (processes > 0) GTEST_SKIP() << "one process only: SIGKILL of the whole job";
  constexpr std::uint32_t lines = 120;
  std::string tasks;
  std::vector<std::string> out(lines);
  std::vector<std::string> err(lines);
  for (std::uint32_t i = 0; i < lines; ++i) {
    out[i] = read(write("out-" + std::to_string(i), binary_payload(1000 + 377 * i, i + 7)));
    err[i] = read(write("err-" + std::to_string(i), binary_payload(50 + i, i + 1000)));
    tasks += "cat '" + path("out-" + std::to_string(i)) + "'; cat '" +
             path("err-" + std::to_string(i)) + "' >&2; sleep 0.1\n";
  }
  const std::string task_file = write("killed.txt", tasks);
  const std::string journal = path("killed.journal");
  std::vector<std::string> args{"--task-file", task_file, "--journal", journal};
  for (const std::string& arg : two_threads()) args.push_back(arg);

  // Start the job, wait until `status` says 20 commands are done, SIGKILL it.
  std::string script = "\"$0\" run";
  for (const std::string& arg : args) script += " '" + arg + "'";
  script +=
      " >/dev/null 2>&1 </dev/null & job=$!; i=0;"
      " while [ $i -lt 600 ]; do"
      "   finished=$(\"$0\" status '" +
      journal +
      "' --json 2>/dev/null | grep -o '\"done\":[0-9]*' | head -n 1 | cut -d: -f2);"
      "   [ \"${finished:-0}\" -ge 20 ] && break; sleep 0.05; i=$((i+1));"
      " done;"
      " kill -KILL $job; wait $job; echo \"exit $?\"";
  const ProcessResult killed = run_process({"/bin/sh", "-c", script, TASKTRACK_BINARY}, 120);
  ASSERT_EQ(killed.out, "exit 137\n") << killed.err;

  std::vector<AttemptKey> finished;
  for (const json& row : log_rows(journal)) {
    EXPECT_EQ(row["state"], "done") << row.dump();
    finished.emplace_back(row["subtask"].get<std::uint32_t>(), row["attempt"].get<std::uint32_t>());
  }
  ASSERT_GE(finished.size(), 20u);
  ASSERT_LT(finished.size(), lines) << "the job ended before it was killed; make it slower";
  const auto check_finished = [&](const char* when) {
    for (const AttemptKey& key : finished) {
      EXPECT_TRUE(output_of(journal, key.first, key.second, false) == out[key.first])
          << when << ": subtask " << key.first << " attempt " << key.second;
      EXPECT_TRUE(output_of(journal, key.first, key.second, true) == err[key.first])
          << when << ": subtask " << key.first << " attempt " << key.second;
    }
  };
  check_finished("after the kill");

  const Run resumed = run(args);
  ASSERT_EQ(resumed.process.exit_code, 0) << resumed.process.out << resumed.process.err;
  EXPECT_EQ(resumed.summary["subtasks"]["resumed"], finished.size());
  EXPECT_EQ(resumed.summary["subtasks"]["done"], lines);
  check_finished("after the resumed run");
  for (std::uint32_t i = 0; i < lines; ++i) {
    const ProcessResult latest = tasktrack({"output", journal, std::to_string(i)});
    EXPECT_EQ(latest.exit_code, 0) << latest.err;
    EXPECT_TRUE(latest.out == out[i]) << "subtask " << i << ": " << latest.out.size() << " bytes";
  }
  EXPECT_EQ(files_in(path("killed.txt.output")).size(), 1u);
}

// --output-limit 1M on a command writing 50 MiB: the head (512 KiB), a marker naming the
// bytes dropped, the tail (512 KiB); the summary names the capped attempt.
TEST_F(OutputModes, OutputLimitKeepsHeadAndTailOfFiftyMebibytes) {
  const std::string big = binary_payload(50u << 20, 5);
  const std::string big_file = write("big.bin", big);
  const std::string journal = path("cap.journal");
  const Run r = run({"--task-file", write("cap.txt", "cat '" + big_file + "'\necho small\n"),
                     "--journal", journal, "--output-limit", "1M"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  const ProcessResult kept = tasktrack({"output", journal, "0"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  const std::size_t limit = 1u << 20;
  const std::size_t half = limit / 2;
  const std::string marker = "\n[tasktrack: " + std::to_string(big.size() - limit) +
                             " bytes dropped here by --output-limit 1 MiB]\n";
  ASSERT_EQ(kept.out.size(), limit + marker.size());
  EXPECT_TRUE(kept.out.compare(0, half, big, 0, half) == 0) << "the head differs";
  EXPECT_EQ(kept.out.substr(half, marker.size()), marker);
  EXPECT_TRUE(kept.out.compare(half + marker.size(), half, big, big.size() - half, half) == 0)
      << "the tail differs";
  EXPECT_EQ(tasktrack({"output", journal, "1"}).out, "small\n");

  ASSERT_EQ(r.summary["capped"].size(), 1u) << r.summary.dump();
  EXPECT_EQ(r.summary["capped"][0]["subtask"], 0);
  EXPECT_EQ(r.summary["capped"][0]["attempt"], 0);
  EXPECT_EQ(r.summary["capped"][0]["line"], 1);
}

// on-failure: only failed attempts' output is kept (a large successful one included, which
// spools past 1 MiB); `output` of a successful attempt says why there is none.
TEST_F(OutputModes, OnFailureKeepsOnlyTheFailedAttempts) {
  const std::string journal = path("onf.journal");
  const std::string tasks = write("onf.txt",
                                  "echo ok-0\n"
                                  "echo bad-1; echo why-1 >&2; exit 1\n"
                                  "head -c 3000000 /dev/zero; echo ok-2 >&2\n"
                                  "printf bad-3 >&2; kill -TERM $$\n"
                                  "printf ok-4\n");
  std::vector<std::string> args{"--task-file", tasks,        "--journal", journal,
                                "--output",    "on-failure", "--retries", "0"};
  for (const std::string& arg : two_threads()) args.push_back(arg);
  const Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 1) << r.process.err;
  EXPECT_EQ(output_of(journal, 1, 0, false), "bad-1\n");
  EXPECT_EQ(output_of(journal, 1, 0, true), "why-1\n");
  EXPECT_EQ(output_of(journal, 3, 0, true), "bad-3");
  for (const std::string id : {"0", "2", "4"}) {
    const ProcessResult none = tasktrack({"output", journal, id});
    EXPECT_EQ(none.exit_code, 2) << id;
    EXPECT_EQ(none.out, "") << id;
    EXPECT_NE(none.err.find("on-failure"), std::string::npos) << none.err;
  }
  const ProcessResult all = tasktrack({"output", journal, "--all", "--stderr"});
  EXPECT_EQ(all.out,
            "==> subtask 1 attempt 0 stderr <==\nwhy-1\n"
            "==> subtask 3 attempt 0 stderr <==\nbad-3");
  const std::vector<std::string> files = files_in(path("onf.txt.output"));
  EXPECT_GE(files.size(), 1u);
  EXPECT_LE(files.size(), worker_ranks());
  for (const std::string& name : files) EXPECT_EQ(fs::path(name).extension(), ".pack") << name;
}

// none: no output folder at all, neither the named one nor the default beside the task
// file; a failure still quotes its stderr, and `output` says the run kept nothing.
TEST_F(OutputModes, NoneCreatesNoOutputFiles) {
  const std::string journal = path("none.journal");
  const std::string tasks =
      write("none.txt", "echo out-0\necho out-1; echo the-reason >&2; exit 5\n");
  for (const bool named : {false, true}) {
    std::vector<std::string> args{"--task-file", tasks,  "--journal", journal,
                                  "--output",    "none", "--retries", "0"};
    if (named) args.insert(args.end(), {"--output-dir", path("named")});
    const Run r = run(args);
    ASSERT_EQ(r.process.exit_code, 1) << r.process.err;
    ASSERT_EQ(r.summary["failures"].size(), 1u) << r.summary.dump();
    EXPECT_NE(r.summary["failures"][0]["detail"].get<std::string>().find("the-reason"),
              std::string::npos)
        << r.summary["failures"][0]["detail"];
    EXPECT_EQ(files_in(dir_.string()),
              (std::vector<std::string>{"none.journal", "none.txt", "summary.json"}))
        << "named " << named;
    const ProcessResult nothing = tasktrack({"output", journal, "1"});
    EXPECT_EQ(nothing.exit_code, 2);
    EXPECT_NE(nothing.err.find("none"), std::string::npos) << nothing.err;
  }
}

// A task that fails, then succeeds on a resumed run, keeps both attempts' output, numbered
// 0 and 1, in packed and in files mode.
TEST_F(OutputModes, AFailureThatSucceedsOnResumeKeepsBothAttemptsOutput) {
  for (const std::string mode : {"packed", "files"}) {
    SCOPED_TRACE(mode);
    const std::string marker = path(mode + ".ready");
    const std::string journal = path(mode + ".journal");
    const std::string tasks =
        write(mode + ".txt", "if [ -e '" + marker +
                                 "' ]; then echo second; echo second-err >&2; else echo first; "
                                 "echo first-err >&2; exit 1; fi\necho other\n");
    const std::vector<std::string> args{"--task-file", tasks, "--journal", journal,
                                        "--output",    mode,  "--retries", "0"};
    const Run first = run(args);
    ASSERT_EQ(first.process.exit_code, 1) << first.process.err;
    write(mode + ".ready", "");
    const Run second = run(args);
    ASSERT_EQ(second.process.exit_code, 0) << second.process.err;
    EXPECT_EQ(output_of(journal, 0, 0, false), "first\n");
    EXPECT_EQ(output_of(journal, 0, 0, true), "first-err\n");
    EXPECT_EQ(output_of(journal, 0, 1, false), "second\n");
    EXPECT_EQ(output_of(journal, 0, 1, true), "second-err\n");
    EXPECT_EQ(tasktrack({"output", journal, "0"}).out, "second\n");
    EXPECT_EQ(tasktrack({"output", journal, "0", "--all"}).out,
              "==> subtask 0 attempt 0 stdout <==\nfirst\n"
              "==> subtask 0 attempt 1 stdout <==\nsecond\n");
    if (mode == "files") {
      const std::vector<std::string> files = files_in(path("files.txt.output"));
      for (const std::string name :
           {"subtask-000000.attempt-0.out", "subtask-000000.attempt-1.out",
            "subtask-000000.attempt-0.err", "subtask-000000.attempt-1.err"}) {
        EXPECT_EQ(std::count(files.begin(), files.end(), name), 1) << name;
      }
    }
  }
}

// --output stdout: two threads (two worker ranks under mpirun, whose blocks rank 0 prints,
// so they pass mpirun's forwarding as one stream) each run commands that write thousands of
// lines to stdout and stderr at once; every attempt arrives as one block, never interleaved
// with another's. --tag prefixes each line with the task's line number.
TEST_F(OutputModes, StdoutBlocksOfTwoThreadsNeverInterleave) {
  constexpr int tasks_count = 8;
  constexpr int lines = 2000;
  std::string tasks;
  for (int t = 0; t < tasks_count; ++t) {
    const std::string name = "T" + std::to_string(t);
    tasks += "i=0; while [ $i -lt " + std::to_string(lines) + " ]; do echo " + name +
             "-$i; [ $((i % 7)) = 0 ] && echo " + name + "-err$i >&2; i=$((i+1)); done; true\n";
  }
  const std::string task_file = write("blocks.txt", tasks);
  const std::regex block_line("(\\d+\\t)?T(\\d+)-(err)?\\d+");
  for (const bool tag : {false, true}) {
    SCOPED_TRACE(tag ? "--tag" : "no tag");
    std::vector<std::string> args{"--task-file", task_file, "--output", "stdout"};
    if (tag) args.push_back("--tag");
    for (const std::string& arg : two_threads()) args.push_back(arg);
    const Run r = run(args);
    ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
    std::vector<int> blocks;  // the task of each run of consecutive lines
    std::map<int, int> counts;
    std::istringstream text(r.process.out);
    for (std::string line; std::getline(text, line);) {
      std::smatch match;
      if (!std::regex_match(line, match, block_line)) {
        // The summary's lines; a torn block line would hold "T<n>-" somewhere in it.
        EXPECT_FALSE(std::regex_search(line, std::regex("T\\d+-"))) << "torn line: " << line;
        continue;
      }
      const int task = std::stoi(match[2].str());
      EXPECT_EQ(match[1].matched, tag) << line;
      if (tag) {
        EXPECT_EQ(match[1].str(), std::to_string(task + 1) + "\t") << line;
      }
      if (blocks.empty() || blocks.back() != task) blocks.push_back(task);
      ++counts[task];
    }
    EXPECT_EQ(blocks.size(), static_cast<std::size_t>(tasks_count)) << "blocks interleaved";
    EXPECT_EQ(std::set<int>(blocks.begin(), blocks.end()).size(), blocks.size());
    for (int t = 0; t < tasks_count; ++t) EXPECT_EQ(counts[t], lines + (lines + 6) / 7) << t;
  }
}

// The log agrees with the journal attempt by attempt: lines that fail 0, 1 or 2 times before
// succeeding, and one that always fails, under --retries 2 (and across worker ranks under
// mpirun); its peak memory and CPU columns are what the commands used.
TEST_F(OutputModes, TheLogAgreesWithTheJournalAttemptByAttempt) {
  std::string tasks;
  for (int i = 0; i < 12; ++i) {
    const std::string counter = path("count-" + std::to_string(i));
    // Fails (i % 3) times, then succeeds; line 12 always fails.
    tasks += "n=$(cat '" + counter + "' 2>/dev/null || echo 0); echo $((n + 1)) > '" + counter +
             "'; [ $n -ge " + std::to_string(i % 3) + " ]\n";
  }
  tasks += "exit 9\n";
  const std::string journal = path("log.journal");
  std::vector<std::string> args{
      "--task-file", write("log.txt", tasks), "--journal", journal, "--retries", "2"};
  for (const std::string& arg : two_threads()) args.push_back(arg);
  const Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 1) << r.process.err;

  using Row = std::tuple<std::uint32_t, std::uint32_t, std::int32_t, std::string>;
  std::multiset<Row> from_journal;
  std::map<AttemptKey, JournalAttempt> records;
  for_each_attempt(read_journal(journal), [&](const JournalAttempt& attempt) {
    const std::string state = attempt.state == SubtaskState::done ? "done"
                              : attempt.retried                   ? "retried"
                                                                  : "failed";
    from_journal.insert(
        {static_cast<std::uint32_t>(attempt.subtask), attempt.attempt, attempt.rank, state});
    records[{static_cast<std::uint32_t>(attempt.subtask), attempt.attempt}] = attempt;
  });
  std::multiset<Row> from_log;
  const std::vector<json> rows = log_rows(journal);
  for (const json& row : rows) {
    const AttemptKey key{row["subtask"].get<std::uint32_t>(), row["attempt"].get<std::uint32_t>()};
    from_log.insert({key.first, key.second, row["rank"].get<std::int32_t>(), row["state"]});
    ASSERT_EQ(records.count(key), 1u) << row.dump();
    const JournalAttempt& record = records.at(key);
    EXPECT_EQ(row["Seq"], key.first + 1);
    EXPECT_EQ(row["line"], key.first + 1);
    EXPECT_EQ(row["thread"], record.thread);
    EXPECT_NEAR(row["Starttime"].get<double>(), record.start_unix, 0.0011) << row.dump();
    EXPECT_NEAR(row["JobRuntime"].get<double>(), record.end_unix - record.start_unix, 0.0011);
    EXPECT_EQ(row["Exitval"], key.first == 12 ? 9 : (row["state"] == "done" ? 0 : 1)) << row.dump();
    ASSERT_TRUE(record.usage.has_value()) << row.dump();
    EXPECT_EQ(row["max_rss_bytes"], record.usage->max_rss_bytes);
    EXPECT_GT(row["max_rss_bytes"].get<std::uint64_t>(), 0u);
    if (processes > 0) {
      EXPECT_GE(row["rank"].get<int>(), 1) << row.dump();
    }
  }
  EXPECT_EQ(from_log, from_journal);
  // 12 successes after 0+1+2 failures each (4 x 3 = 12 failures), line 13: 3 failures.
  EXPECT_EQ(rows.size(), 12u + 12u + 3u);
  std::size_t retried = 0;
  for (const Row& row : from_log) retried += std::get<3>(row) == "retried";
  EXPECT_EQ(retried, 12u + 2u);

  // The TSV and CSV hold as many rows (one line each: no command holds a newline).
  for (const std::string format : {"tsv", "csv"}) {
    const ProcessResult text = tasktrack({"log", journal, "--format", format});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(testing::non_empty_lines(text.out).size(), rows.size() + 1) << format;
  }
}

// The cost columns: a command that allocates and touches 200 MiB shows at least that peak in
// the log and the summary; one that burns 0.4 s of CPU shows at least that, and no more than
// its own run time (one thread), up to the accounting's granularity.
TEST_F(OutputModes, TheLogShowsPeakMemoryAndCpuTime) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is not installed";
  }
  const std::string journal = path("cost.journal");
  const std::string tasks =
      write("cost.txt",
            "python3 -c 'b = bytearray(200 * 1024 * 1024)'\n"
            "python3 -c 'import time; exec(\"while time.process_time() < 0.4: pass\")'\n");
  const Run r = run({"--task-file", tasks, "--journal", journal});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  const std::vector<json> rows = log_rows(journal);
  ASSERT_EQ(rows.size(), 2u);
  for (const json& row : rows) {
    if (row["subtask"] == 0) {
      EXPECT_GE(row["max_rss_bytes"].get<std::uint64_t>(), 200ull << 20) << row.dump();
    } else {
      const double cpu =
          row["user_cpu_seconds"].get<double>() + row["system_cpu_seconds"].get<double>();
      EXPECT_GE(cpu, 0.4) << row.dump();
      EXPECT_LE(cpu, row["JobRuntime"].get<double>() + 0.1) << row.dump();
      EXPECT_LT(row["max_rss_bytes"].get<std::uint64_t>(), 200ull << 20) << row.dump();
    }
  }
  EXPECT_GE(r.summary["cost"]["peak_rss_bytes"].get<std::uint64_t>(), 200ull << 20);
  EXPECT_EQ(r.summary["cost"]["peak"]["subtask"], 0);
  EXPECT_EQ(r.summary["cost"]["measured_attempts"], 2);
}

}  // namespace
}  // namespace tasktrack
