#include "client/process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

namespace synod::client {

namespace {

// Async-signal-safe: used between fork and exec.
void write_all(int fd, const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, bytes, size);
    if (n <= 0 && errno != EINTR)
      return;
    if (n > 0) {
      bytes += n;
      size -= static_cast<std::size_t>(n);
    }
  }
}

// Reads up to `size` bytes, until the writer closes its end; the count read.
std::size_t read_all(int fd, void* data, std::size_t size) {
  char* bytes = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, bytes + got, size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

std::string system_error(const char* call) {
  return std::string(call) + ": " + std::strerror(errno);
}

// In the forked child: points stdin at /dev/null and stdout and stderr at the log, and
// executes the program. On failure the errno goes to `error_fd` (close-on-exec, so a
// successful exec closes it empty) and the child exits 127. Async-signal-safe only.
[[noreturn]] void exec_program(char* const argv[], const char* log_file, int error_fd) {
  // Descriptors the caller holds (RPC connections, ...) must not leak into the program.
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  int in = open("/dev/null", O_RDONLY);
  int out = open(log_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0) {
    int error = errno;
    write_all(error_fd, &error, sizeof error);
    _exit(127);
  }
  dup2(in, STDIN_FILENO);
  dup2(out, STDOUT_FILENO);
  dup2(out, STDERR_FILENO);
  close(in);
  close(out);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &default_action, nullptr);
  execv(argv[0], argv);
  int error = errno;
  write_all(error_fd, &error, sizeof error);
  _exit(127);
}

SpawnOutcome failed(SpawnFailure failure, std::string message) {
  return SpawnOutcome{-1, failure, std::move(message)};
}

// The program as our child.
SpawnOutcome spawn_child(char* const argv[], const char* log_file) {
  int errors[2];
  if (pipe2(errors, O_CLOEXEC) != 0)
    return failed(SpawnFailure::kSystem, system_error("pipe"));
  pid_t child = fork();
  if (child < 0) {
    auto outcome = failed(SpawnFailure::kSystem, system_error("fork"));
    close(errors[0]);
    close(errors[1]);
    return outcome;
  }
  if (child == 0) {
    close(errors[0]);
    exec_program(argv, log_file, errors[1]);
  }
  close(errors[1]);
  int exec_error = 0;
  std::size_t error_bytes = read_all(errors[0], &exec_error, sizeof exec_error);
  close(errors[0]);
  if (error_bytes == sizeof exec_error) {
    waitpid(child, nullptr, 0);
    return failed(SpawnFailure::kNotStarted, std::strerror(exec_error));
  }
  return SpawnOutcome{child, SpawnFailure::kNone, ""};
}

// The program in a new session, as the child of a child that exits at once: it is
// reparented, so it is never our zombie, and it has no controlling terminal.
SpawnOutcome spawn_detached(char* const argv[], const char* log_file) {
  // The grandchild's pid comes back through `pids`; an exec failure's errno through `errors`.
  int pids[2];
  int errors[2];
  if (pipe(pids) != 0)
    return failed(SpawnFailure::kSystem, system_error("pipe"));
  if (pipe2(errors, O_CLOEXEC) != 0) {
    auto outcome = failed(SpawnFailure::kSystem, system_error("pipe"));
    close(pids[0]);
    close(pids[1]);
    return outcome;
  }
  pid_t child = fork();
  if (child < 0) {
    auto outcome = failed(SpawnFailure::kSystem, system_error("fork"));
    for (int fd : {pids[0], pids[1], errors[0], errors[1]})
      close(fd);
    return outcome;
  }
  if (child == 0) {
    close(pids[0]);
    close(errors[0]);
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) {
      close(pids[1]);
      exec_program(argv, log_file, errors[1]);
    }
    write_all(pids[1], &grandchild, sizeof grandchild);
    _exit(grandchild > 0 ? 0 : 1);
  }
  close(pids[1]);
  close(errors[1]);
  pid_t pid = -1;
  std::size_t got = read_all(pids[0], &pid, sizeof pid);
  close(pids[0]);
  waitpid(child, nullptr, 0);
  int exec_error = 0;
  std::size_t error_bytes = read_all(errors[0], &exec_error, sizeof exec_error);
  close(errors[0]);
  if (got != sizeof pid || pid <= 0)
    return failed(SpawnFailure::kNoProcess, "fork failed");
  if (error_bytes == sizeof exec_error)
    return failed(SpawnFailure::kNotStarted, std::strerror(exec_error));
  return SpawnOutcome{pid, SpawnFailure::kNone, ""};
}

}  // namespace

SpawnOutcome spawn_process(const SpawnOptions& options) {
  assert(!options.argv.empty());
  // Everything the child needs is built here: between fork and exec it only makes calls
  // that are safe in a copy of a multi-threaded process.
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  return options.detach ? spawn_detached(argv.data(), options.log_file.c_str())
                        : spawn_child(argv.data(), options.log_file.c_str());
}

std::vector<std::string> tail_lines(const std::string& path, std::size_t count) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > count)
      lines.pop_front();
  }
  return {lines.begin(), lines.end()};
}

}  // namespace synod::client
