// How a crash (issue 14, --crash-limit) is written into a failed record's detail, and read
// back on resume. A charged crash names the worker it took down first: "rank 2 (node3) lost
// while running it: its process is gone (crash 1 of --crash-limit 2)"; a resume reads the
// worker back from there (crash_site_of), so the final failure can still name every worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tasktrack {

// The detail of one charged crash at `site` ("rank 2 (node3)"); `limit` 0: no limit.
std::string crash_detail(const std::string& site, const std::string& why, std::uint32_t crashes,
                         std::uint32_t limit);

// The site a crash_detail names; the whole detail when it is not one.
std::string crash_site_of(const std::string& detail);

// The detail of a subtask that failed for good at the limit: "took down 2 workers: rank 3
// (node3), rank 1 (node1) (--crash-limit 2)".
std::string crashed_out_detail(const std::vector<std::string>& sites, std::uint32_t limit);

}  // namespace tasktrack
