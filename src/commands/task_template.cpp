#include "commands/task_template.hpp"

#include <optional>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The characters a replacement string is made of, between its braces.
bool is_replacement_char(char c) {
  return is_digit(c) || c == '#' || c == '.' || c == '/';
}

std::optional<TaskTemplate::Part> part_from_suffix(std::string_view suffix) {
  if (suffix.empty()) return TaskTemplate::Part::all;
  if (suffix == ".") return TaskTemplate::Part::no_extension;
  if (suffix == "/") return TaskTemplate::Part::basename;
  if (suffix == "//") return TaskTemplate::Part::dirname;
  if (suffix == "/.") return TaskTemplate::Part::basename_no_extension;
  return std::nullopt;
}

std::string apply_part(std::string_view value, TaskTemplate::Part part) {
  switch (part) {
    case TaskTemplate::Part::all:
      return std::string(value);
    case TaskTemplate::Part::no_extension:
      return without_extension(value);
    case TaskTemplate::Part::basename:
      return basename_of(value);
    case TaskTemplate::Part::dirname:
      return dirname_of(value);
    case TaskTemplate::Part::basename_no_extension:
      return without_extension(basename_of(value));
  }
  return std::string(value);
}

bool is_safe_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == ',' || c == ':' || c == '@' || c == '%' || c == '+';
}

constexpr std::string_view generated_prefix = "template:";

}  // namespace

TaskTemplate::Piece TaskTemplate::replacement(Piece::Kind kind, std::size_t column, Part part) {
  Piece piece;
  piece.kind = kind;
  piece.column = column;
  piece.part = part;
  return piece;
}

std::string generated_list_name(std::string_view template_text) {
  return std::string(generated_prefix) + std::string(template_text);
}

bool is_generated_list_name(std::string_view task_file) {
  return task_file.substr(0, generated_prefix.size()) == generated_prefix;
}

std::string quoted_word(std::string_view text) {
  bool safe = !text.empty();
  for (const char c : text) safe = safe && is_safe_word_char(c);
  if (safe) return std::string(text);
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted += '\'';
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

std::string basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string without_extension(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || dot <= base || dot + 1 == path.size()) {
    return std::string(path);
  }
  return std::string(path.substr(0, dot));
}

std::string dirname_of(std::string_view path) {
  std::size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;  // trailing slashes name no component
  const auto slash = path.substr(0, end).rfind('/');
  if (slash == std::string_view::npos) return ".";
  std::size_t cut = slash;
  while (cut > 0 && path[cut - 1] == '/') --cut;
  return cut == 0 ? "/" : std::string(path.substr(0, cut));
}

TaskTemplate::TaskTemplate(std::string text, bool quote) : text_(std::move(text)), quote_(quote) {
  const auto malformed = [&](std::size_t position, const std::string& problem) {
    throw UsageError("template '" + text_ + "', position " + std::to_string(position) + ": " +
                     problem);
  };
  bool any_replacement = false;
  std::string literal;
  const auto flush_literal = [&] {
    if (literal.empty()) return;
    Piece piece;
    piece.literal = std::move(literal);
    pieces_.push_back(std::move(piece));
    literal.clear();
  };
  std::size_t at = 0;
  while (at < text_.size()) {
    if (text_[at] != '{') {
      literal += text_[at++];
      continue;
    }
    std::size_t end = at + 1;
    while (end < text_.size() && is_replacement_char(text_[end])) ++end;
    if (end == text_.size()) {
      std::string problem = "'";
      problem.append(text_, at, std::string::npos);
      problem += "' is not closed: a replacement string ends with '}'";
      malformed(at + 1, problem);
    }
    const std::string_view inside = std::string_view(text_).substr(at + 1, end - at - 1);
    std::optional<Piece> piece;
    if (text_[end] == '}') {
      if (inside == "#") {
        piece = replacement(Piece::Kind::sequence);
      } else if (!inside.empty() && is_digit(inside.front())) {
        std::size_t digits = 0;
        while (digits < inside.size() && is_digit(inside[digits])) ++digits;
        if (const auto part = part_from_suffix(inside.substr(digits))) {
          // More than 9 digits names no real column; keep the number in range.
          const std::size_t column =
              digits > 9 ? 1000000000 : std::stoul(std::string(inside.substr(0, digits)));
          if (column == 0) {
            malformed(at + 1, "{" + std::string(inside) + "}: columns count from 1, as {1}");
          }
          piece = replacement(Piece::Kind::column, column, *part);
        }
      } else if (const auto part = part_from_suffix(inside)) {
        piece = replacement(Piece::Kind::whole, 0, *part);
      }
    }
    if (!piece) {  // not a replacement string: plain text
      literal += text_[at++];
      continue;
    }
    flush_literal();
    piece->position = at + 1;
    if (piece->kind == Piece::Kind::column && piece->column > highest_column_) {
      highest_column_ = piece->column;
    }
    pieces_.push_back(std::move(*piece));
    any_replacement = true;
    at = end + 1;
  }
  flush_literal();
  if (!any_replacement) {
    Piece space;
    space.literal = " ";
    pieces_.push_back(std::move(space));
    pieces_.push_back(replacement(Piece::Kind::whole, 0, Part::all));
    pieces_.back().position = text_.size() + 1;
  }
}

void TaskTemplate::append_value(std::string& out, std::string_view value, Part part) const {
  const std::string text = apply_part(value, part);
  out += quote_ ? quoted_word(text) : text;
}

std::string TaskTemplate::expand(const ArgumentRow& row, std::uint64_t sequence) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    switch (piece.kind) {
      case Piece::Kind::literal:
        out += piece.literal;
        break;
      case Piece::Kind::sequence:
        out += std::to_string(sequence);
        break;
      case Piece::Kind::whole:
        if (!row.whole_is_columns) {
          append_value(out, row.whole, piece.part);
          break;
        }
        for (std::size_t i = 0; i < row.columns.size(); ++i) {
          if (i > 0) out += ' ';
          append_value(out, row.columns[i], piece.part);
        }
        break;
      case Piece::Kind::column:
        if (piece.column > row.columns.size()) {
          const std::string source =
              row.source_line > 0 ? "line " + std::to_string(row.source_line) + " of the arguments"
                                  : "task " + std::to_string(sequence);
          throw UsageError("template '" + text_ + "', position " + std::to_string(piece.position) +
                           ": column " + std::to_string(piece.column) + " is beyond the " +
                           std::to_string(row.columns.size()) + " column" +
                           (row.columns.size() == 1 ? "" : "s") + " of " + source);
        }
        append_value(out, row.columns[piece.column - 1], piece.part);
        break;
    }
  }
  if (out.find('\0') != std::string::npos) {
    throw UsageError("template '" + text_ + "': the command of task " + std::to_string(sequence) +
                     " would hold a NUL byte, which no command line can carry");
  }
  return out;
}

}  // namespace tasktrack
