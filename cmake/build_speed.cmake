# Build speed. Where the time went and what each step saved: bench/README.md, "Build time".
# - lld links instead of ld.bfd (tests and the binary carry large debug info);
# - one precompiled header for our code (the standard library and nlohmann/json), and one
#   for the tests (the same plus gtest/gmock), each compiled once per build tree and
#   reused by every target (REUSE_FROM);
# - unity builds: each multi-file target compiles its sources in batches.
# Each is a switch, so that a change can be checked without it (a missing #include hidden
# by the precompiled header, a name clash hidden by a unity batch).
option(MINIK8S_LLD "Link with lld when the compiler can" ON)
option(MINIK8S_PCH "Use precompiled headers" ON)
option(MINIK8S_UNITY "Unity builds of multi-file targets" ON)
# Test files are compiled without optimisation: at -O2 -g a gtest/JSON-heavy test file
# costs about twice as long to compile, and the code under test (our libraries) stays
# optimised. And with line tables only (-g1): backtraces and sanitizer reports keep file
# and line, a debugger loses the tests' local variables, and a test batch compiles in 29%
# less CPU (20.7 s instead of 29.0 s for one). For a debugging session: "-O0;-g". Empty keeps
# the build type's flags.
set(MINIK8S_TEST_OPT_FLAGS "-O0;-g1" CACHE STRING "Extra compile flags for test files (a list)")

if(MINIK8S_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld MINIK8S_HAVE_LLD)
  if(MINIK8S_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()

set(MINIK8S_PCH_HEADERS
  <algorithm> <atomic> <chrono> <condition_variable> <cstdint> <functional> <map> <memory>
  <mutex> <optional> <set> <string> <string_view> <thread> <unordered_map> <utility>
  <vector> <nlohmann/json.hpp>)

if(MINIK8S_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC does not treat the standard headers inside a precompiled header as system headers,
  # so -Warray-bounds' and -Wstringop-overflow's known false positives in libstdc++'s std::string (GCC 12, e.g.
  # bug 105651) surface in our code. Without the PCH they stay silent.
  list(APPEND MINIK8S_WARNINGS -Wno-array-bounds -Wno-stringop-overflow)
endif()

if(MINIK8S_PCH)
  # The donors: tiny object libraries whose only job is to compile the headers once.
  add_library(minik8s_pch_code OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch_anchor.cc)
  target_compile_options(minik8s_pch_code PRIVATE ${MINIK8S_WARNINGS})
  target_link_libraries(minik8s_pch_code PRIVATE nlohmann_json::nlohmann_json)
  target_precompile_headers(minik8s_pch_code PRIVATE ${MINIK8S_PCH_HEADERS})
endif()

# Applies the speed-ups to one of our targets. TESTS: the tests' header set and flags.
# A target of one source file gets no unity batch.
function(minik8s_speed_up target)
  cmake_parse_arguments(ARG "TESTS" "" "" ${ARGN})
  if(ARG_TESTS)
    target_compile_options(${target} PRIVATE ${MINIK8S_TEST_OPT_FLAGS})
  endif()
  get_target_property(sources ${target} SOURCES)
  list(LENGTH sources source_count)
  if(MINIK8S_UNITY AND source_count GREATER 1)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
  if(MINIK8S_PCH)
    if(ARG_TESTS)
      target_precompile_headers(${target} REUSE_FROM minik8s_pch_tests)
    else()
      target_precompile_headers(${target} REUSE_FROM minik8s_pch_code)
    endif()
  endif()
endfunction()
