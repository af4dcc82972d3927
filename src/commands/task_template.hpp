// A command template (`--command TEMPLATE`, issue 13): GNU parallel's replacement strings,
// filled in once per argument row to give each generated task's shell command.
//
//   {}     the whole argument            {1} .. {n}  column n (or the n-th ::: set)
//   {.}    without extension             {#}         the task's sequence number, from 1
//   {/}    basename                      {//}        dirname
//   {/.}   basename without extension    {n.} {n/} {n//} {n/.}  the same, of column n
//
// Each replacement is shell-quoted (quoted_word) so that an argument holding spaces, quotes,
// `$`, backslashes, backticks, `;`, a newline or UTF-8 reaches the command as one argument,
// byte for byte; with quoting off (--no-quote) the text goes in as it is. A template without
// any replacement string gets " {}" appended, as GNU parallel does. A `{` that does not open
// one of the strings above ("${HOME}", "awk '{print $1}'", "{1..3}") is plain text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tasktrack {

// One input of a generated task: what its replacement strings stand for.
struct ArgumentRow {
  std::string whole;                 // {}: an --args line, an --array index
  std::vector<std::string> columns;  // {1} .. {n}: --colsep's columns, the ::: sets' values
  // True for ::: sets: {} is then every column, each its own word (GNU parallel's {} with
  // several input sources), and `whole` is unused.
  bool whole_is_columns = false;
  // Where it came from, for messages: the line of the --args file (0: not from a file).
  std::uint32_t source_line = 0;
};

class TaskTemplate {
 public:
  // Parses `text`. Throws UsageError "template 'TEXT', position P: ..." (P counts bytes
  // from 1) for a '{' left unclosed ("{", "{1" at the end) and for {0} (columns count from
  // 1). With `quote` false, replacements are inserted raw.
  explicit TaskTemplate(std::string text, bool quote = true);

  // The command of the task numbered `sequence` (1-based, for {#}) with argument `row`.
  // Throws UsageError naming the template and position when a column is beyond the row's
  // columns, and when a replacement would put a NUL byte into the command.
  std::string expand(const ArgumentRow& row, std::uint64_t sequence) const;

  // The template as given (without the appended " {}").
  const std::string& text() const { return text_; }
  // The highest column any {n} names; 0 when none does.
  std::size_t highest_column() const { return highest_column_; }

  // How a replacement changes the text it stands for.
  enum class Part : std::uint8_t { all, no_extension, basename, dirname, basename_no_extension };

 private:
  struct Piece {
    enum class Kind : std::uint8_t { literal, whole, column, sequence } kind = Kind::literal;
    std::string literal;       // for Kind::literal
    std::size_t column = 0;    // for Kind::column, 1-based
    Part part = Part::all;     // for Kind::whole and Kind::column
    std::size_t position = 0;  // 1-based byte offset of its '{' in the template, for messages
  };
  static Piece replacement(Piece::Kind kind, std::size_t column = 0, Part part = Part::all);
  void append_value(std::string& out, std::string_view value, Part part) const;

  std::string text_;
  bool quote_ = true;
  std::vector<Piece> pieces_;
  std::size_t highest_column_ = 0;
};

// `text` as one shell word that /bin/sh (and bash, zsh) reads back byte for byte: as it is
// when it is non-empty and made only of [A-Za-z0-9] and _ - . / , : @ % + (no expansion,
// no assignment, no globbing can touch those), otherwise in single quotes, each ' written
// as '\''.
std::string quoted_word(std::string_view text);

// The name a generated task list goes by where a task file's path would stand (TaskListJob's
// task_file, the journal's fingerprint, the summary): "template:" + the template. It names
// no file: `status`, `report` and `log` find no command text behind it. A task file whose
// path starts with "template:" is opened as "./template:..." so the two never mix.
std::string generated_list_name(std::string_view template_text);
bool is_generated_list_name(std::string_view task_file);

// GNU parallel's path parts, on text that need not name an existing file:
// without_extension("dir/a.tar.gz") = "dir/a.tar": the last ".EXT" of the basename, where
// EXT is not empty and the '.' is not the basename's first character (".bashrc" keeps it);
// basename("a/b/c") = "c" (everything after the last '/'); dirname as POSIX dirname(1):
// "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/", "a/b/" -> "a".
std::string without_extension(std::string_view path);
std::string basename_of(std::string_view path);
std::string dirname_of(std::string_view path);

}  // namespace tasktrack
