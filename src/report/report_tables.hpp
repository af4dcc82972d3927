// The report's cards and tables: the headline numbers, the job and its sessions, the
// per-rank table, the subtasks that failed for good, and the slowest attempts.
#pragma once

#include "report/report_model.hpp"
#include "report/report_text.hpp"

namespace tasktrack::report_html {

// The cards at the top: job, subtasks, wall span, busy time, attempts, ranks, result,
// sessions.
void write_headline(Buffer& html, const Report& report);
// The job as its fingerprint gives it, then one row per session.
void write_job_section(Buffer& html, const Report& report);
void write_rank_table(Buffer& html, const Report& report);
// The subtasks failed for good, by id (the first max_failure_rows of them).
void write_failures(Buffer& html, const Report& report);
// The attempts whose output passed --output-limit (none: nothing is written).
void write_capped(Buffer& html, const Report& report);
// The ten measured attempts with the largest peak memory, and the CPU/wall ratio over all
// measured ones (none measured: nothing is written).
void write_largest(Buffer& html, const Report& report);
// The ten longest attempts.
void write_slowest(Buffer& html, const Report& report);

}  // namespace tasktrack::report_html
