// CRI container log files and what the kubelet answers for them (pure).
//
// containerd writes one line per chunk of output: `RFC3339Nano stream F|P text\n`
// ("2024-05-01T10:00:00.123456789Z stdout F hello"); a long or unterminated line is cut
// into `P` (partial) pieces ended by an `F` piece. The kubelet joins the pieces, then
// applies tailLines, sinceSeconds/sinceTime, timestamps and limitBytes as Kubernetes does.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::kubelet {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

enum class LogStream { kStdout, kStderr };

// One line of a CRI log file, without its newline.
struct CriLogLine {
  int64_t time_ns = 0;  // Unix nanoseconds
  LogStream stream = LogStream::kStdout;
  bool partial = false;      // tag "P": the entry goes on in the stream's next line
  std::string_view content;  // points into the parsed line
};

// nullopt for a line that is not in the CRI format.
std::optional<CriLogLine> parseCriLogLine(std::string_view line);

// RFC 3339 with an optional fraction (up to 9 digits) and `Z` or a `±hh:mm` offset, to
// Unix nanoseconds. nullopt when malformed.
std::optional<int64_t> parseRfc3339(std::string_view text);
// Kubernetes' log timestamp: UTC, always 9 fraction digits ("2024-05-01T10:00:00.120000000Z").
std::string formatLogTimestamp(int64_t time_ns);

// One logical line: the pieces of a partial line joined.
struct LogEntry {
  int64_t time_ns = 0;  // of its first piece
  LogStream stream = LogStream::kStdout;
  std::string text;  // the content, with "\n" when the line is complete

  bool operator==(const LogEntry&) const = default;
};

// Turns the bytes of a CRI log file, split anywhere, into entries. A file line is parsed
// once its newline has arrived; malformed lines are skipped. Pieces of a partial line
// wait (per stream) for their final `F` piece. Not thread-safe.
class CriLogDecoder {
 public:
  void feed(std::string_view data, std::vector<LogEntry>* out);
  // The end of the log (the container exited): a pending unterminated file line and
  // pending partial pieces become entries, without a newline.
  void flush(std::vector<LogEntry>* out);

 private:
  void decodeLine(std::string_view line, std::vector<LogEntry>* out);

  std::string line_;                    // an unterminated file line
  std::optional<LogEntry> partial_[2];  // per stream
};

// The query parameters of /containerLogs and pods/log.
struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  bool previous = false;
  std::optional<int64_t> tail_lines;     // >= 0
  std::optional<int64_t> since_seconds;  // > 0
  std::optional<int64_t> since_time_ns;  // sinceTime (RFC 3339)
  std::optional<int64_t> limit_bytes;    // > 0
};

// Reads them from the query (`value(name)` gives a parameter or nullopt when absent).
// Booleans as Go's ParseBool. A malformed or out-of-range value is kBadRequest with
// Kubernetes' wording.
using QueryLookup = std::function<std::optional<std::string>(std::string_view name)>;
Result<LogOptions> parseLogOptions(const QueryLookup& value);

// Formats entries for the client: drops those older than the since bound, prefixes the
// timestamp when asked, stops at limitBytes (cutting the last entry). Not thread-safe.
class LogWriter {
 public:
  LogWriter(const LogOptions& options, int64_t now_ns);
  // Appends what the client sees of `entry` to `out`. false once limitBytes is used up
  // (nothing more will be written).
  bool write(const LogEntry& entry, std::string* out);
  bool full() const { return full_; }

 private:
  bool timestamps_;
  std::optional<int64_t> since_ns_;
  std::optional<int64_t> remaining_;
  bool full_ = false;
};

// Keeps the last `n` entries of a log read from the start (tailLines).
class LogTail {
 public:
  explicit LogTail(int64_t n) : n_(n) {}
  void add(LogEntry entry);
  const std::deque<LogEntry>& entries() const { return entries_; }

 private:
  int64_t n_;
  std::deque<LogEntry> entries_;
};

// The whole answer for a log already complete in `file` (no follow), e.g. for tests.
std::string renderLog(std::string_view file, const LogOptions& options, int64_t now_ns);

}  // namespace minik8s::kubelet
