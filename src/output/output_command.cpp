#include "output/output_command.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "journal/fingerprint.hpp"
#include "journal/journal_reader.hpp"
#include "output/output_folder.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

bool is_directory(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "'" : ", '") + item + "'";
  return text;
}

// The "output" object of the journal's last session record that has one, or nullptr.
const nlohmann::json* last_output_record(const std::vector<nlohmann::json>& sessions) {
  for (auto session = sessions.rbegin(); session != sessions.rend(); ++session) {
    if (!session->is_object()) continue;
    const auto output = session->find("output");
    if (output != session->end() && output->is_object()) return &*output;
  }
  return nullptr;
}

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto field = object.find(name);
  return field != object.end() && field->is_string() ? field->get<std::string>() : std::string();
}

OutputLocation locate_from_journal(const std::string& journal) {
  const JournalContents contents = read_journal(journal);
  if (const nlohmann::json* output = last_output_record(contents.sessions)) {
    OutputLocation location{string_field(*output, "dir"), string_field(*output, "mode")};
    const bool kept_nothing = location.mode == "none" || location.mode == "stdout";
    if (!location.dir.empty() && is_directory(location.dir)) return location;
    if (kept_nothing) {
      throw UsageError("journal '" + journal + "': its last run kept no output files (--output " +
                       location.mode + ")");
    }
    throw UsageError("journal '" + journal + "' names the output folder '" + location.dir +
                     "', which is not a folder (moved or deleted?); give the folder instead");
  }
  // Journals from before output modes: a task list's output went beside the task file, or
  // (older still) into the folder the job ran in, named after the task file.
  const RecordedJob job = read_recorded_job(contents.fingerprint);
  if (!job.task_file) {
    throw UsageError("journal '" + journal +
                     "' is not a task list's: only commands' output is kept in files");
  }
  std::vector<std::string> tried;
  for (const fs::path& task_file : task_file_candidates(*job.task_file, journal)) {
    tried.push_back(task_file.string() + ".output");
  }
  tried.push_back(fs::path(*job.task_file).filename().string() + ".output");
  for (const std::string& dir : tried) {
    if (is_directory(dir)) return OutputLocation{dir, ""};
  }
  throw UsageError("journal '" + journal + "' records no output folder and none of " +
                   quoted_list(tried) + " is one; give the output folder instead");
}

std::string attempt_numbers(const std::vector<const AttemptOutput*>& attempts) {
  std::string text;
  for (const AttemptOutput* attempt : attempts) {
    text += (text.empty() ? "" : ", ") + std::to_string(attempt->attempt);
  }
  return text;
}

// Why a subtask may have no output in a folder written in `mode`.
std::string mode_hint(const std::string& mode) {
  if (mode == "on-failure") return " (--output on-failure keeps only failed attempts' output)";
  if (mode == "none" || mode == "stdout") return " (the job's last run used --output " + mode + ")";
  return "";
}

}  // namespace

OutputLocation locate_output(const std::string& source) {
  std::error_code error;
  const fs::file_status status = fs::status(source, error);
  if (fs::is_directory(status)) return OutputLocation{source, ""};
  if (fs::is_regular_file(status)) return locate_from_journal(source);
  if (fs::exists(status)) {
    throw UsageError("'" + source + "' is neither an output folder nor a journal file");
  }
  throw UsageError("no such output folder or journal: '" + source + "'");
}

std::string output_header_line(std::uint64_t subtask, std::uint32_t attempt, bool stderr_stream) {
  return "==> subtask " + std::to_string(subtask) + " attempt " + std::to_string(attempt) + " " +
         (stderr_stream ? "stderr" : "stdout") + " <==\n";
}

int run_output_command(const OutputQuery& query, std::ostream& out) {
  const OutputLocation location = locate_output(query.source);
  const OutputFolder folder = read_output_folder(location.dir);
  const OutputStream stream =
      query.stderr_stream ? OutputStream::stderr_stream : OutputStream::stdout_stream;

  std::vector<const AttemptOutput*> chosen;
  if (query.subtask) {
    chosen = folder.attempts_of(*query.subtask);
    if (chosen.empty()) {
      throw UsageError("no output recorded for subtask " + std::to_string(*query.subtask) +
                       " in '" + location.dir + "'" + mode_hint(location.mode));
    }
  } else {
    for (const AttemptOutput& attempt : folder.attempts) chosen.push_back(&attempt);
  }

  if (!query.all) {
    const AttemptOutput* attempt = chosen.back();  // the latest
    if (query.attempt) {
      attempt = nullptr;
      for (const AttemptOutput* candidate : chosen) {
        if (candidate->attempt == *query.attempt) attempt = candidate;
      }
      if (attempt == nullptr) {
        throw UsageError("attempt " + std::to_string(*query.attempt) + " of subtask " +
                         std::to_string(*query.subtask) + " not found in '" + location.dir +
                         "'; its attempts: " + attempt_numbers(chosen));
      }
    }
    copy_stream(attempt->pieces(stream), out);
    out.flush();
    return exit_success;
  }

  char last_byte = '\n';
  for (const AttemptOutput* attempt : chosen) {
    if (last_byte != '\n') out << '\n';
    out << output_header_line(attempt->subtask, attempt->attempt, query.stderr_stream);
    last_byte = '\n';
    copy_stream(attempt->pieces(stream), out, &last_byte);
  }
  out.flush();
  return exit_success;
}

}  // namespace tasktrack
