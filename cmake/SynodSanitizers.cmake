# Sanitizer builds. Each wants a build directory of its own (./test --asan uses build-asan,
# ./test --tsan build-tsan, scripts/fuzz build-fuzz), because every object file changes.
#
#   SYNOD_SANITIZE=address  AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer
#   SYNOD_SANITIZE=thread   ThreadSanitizer
#   SYNOD_FUZZ=ON           clang only: address, plus libFuzzer coverage on every object, so
#                           tests/fuzz also builds the libFuzzer binaries fuzz_NAME
#
# The flags apply to every target, so a finding in any library is caught, and any report
# fails the run (-fno-sanitize-recover) instead of scrolling by.
set(SYNOD_SANITIZE "" CACHE STRING "Sanitizers for every target: address, thread, or empty")
set_property(CACHE SYNOD_SANITIZE PROPERTY STRINGS "" address thread)
option(SYNOD_FUZZ "Build libFuzzer targets (needs clang; implies SYNOD_SANITIZE=address)" OFF)

if(SYNOD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SYNOD_FUZZ=ON needs clang (libFuzzer): add -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(SYNOD_SANITIZE address CACHE STRING "" FORCE)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(SYNOD_SANITIZE STREQUAL "address")
  set(synod_sanitizer_flags -fsanitize=address,undefined -fno-sanitize-recover=all)
elseif(SYNOD_SANITIZE STREQUAL "thread")
  set(synod_sanitizer_flags -fsanitize=thread)
elseif(NOT SYNOD_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SYNOD_SANITIZE must be address, thread or empty, not '${SYNOD_SANITIZE}'")
endif()

if(synod_sanitizer_flags)
  add_compile_options(${synod_sanitizer_flags} -fno-omit-frame-pointer)
  add_link_options(${synod_sanitizer_flags})
  if(NOT SYNOD_FUZZ)
    # Test builds: -O1 (what the sanitizer manuals advise) and line tables only, which is all
    # a report's stack trace needs; they come after the build type's -O2 -g, so they win.
    # This cuts the compile time by about a third, which matters in CI.
    add_compile_options(-O1 -g1)
  endif()
endif()
