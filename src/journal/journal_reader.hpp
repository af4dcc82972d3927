// Reading a journal back: one parser, for a file (streamed through a buffer) and for bytes
// in memory alike. A record that is cut short or fails its CRC ends the journal: it and
// everything after it are cut off with a warning.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "journal/journal_records.hpp"

namespace tasktrack {

// Reads a journal. Throws UsageError when the file cannot be opened or its header is not a
// tasktrack journal header (wrong magic, version, or header CRC). A bad record is not an
// error: reading stops there and `warning` says what was cut off and where. An empty file
// (a writer created it and died before its header) reads as no header: empty fingerprint,
// no records, valid_bytes 0; a JournalWriter given that writes the header. Throws
// SystemError when reading fails midway (EIO).
JournalContents read_journal(const std::string& path);
// The same, for a journal already in memory (tests, the fuzzer): read_journal() and this
// share one parser. `path` only names the journal in messages.
JournalContents parse_journal(std::span<const std::byte> bytes, const std::string& path);

}  // namespace tasktrack
