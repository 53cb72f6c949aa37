#include "connectors/http/curl_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include "base/strings.h"

namespace wfs::connectors {

namespace {

struct Sink {
  std::string* out;
  size_t max;
  bool overflow = false;
};

size_t WriteBody(char* ptr, size_t size, size_t n, void* user) {
  Sink* s = static_cast<Sink*>(user);
  size_t len = size * n;
  if (s->out->size() + len > s->max) {
    s->overflow = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  s->out->append(ptr, len);
  return len;
}

size_t WriteHeader(char* ptr, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  size_t len = size * n;
  std::string_view line(ptr, len);
  if (StartsWith(line, "HTTP/")) {
    headers->clear();  // a new response (after 100 Continue)
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || headers->size() > 200) return len;
  std::string name = ToLower(Trim(line.substr(0, colon)));
  std::string value(Trim(line.substr(colon + 1)));
  if (value.size() > 8192) value.resize(8192);
  (*headers)[name] = value;
  return len;
}

// True for addresses that are not on the public internet.
bool IsNonPublic(const char* ip) {
  in_addr v4;
  if (inet_pton(AF_INET, ip, &v4) == 1) {
    uint32_t a = ntohl(v4.s_addr);
    auto in = [&](uint32_t net, int bits) {
      uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
      return (a & mask) == net;
    };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) ||
           in(0xA9FE0000, 16) || in(0xAC100000, 12) || in(0xC0A80000, 16) ||
           in(0x64400000, 10) || in(0xC0000000, 24) || in(0xC6120000, 15) ||
           in(0xE0000000, 4) || in(0xF0000000, 4);
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, ip, &v6) == 1) {
    const uint8_t* b = v6.s6_addr;
    static const uint8_t kZero[16] = {};
    if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 0 || b[15] == 1)) {
      return true;  // :: and ::1
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10
    if ((b[0] & 0xfe) == 0xfc) return true;                  // fc00::/7
    if (b[0] == 0xff) return true;                           // multicast
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                        0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) == 0) {
      char v4s[INET_ADDRSTRLEN];
      in_addr m;
      std::memcpy(&m, b + 12, 4);
      if (inet_ntop(AF_INET, &m, v4s, sizeof v4s) != nullptr) {
        return IsNonPublic(v4s);
      }
    }
    return false;
  }
  return true;  // unknown form: refuse
}

struct Prereq {
  bool refused = false;
  std::string ip;
};

int CheckAddress(void* user, char* primary_ip, char*, int, int) {
  Prereq* p = static_cast<Prereq*>(user);
  if (primary_ip != nullptr && IsNonPublic(primary_ip)) {
    p->refused = true;
    p->ip = primary_ip;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

Status CurlError(CURLcode rc, const char* errbuf, const std::string& what) {
  std::string detail =
      errbuf != nullptr && *errbuf ? errbuf : curl_easy_strerror(rc);
  Code code = Code::kUnavailable;
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      code = Code::kDeadlineExceeded;
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      code = Code::kInvalidArgument;
      break;
    case CURLE_LOGIN_DENIED:
      code = Code::kUnauthenticated;
      break;
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
      code = Code::kResourceExhausted;
      break;
    default:
      break;
  }
  return Status(code, StrCat(what, ": ", detail));
}

}  // namespace

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<CurlLimits> CurlLimitsFromConfig(const Json& config,
                                        const std::string& context) {
  CurlLimits l;
  auto int_field = [&](const char* name, int64_t& out, int64_t lo,
                       int64_t hi) -> Status {
    if (!config.is_object() || !config.contains(name)) return Status::Ok();
    const Json& v = config[name];
    if (!v.is_number_integer() || v.get<int64_t>() < lo ||
        v.get<int64_t>() > hi) {
      return InvalidArgument(StrCat(
          context, ".", name, " must be an integer from ", lo, " to ", hi));
    }
    out = v.get<int64_t>();
    return Status::Ok();
  };
  int64_t max_bytes = static_cast<int64_t>(l.max_response_bytes);
  WFS_RETURN_IF_ERROR(int_field("timeout_ms", l.timeout_ms, 100, 600000));
  WFS_RETURN_IF_ERROR(
      int_field("connect_timeout_ms", l.connect_timeout_ms, 100, 600000));
  WFS_RETURN_IF_ERROR(
      int_field("max_response_bytes", max_bytes, 1024, int64_t{1} << 30));
  l.max_response_bytes = static_cast<size_t>(max_bytes);
  for (auto [name, out] :
       {std::pair<const char*, std::string*>{"proxy", &l.proxy},
        {"ca_file", &l.ca_file}}) {
    if (!config.is_object() || !config.contains(name)) continue;
    if (!config[name].is_string()) {
      return InvalidArgument(StrCat(context, ".", name, " must be a string"));
    }
    *out = config[name].get<std::string>();
  }
  return l;
}

