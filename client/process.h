// Starting a program as a child process, with its output going to a log file: the one way
// synod-testnet starts its nodes and the end-to-end tests start theirs.
//
// The program runs with stdin from /dev/null, stdout and stderr appended to the log file,
// SIGPIPE at its default, and none of the caller's descriptors beyond 0, 1 and 2 (an RPC
// connection the caller holds must not stay open in a node). spawn_process returns once
// the program runs, or with why it did not: an exec that fails is reported, not seen later
// as a process that exits at once.
//
// Thread safety: may be called from any thread; the child does only async-signal-safe
// work between fork and exec, so a multi-threaded caller is fine.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace synod::client {

struct SpawnOptions {
  // argv[0] is the program's path, used as is (no $PATH search); must not be empty.
  std::vector<std::string> argv;
  // Created (mode 0644) if missing; stdout and stderr are appended to it.
  std::string log_file;
  // false: the program is the caller's child; the caller reaps it (waitpid).
  // true: it runs in a new session with no controlling terminal and is not the caller's
  // child (it is reparented at once, so it never becomes the caller's zombie); the caller
  // can signal it by pid but not wait for it.
  bool detach = false;
};

enum class SpawnFailure {
  kNone,
  kSystem,      // pipe() or fork() failed in this process; message: "pipe: ..." or "fork: ..."
  kNoProcess,   // detach: the process to run the program could not be forked; "fork failed"
  kNotStarted,  // the log file could not be opened or exec failed; message: strerror text
};

struct SpawnOutcome {
  pid_t pid = -1;  // the program's process; > 0 when it started
  SpawnFailure failure = SpawnFailure::kNone;
  std::string message;  // why it did not start (see SpawnFailure); empty on success
  bool ok() const { return failure == SpawnFailure::kNone; }
};

SpawnOutcome spawn_process(const SpawnOptions& options);

// The last `count` lines of a text file such as a spawned program's log (fewer when the file
// has fewer; none when it cannot be read).
std::vector<std::string> tail_lines(const std::string& path, std::size_t count);

}  // namespace synod::client
