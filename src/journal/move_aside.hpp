// `--fresh`: a journal is never deleted, only set aside under a new name.
#pragma once

#include <string>

namespace tasktrack {

// Renames `path` aside to "<path>.<YYYYmmdd-HHMMSS>[.N]" (never deleting it) and returns
// the new name; returns "" when `path` does not exist. Throws SystemError if renaming fails.
std::string move_journal_aside(const std::string& path);

}  // namespace tasktrack
