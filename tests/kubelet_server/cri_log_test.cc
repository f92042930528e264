#include "kubelet_server/cri_log.h"

#include <gtest/gtest.h>

#include <map>

namespace minik8s::kubelet {
namespace cri_log_test {

constexpr int64_t kSec = 1'000'000'000;
// 2024-05-01T10:00:00Z
constexpr int64_t kT0 = 1714557600LL * kSec;

TEST(ParseRfc3339, AcceptsFractionsAndOffsets) {
  EXPECT_EQ(parseRfc3339("2024-05-01T10:00:00Z"), kT0);
  EXPECT_EQ(parseRfc3339("2024-05-01T10:00:00.5Z"), kT0 + kSec / 2);
  EXPECT_EQ(parseRfc3339("2024-05-01T10:00:00.123456789Z"), kT0 + 123456789);
  EXPECT_EQ(parseRfc3339("2024-05-01T12:00:00+02:00"), kT0);
  EXPECT_EQ(parseRfc3339("2024-05-01T09:30:00-00:30"), kT0);
  EXPECT_EQ(parseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_FALSE(parseRfc3339("2024-05-01 10:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2024-05-01T10:00:00"));
  EXPECT_FALSE(parseRfc3339("2024-13-01T10:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2024-05-01T10:00:00.Z"));
  EXPECT_FALSE(parseRfc3339("garbage"));
}

TEST(FormatLogTimestamp, AlwaysNineFractionDigitsInUtc) {
  EXPECT_EQ(formatLogTimestamp(kT0), "2024-05-01T10:00:00.000000000Z");
  EXPECT_EQ(formatLogTimestamp(kT0 + 120000000), "2024-05-01T10:00:00.120000000Z");
  EXPECT_EQ(formatLogTimestamp(0), "1970-01-01T00:00:00.000000000Z");
  // Round trip through the parser.
  EXPECT_EQ(parseRfc3339(formatLogTimestamp(kT0 + 987654321)), kT0 + 987654321);
}

TEST(ParseCriLogLine, SplitsTheFourFields) {
  auto l = parseCriLogLine("2024-05-01T10:00:00.000000001Z stdout F hello world");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->time_ns, kT0 + 1);
  EXPECT_EQ(l->stream, LogStream::kStdout);
  EXPECT_FALSE(l->partial);
  EXPECT_EQ(l->content, "hello world");

  l = parseCriLogLine("2024-05-01T10:00:00Z stderr P  two spaces kept");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stream, LogStream::kStderr);
  EXPECT_TRUE(l->partial);
  EXPECT_EQ(l->content, " two spaces kept");

  l = parseCriLogLine("2024-05-01T10:00:00Z stdout F");  // an empty line
  ASSERT_TRUE(l);
  EXPECT_EQ(l->content, "");
  EXPECT_TRUE(parseCriLogLine("2024-05-01T10:00:00Z stdout F:x tagged"));

