/* The bare posix_spawn + wait loop that tasktrack's W2 is measured against (issue 7).
 *
 *   spawn_loop FILE P
 *
 * Runs every non-empty line of FILE as `/bin/sh -c LINE`, at most P children at a time,
 * reaping with waitpid(-1) and starting the next line as soon as one ends. Children inherit
 * stdin, stdout and stderr: no output capture, no tracking, no retries. Prints one JSON line
 * (commands, failed, wall_seconds over the whole loop, commands_per_second); exit code 1
 * when a command failed or could not start. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 3 || atoi(argv[2]) < 1) {
    fprintf(stderr, "usage: spawn_loop FILE P (P >= 1)\n");
    return 2;
  }
  FILE* file = fopen(argv[1], "r");
  if (!file) {
    fprintf(stderr, "spawn_loop: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  /* Read every line first, so the timed loop does no file I/O (as tasktrack partitions first). */
  size_t count = 0, capacity = 1024;
  char** lines = malloc(capacity * sizeof *lines);
  char* line = NULL;
  size_t line_capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &line_capacity, file)) >= 0) {
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = 0;
    if (length == 0) continue;
    if (count == capacity) lines = realloc(lines, (capacity *= 2) * sizeof *lines);
    lines[count++] = strdup(line);
  }
  free(line);
  fclose(file);

  const int parallel = atoi(argv[2]);
  size_t next = 0, failed = 0;
  int running = 0;
  double start = now();
  while (next < count || running > 0) {
    while (running < parallel && next < count) {
      char* child_argv[] = {"sh", "-c", lines[next++], NULL};
      pid_t pid;
      int error = posix_spawn(&pid, "/bin/sh", NULL, NULL, child_argv, environ);
      if (error != 0) {
        fprintf(stderr, "spawn_loop: posix_spawn: %s\n", strerror(error));
        ++failed;
        continue;
      }
      ++running;
    }
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    --running;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  double wall = now() - start;
  printf(
      "{\"commands\": %zu, \"failed\": %zu, \"parallel\": %d, \"wall_seconds\": %.6f, "
      "\"commands_per_second\": %.1f}\n",
      count, failed, parallel, wall, wall > 0 ? (double)count / wall : 0.0);
  for (size_t i = 0; i < count; ++i) free(lines[i]);
  free(lines);
  return failed ? 1 : 0;
}
