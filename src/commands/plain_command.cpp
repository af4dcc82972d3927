#include "commands/plain_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <memory>

namespace tasktrack::process {
namespace {

// The builtins and reserved words of sh (dash) and bash: a line starting with one runs in
// the shell, or differently from the program of that name (dash's echo reads backslashes).
constexpr std::string_view shell_words[] = {
    ".",      ":",       "[",        "[[",       "]]",        "{",        "}",       "!",
    "alias",  "bg",      "bind",     "break",    "builtin",   "caller",   "case",    "cd",
    "chdir",  "command", "compgen",  "complete", "compopt",   "continue", "coproc",  "declare",
    "dirs",   "disown",  "do",       "done",     "echo",      "elif",     "else",    "enable",
    "esac",   "eval",    "exec",     "exit",     "export",    "false",    "fc",      "fg",
    "fi",     "for",     "function", "getopts",  "hash",      "help",     "history", "if",
    "in",     "jobs",    "kill",     "let",      "local",     "logout",   "mapfile", "popd",
    "printf", "pushd",   "pwd",      "read",     "readarray", "readonly", "return",  "select",
    "set",    "shift",   "shopt",    "source",   "suspend",   "test",     "then",    "time",
    "times",  "trap",    "true",     "type",     "typeset",   "ulimit",   "umask",   "unalias",
    "unset",  "until",   "wait",     "while"};

bool is_shell_word(std::string_view word) {
  return std::find(std::begin(shell_words), std::end(shell_words), word) != std::end(shell_words);
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_letter_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Characters every shell takes literally inside a word. '=' and '%' only after the command
// name: `A=1 prog` is an assignment, `%1` a job in bash.
bool is_literal(char c, bool command_name) {
  if (is_letter_or_digit(c)) return true;
  switch (c) {
    case '_':
    case '-':
    case '.':
    case '/':
    case ',':
    case ':':
    case '+':
    case '@':
      return true;
    case '=':
    case '%':
      return !command_name;
    default:
      return false;
  }
}

// The value of `name` in NAME=VALUE entries; nullopt when it is not set.
std::optional<std::string_view> value_of(const std::vector<std::string>& environment,
                                         std::string_view name) {
  for (const std::string& entry : environment) {
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name)) {
      return std::string_view(entry).substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

bool same_directory(const std::string& a, const std::string& b) {
  struct stat first {};
  struct stat second {};
  return ::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0 &&
         S_ISDIR(first.st_mode) && first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

}  // namespace

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::vector<std::string>> plain_command_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t at = 0;
  while (at < line.size()) {
    if (is_blank(line[at])) {
      ++at;
      continue;
    }
    const bool command_name = words.empty();
    std::string word;
    while (at < line.size() && !is_blank(line[at])) {
      const char c = line[at];
      if (c == '\'' || c == '"') {
        const std::size_t close = line.find(c, at + 1);
        if (close == std::string_view::npos) return std::nullopt;  // the shell's syntax error
        const std::string_view inside = line.substr(at + 1, close - at - 1);
        // Inside '...' nothing is special; inside "...", $, ` and \ still are.
        if (c == '"' && inside.find_first_of("$`\\") != std::string_view::npos) {
          return std::nullopt;
        }
        word += inside;
        at = close + 1;
      } else if (is_literal(c, command_name)) {
        word += c;
        ++at;
      } else {
        return std::nullopt;
      }
    }
    words.push_back(std::move(word));
  }
  if (words.empty()) return std::nullopt;
  // A quoted builtin is still the builtin; a quoted '=' or '%' is left to the shell too.
  const std::string& name = words.front();
  if (name.find_first_of("=%") != std::string::npos || is_shell_word(name)) return std::nullopt;
  return words;
}

std::optional<std::string> program_for(const std::string& name,
                                       const std::vector<std::string>& environment) {
  if (name.find('/') != std::string::npos) return name;
  // bash (/bin/sh on many clusters) imports exported functions: Lmod's `module` is one.
  if (value_of(environment, "BASH_FUNC_" + name + "%%") ||
      value_of(environment, "BASH_FUNC_" + name + "()")) {
    return std::nullopt;
  }
  const std::optional<std::string_view> search = value_of(environment, "PATH");
  if (!search) return std::nullopt;
  const std::string_view path = *search;
  std::size_t at = 0;
  for (;;) {
    const std::size_t colon = path.find(':', at);
    const std::string_view folder =
        path.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at);
    // "" and "." mean the command's own directory, which the shell resolves after its cd.
    if (folder.empty() || folder.front() != '/') return std::nullopt;
    std::string candidate(folder);
    if (candidate.back() != '/') candidate += '/';
    candidate += name;
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    at = colon + 1;
  }
}

std::string shell_pwd(const std::string& cwd, const std::string& inherited_pwd) {
  const std::string directory = cwd.empty() ? "." : cwd;
  if (!inherited_pwd.empty() && inherited_pwd.front() == '/' &&
      same_directory(inherited_pwd, directory)) {
    return inherited_pwd;
  }
  const std::unique_ptr<char, decltype(&std::free)> real(::realpath(directory.c_str(), nullptr),
                                                         &std::free);
  return real ? std::string(real.get()) : std::string();
}

}  // namespace tasktrack::process