  EXPECT_FALSE(parseCriLogLine("not a log line"));
  EXPECT_FALSE(parseCriLogLine("2024-05-01T10:00:00Z stdin F x"));
  EXPECT_FALSE(parseCriLogLine("2024-05-01T10:00:00Z stdout X x"));
  EXPECT_FALSE(parseCriLogLine(""));
}

std::string line(int64_t t, const char* stream, const char* tag, const std::string& text) {
  return formatLogTimestamp(t) + " " + stream + " " + tag + " " + text + "\n";
}

TEST(CriLogDecoder, JoinsPartialLinesPerStream) {
  std::string file = line(kT0, "stdout", "P", "hel") + line(kT0 + 1, "stderr", "F", "oops") +
                     line(kT0 + 2, "stdout", "P", "lo ") + line(kT0 + 3, "stdout", "F", "world") +
                     line(kT0 + 4, "stdout", "F", "");
  CriLogDecoder d;
  std::vector<LogEntry> out;
  d.feed(file, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (LogEntry{kT0 + 1, LogStream::kStderr, "oops\n"}));
  EXPECT_EQ(out[1], (LogEntry{kT0, LogStream::kStdout, "hello world\n"}));
  EXPECT_EQ(out[2], (LogEntry{kT0 + 4, LogStream::kStdout, "\n"}));
}

TEST(CriLogDecoder, AnySplitOfTheFileGivesTheSameEntries) {
  std::string file = line(kT0, "stdout", "F", "alpha") + line(kT0 + 1, "stdout", "P", "be") +
                     line(kT0 + 2, "stdout", "F", "ta") + "garbage line\n" +
                     line(kT0 + 3, "stderr", "F", "gamma");
  std::vector<LogEntry> whole;
  {
    CriLogDecoder d;
    d.feed(file, &whole);
  }
  ASSERT_EQ(whole.size(), 3u);
  for (size_t cut = 0; cut <= file.size(); ++cut) {
    CriLogDecoder d;
    std::vector<LogEntry> parts;
    d.feed(std::string_view(file).substr(0, cut), &parts);
    d.feed(std::string_view(file).substr(cut), &parts);
    EXPECT_EQ(parts, whole) << "cut at " << cut;
  }
}

TEST(CriLogDecoder, FlushGivesWhatIsPending) {
  CriLogDecoder d;
  std::vector<LogEntry> out;
  d.feed(line(kT0, "stdout", "P", "no newline yet"), &out);
  d.feed("2024-05-01T10:00:01Z stderr F unterminated", &out);
  EXPECT_TRUE(out.empty());
  d.flush(&out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "no newline yet");
  EXPECT_EQ(out[1].text, "unterminated\n");
}

LogOptions options(std::map<std::string, std::string> q) {
  auto o = parseLogOptions([&](std::string_view name) -> std::optional<std::string> {
    auto it = q.find(std::string(name));
    if (it == q.end()) return std::nullopt;
    return it->second;
  });
  EXPECT_TRUE(o.isOk()) << o.status().toString();
  return o.isOk() ? *o : LogOptions{};
}

Status optionsError(std::map<std::string, std::string> q) {
  return parseLogOptions([&](std::string_view name) -> std::optional<std::string> {
           auto it = q.find(std::string(name));
           if (it == q.end()) return std::nullopt;
           return it->second;
         })
      .status();
}

TEST(ParseLogOptions, ReadsKubectlAndPythonSpellings) {
  auto o = options({{"follow", "True"},
                    {"timestamps", "true"},
                    {"tailLines", "10"},
                    {"limitBytes", "100"},
                    {"previous", "1"},
                    {"sinceSeconds", "60"}});
  EXPECT_TRUE(o.follow);
  EXPECT_TRUE(o.timestamps);
  EXPECT_TRUE(o.previous);
  EXPECT_EQ(o.tail_lines, 10);
  EXPECT_EQ(o.limit_bytes, 100);
  EXPECT_EQ(o.since_seconds, 60);
  o = options({{"sinceTime", "2024-05-01T10:00:00Z"}, {"follow", "false"}});
  EXPECT_EQ(o.since_time_ns, kT0);
  EXPECT_FALSE(o.follow);
  o = options({});
  EXPECT_FALSE(o.follow);
  EXPECT_FALSE(o.tail_lines);
}

TEST(ParseLogOptions, RejectsBadValuesLikeKubernetes) {
  EXPECT_EQ(optionsError({{"tailLines", "-1"}}).message(),
            "tailLines: Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(optionsError({{"limitBytes", "0"}}).message(),
            "limitBytes: Invalid value: 0: must be greater than 0");
  EXPECT_EQ(optionsError({{"sinceSeconds", "0"}}).message(),
            "sinceSeconds: Invalid value: 0: must be greater than 0");
  EXPECT_EQ(optionsError({{"sinceSeconds", "5"}, {"sinceTime", "2024-05-01T10:00:00Z"}}).message(),
            "at most one of `sinceTime` or `sinceSeconds` may be specified");
  EXPECT_EQ(optionsError({{"tailLines", "ten"}}).code(), Code::kBadRequest);
  EXPECT_EQ(optionsError({{"follow", "yes"}}).code(), Code::kBadRequest);
  EXPECT_EQ(optionsError({{"sinceTime", "yesterday"}}).code(), Code::kBadRequest);
}

std::string sampleFile() {
  std::string f;
  for (int i = 1; i <= 5; ++i)
    f += line(kT0 + i * kSec, "stdout", "F", "line " + std::to_string(i));
  return f;
}

TEST(RenderLog, WholeLog) {
  EXPECT_EQ(renderLog(sampleFile(), {}, kT0 + 10 * kSec),
            "line 1\nline 2\nline 3\nline 4\nline 5\n");
  EXPECT_EQ(renderLog("", {}, kT0), "");
}

TEST(RenderLog, TailLines) {
  LogOptions o;
  o.tail_lines = 2;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "line 4\nline 5\n");
  o.tail_lines = 0;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "");
  o.tail_lines = 100;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "line 1\nline 2\nline 3\nline 4\nline 5\n");
}

TEST(RenderLog, TailCountsJoinedLines) {
  std::string f = line(kT0, "stdout", "F", "a") + line(kT0, "stdout", "P", "b1") +
                  line(kT0, "stdout", "P", "b2") + line(kT0, "stdout", "F", "b3");
  LogOptions o;
  o.tail_lines = 1;
  EXPECT_EQ(renderLog(f, o, kT0), "b1b2b3\n");
}

TEST(RenderLog, SinceSecondsAndSinceTime) {
  LogOptions o;
  o.since_seconds = 3;  // now = t0+6s: lines at t0+3s and later
  EXPECT_EQ(renderLog(sampleFile(), o, kT0 + 6 * kSec), "line 3\nline 4\nline 5\n");
  LogOptions t;
  t.since_time_ns = kT0 + 4 * kSec;
  EXPECT_EQ(renderLog(sampleFile(), t, 0), "line 4\nline 5\n");
  // tail first, then since (as the kubelet does).
  o.tail_lines = 4;
  o.since_seconds = 2;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0 + 6 * kSec), "line 4\nline 5\n");
}

TEST(RenderLog, TimestampsPrefixEachLine) {
  LogOptions o;
  o.timestamps = true;
  o.tail_lines = 1;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "2024-05-01T10:00:05.000000000Z line 5\n");
}

TEST(RenderLog, LimitBytesCutsTheOutput) {
  LogOptions o;
  o.limit_bytes = 10;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "line 1\nlin");
  o.limit_bytes = 7;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "line 1\n");
  o.timestamps = true;
  o.limit_bytes = 12;
  EXPECT_EQ(renderLog(sampleFile(), o, kT0), "2024-05-01T1");
}

TEST(LogWriter, StopsOnceFull) {
  LogOptions o;
  o.limit_bytes = 3;
  LogWriter w(o, 0);
  std::string out;
  EXPECT_TRUE(w.write({kT0, LogStream::kStdout, "ab"}, &out));
  EXPECT_FALSE(w.write({kT0, LogStream::kStdout, "cd"}, &out));
  EXPECT_TRUE(w.full());
  EXPECT_FALSE(w.write({kT0, LogStream::kStdout, "ef"}, &out));
  EXPECT_EQ(out, "abc");
}

}  // namespace cri_log_test
}  // namespace minik8s::kubelet
