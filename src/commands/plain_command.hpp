// A task line that is one plain command: run without a shell, as GNU make does.
//
// `sh -c 'prog a b'` parses the line and then execs prog (dash and bash exec a line's last
// command in place of themselves), so the command runs as the same process either way; what
// the shell adds is its own start, one more exec (~0.4 ms here, a sixth of a 2 ms command's
// cost). A line that needs the shell for nothing but its words and quotes (no expansions,
// redirections, globs, assignments, builtins) is therefore started directly: same argv, same
// process, same environment, same exit status. Anything else, and anything this cannot start itself
// (not found, not executable, a script without #!), still goes to the shell, which gives
// its usual result and message.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasktrack::process {

// The words of `line` when it is one plain command: words of letters, digits and
// `_ - . / , : + @` (later words also `=` and `%`) and quoted parts, '...' (anything but
// ') or "..." (anything but ", $, ` and \), read as the shell reads them ('a b'c is the
// word `a bc`), separated by spaces or tabs; the first neither an assignment nor a builtin
// or keyword of sh, dash or bash, even quoted. nullopt for anything a shell would read
// differently from its words (`$`, `\`, globs, `~`, `#`, redirections, `;`, `&`, `|`,
// parentheses, braces, newlines and non-ASCII bytes outside quotes, an unclosed quote)
// and for an empty line.
std::optional<std::vector<std::string>> plain_command_words(std::string_view line);

// True for a regular file this process may execute (as execve would find it).
bool is_executable_file(const std::string& path);

// The program a shell would run for `name` under `environment` (NAME=VALUE entries): `name`
// itself when it holds '/', else the first executable regular file `dir/name` along that
// environment's PATH. nullopt when the shell could decide otherwise: no PATH, a relative
// or empty PATH entry, nothing found (the shell's "not found"), or a bash function of that
// name exported in the environment (BASH_FUNC_name%%).
std::optional<std::string> program_for(const std::string& name,
                                       const std::vector<std::string>& environment);

// What a POSIX shell exports as PWD when it starts in `cwd` (empty: this process's own
// directory) with `inherited_pwd` (the PWD it was given, may be empty): that PWD when it
// names the same directory (a logical path, symbolic links kept), else the physical path.
// Empty when the directory cannot be resolved (the shell's result is then the shell's).
std::string shell_pwd(const std::string& cwd, const std::string& inherited_pwd);

}  // namespace tasktrack::process
