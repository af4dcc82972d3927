// Everything a kernel author needs, in one include: the kernel interface and its registry
// (kernel.hpp), ready-made reductions (reductions.hpp), the whole program behind main()
// (app.hpp) and the errors a kernel may throw (error.hpp).
//
// A binary of your own, with your kernels beside the built-ins and every CLI feature:
//
//   #include <tasktrack/tasktrack.hpp>
//
//   int main(int argc, char** argv) {
//     tasktrack::KernelRegistry& registry = tasktrack::kernel_registry();  // the built-ins
//     registry.add(my_kernel_info());  // a KernelInfo: name, description, params, make
//     return tasktrack::run_main(argc, argv, registry);
//   }
//
// Build it with CMake against the installed package:
//   find_package(tasktrack REQUIRED)
//   target_link_libraries(my_app PRIVATE tasktrack::tasktrack)
// examples/custom_kernel/ is a complete project.
#pragma once

#include "tasktrack/app.hpp"
#include "tasktrack/error.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/reductions.hpp"
