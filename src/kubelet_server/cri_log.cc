#include "kubelet_server/cri_log.h"

#include <charconv>
#include <cstdio>

namespace minik8s::kubelet {

namespace {

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parseBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    return false;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, &month) ||
      s[7] != '-' || !digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, &hour) || s[13] != ':' || !digits(s, 14, 2, &minute) || s[16] != ':' ||
      !digits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) frac = frac * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (size_t i = n; i < 9; ++i) frac *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return secs * kNanosPerSecond + frac;
}

std::string formatLogTimestamp(int64_t time_ns) {
  int64_t secs = time_ns / kNanosPerSecond;
  int64_t nanos = time_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civilFromDays(days, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(nanos));
  return buf;
}

std::optional<CriLogLine> parseCriLogLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  auto time = parseRfc3339(line.substr(0, sp1));
  if (!time) return std::nullopt;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  CriLogLine out;
  out.time_ns = *time;
  if (stream == "stdout") {
    out.stream = LogStream::kStdout;
  } else if (stream == "stderr") {
    out.stream = LogStream::kStderr;
  } else {
    return std::nullopt;
  }
  // Tags: "F" or "P", possibly more after ':' (reserved by the format).
  size_t sp3 = line.find(' ', sp2 + 1);
  std::string_view tags =
      line.substr(sp2 + 1, sp3 == std::string_view::npos ? std::string_view::npos : sp3 - sp2 - 1);
  std::string_view first_tag = tags.substr(0, tags.find(':'));
  if (first_tag == "P") {
    out.partial = true;
  } else if (first_tag != "F") {
    return std::nullopt;
  }
  out.content = sp3 == std::string_view::npos ? std::string_view() : line.substr(sp3 + 1);
  return out;
}

void CriLogDecoder::feed(std::string_view data, std::vector<LogEntry>* out) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(data);
      return;
    }
    if (line_.empty()) {
      decodeLine(data.substr(0, nl), out);
    } else {
      line_.append(data.substr(0, nl));
      decodeLine(line_, out);
      line_.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

void CriLogDecoder::decodeLine(std::string_view line, std::vector<LogEntry>* out) {
  auto parsed = parseCriLogLine(line);
  if (!parsed) return;
  auto& pending = partial_[static_cast<int>(parsed->stream)];
  if (!pending) {
    pending = LogEntry{parsed->time_ns, parsed->stream, std::string()};
  }
  pending->text.append(parsed->content);
  if (parsed->partial) return;
  pending->text.push_back('\n');
  out->push_back(std::move(*pending));
  pending.reset();
}

void CriLogDecoder::flush(std::vector<LogEntry>* out) {
  if (!line_.empty()) {
    // An unterminated last file line: take it as it is.
    std::string line = std::move(line_);
    line_.clear();
    auto parsed = parseCriLogLine(line);
    if (parsed) {
      auto& pending = partial_[static_cast<int>(parsed->stream)];
      if (!pending) pending = LogEntry{parsed->time_ns, parsed->stream, std::string()};
      pending->text.append(parsed->content);
      if (!parsed->partial) pending->text.push_back('\n');
    }
  }
  for (auto& pending : partial_) {
    if (pending) {
      out->push_back(std::move(*pending));
      pending.reset();
    }
  }
}

Result<LogOptions> parseLogOptions(const QueryLookup& value) {
  LogOptions o;
  for (auto [name, field] : {std::pair{"follow", &o.follow}, std::pair{"timestamps", &o.timestamps},
                             std::pair{"previous", &o.previous}}) {
    auto v = value(name);
    if (!v || v->empty()) continue;
    auto b = parseBool(*v);
    if (!b) return badRequest("invalid value \"" + *v + "\" for " + name + ": not a boolean");
    *field = *b;
  }
  for (auto [name, field] :
       {std::pair{"tailLines", &o.tail_lines}, std::pair{"sinceSeconds", &o.since_seconds},
        std::pair{"limitBytes", &o.limit_bytes}}) {
    auto v = value(name);
    if (!v || v->empty()) continue;
    auto n = parseInt(*v);
    if (!n) return badRequest("invalid value \"" + *v + "\" for " + name + ": not an integer");
    *field = *n;
  }
  if (auto v = value("sinceTime"); v && !v->empty()) {
    auto t = parseRfc3339(*v);
    if (!t) return badRequest("invalid value \"" + *v + "\" for sinceTime: not an RFC 3339 time");
    o.since_time_ns = *t;
  }
  if (o.tail_lines && *o.tail_lines < 0) {
    return badRequest("tailLines: Invalid value: " + std::to_string(*o.tail_lines) +
                      ": must be greater than or equal to 0");
  }
  if (o.limit_bytes && *o.limit_bytes < 1) {
    return badRequest("limitBytes: Invalid value: " + std::to_string(*o.limit_bytes) +
                      ": must be greater than 0");
  }
  if (o.since_seconds && *o.since_seconds < 1) {
    return badRequest("sinceSeconds: Invalid value: " + std::to_string(*o.since_seconds) +
                      ": must be greater than 0");
  }
  if (o.since_seconds && o.since_time_ns) {
    return badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
  }
  return o;
}

LogWriter::LogWriter(const LogOptions& options, int64_t now_ns)
    : timestamps_(options.timestamps), remaining_(options.limit_bytes) {
  if (options.since_time_ns) since_ns_ = options.since_time_ns;
  if (options.since_seconds) since_ns_ = now_ns - *options.since_seconds * kNanosPerSecond;
}

bool LogWriter::write(const LogEntry& entry, std::string* out) {
  if (full_) return false;
  if (since_ns_ && entry.time_ns < *since_ns_) return true;
  std::string text;
  std::string_view piece = entry.text;
  if (timestamps_) {
    text = formatLogTimestamp(entry.time_ns) + " ";
    text += entry.text;
    piece = text;
  }
  if (remaining_) {
    if (static_cast<int64_t>(piece.size()) >= *remaining_) {
      out->append(piece.substr(0, static_cast<size_t>(*remaining_)));
      *remaining_ = 0;
      full_ = true;
      return false;
    }
    *remaining_ -= static_cast<int64_t>(piece.size());
  }
  out->append(piece);
  return true;
}

void LogTail::add(LogEntry entry) {
  if (n_ <= 0) return;
  entries_.push_back(std::move(entry));
  while (static_cast<int64_t>(entries_.size()) > n_) entries_.pop_front();
}

std::string renderLog(std::string_view file, const LogOptions& options, int64_t now_ns) {
  CriLogDecoder decoder;
  std::vector<LogEntry> entries;
  decoder.feed(file, &entries);
  decoder.flush(&entries);
  LogWriter writer(options, now_ns);
  std::string out;
  if (options.tail_lines) {
    LogTail tail(*options.tail_lines);
    for (auto& e : entries) tail.add(std::move(e));
    for (const auto& e : tail.entries()) {
      if (!writer.write(e, &out)) break;
    }
    return out;
  }
  for (const auto& e : entries) {
    if (!writer.write(e, &out)) break;
  }
  return out;
}

}  // namespace minik8s::kubelet