HttpClient::HttpClient(CurlLimits limits, Redactor redactor)
    : limits_(std::move(limits)), redactor_(std::move(redactor)) {
  EnsureCurlInitialized();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (curl_ == nullptr) curl_ = curl_easy_init();
  CURL* c = static_cast<CURL*>(curl_);
  if (c == nullptr) return Internal("libcurl: cannot make a handle");
  curl_easy_reset(c);  // keeps the connection cache
  const std::string what = StrCat(req.method, " ", req.url);
  HttpResponse resp;
  Sink sink{&resp.body, limits_.max_response_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  Prereq prereq;
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) {
    headers = curl_slist_append(headers, StrCat(k, ": ", v).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(limits_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(limits_.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(limits_.max_response_bytes));
  curl_easy_setopt(c, CURLOPT_PROXY, limits_.proxy.c_str());
  if (!limits_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, limits_.ca_file.c_str());
  }
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "wfstore/0.1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  if (limits_.public_addresses_only) {
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, CheckAddress);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, &prereq);
  }
  if (!req.user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, req.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, req.password.c_str());
  }
  if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    if (req.method != "POST") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    if (req.has_body || req.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    }
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  // The handle must not keep pointers to this call's buffers.
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  if (prereq.refused) {
    return PermissionDenied(
        redactor_.Redact(StrCat(what, ": refused to connect to ", prereq.ip,
                                ", which is not a public address")));
  }
  if (rc != CURLE_OK) {
    if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
      return ResourceExhausted(
          redactor_.Redact(StrCat(what, ": the response is larger than ",
                                  limits_.max_response_bytes, " bytes")));
    }
    return redactor_.Redact(CurlError(rc, errbuf, what));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  auto ct = resp.headers.find("content-type");
  if (ct != resp.headers.end()) resp.content_type = ct->second;
  return resp;
}

Result<UrlParts> ParseUrl(const std::string& url) {
  EnsureCurlInitialized();
  CURLU* u = curl_url();
  if (u == nullptr) return Internal("libcurl: cannot parse URLs");
  CURLUcode rc =
      curl_url_set(u, CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    curl_url_cleanup(u);
    return InvalidArgument(StrCat(Quote(url), " is not a valid URL (",
                                  curl_url_strerror(rc), ")"));
  }
  UrlParts p;
  auto get = [&](CURLUPart part, std::string& out) {
    char* v = nullptr;
    if (curl_url_get(u, part, &v, 0) == CURLUE_OK && v != nullptr) out = v;
    curl_free(v);
  };
  std::string port;
  get(CURLUPART_SCHEME, p.scheme);
  get(CURLUPART_HOST, p.host);
  get(CURLUPART_PORT, port);
  get(CURLUPART_USER, p.user);
  get(CURLUPART_PATH, p.path);
  get(CURLUPART_QUERY, p.query);
  curl_url_cleanup(u);
  p.scheme = ToLower(p.scheme);
  p.host = ToLower(p.host);
  if (!port.empty()) p.port = std::atoi(port.c_str());
  return p;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  return false;
}

Code CodeForHttpStatus(long status) {
  switch (status) {
    case 400:
    case 422:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
    case 410:
      return Code::kNotFound;
    case 409:
    case 412:
      return Code::kFailedPrecondition;
    case 413:
      return Code::kResourceExhausted;
    case 408:
    case 429:
      return Code::kUnavailable;
    default:
      break;
  }
  return status >= 500 ? Code::kUnavailable : Code::kFailedPrecondition;
}

}  // namespace wfs::connectors
