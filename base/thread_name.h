// Names the calling thread, so that top -H, perf and gdb tell a node's threads apart.
#pragma once

#include <pthread.h>

namespace synod {

// Linux keeps at most 15 characters of the name.
inline void set_thread_name(const char* name) {
  pthread_setname_np(pthread_self(), name);
}

// For tasks posted to a pool: names whichever pool thread runs it, once per thread.
inline void name_pool_thread(const char* name) {
  thread_local bool named = false;
  if (!named) {
    set_thread_name(name);
    named = true;
  }
}

}  // namespace synod
