// The journal: an append-only file of finished subtasks, the truth a resumed job starts
// from and everything the summary says can be rebuilt from (design.md, "Contracts").
//
// This header gathers its parts for the code that uses most of them (the coordinator, the
// command line); each part has its own header:
//   journal_records.hpp  what a journal holds: attempts, runs, sessions (JournalContents)
//   journal_format.hpp   the bytes on disk: header and record layout, encoding, decoding
//   journal_reader.hpp   read_journal(), parse_journal(): one parser, torn tails cut off
//   journal_writer.hpp   JournalWriter: appends with group commit
//   fingerprint.hpp      what identifies a job for resuming, and reading it back
//   replay.hpp           replay(): the records -> one history, for resume, status, report
//   move_aside.hpp       --fresh: set a journal aside, never delete it
#pragma once

#include "journal/fingerprint.hpp"
#include "journal/journal_format.hpp"
#include "journal/journal_reader.hpp"
#include "journal/journal_records.hpp"
#include "journal/journal_writer.hpp"
#include "journal/move_aside.hpp"
#include "journal/replay.hpp"
