#include "tasktrack/app.hpp"

int main(int argc, char** argv) {
  return tasktrack::run_main(argc, argv);
}
