// The canonical serialization against its definition: CanonicalJson (and
// AppendJsonString) must produce exactly the bytes of nlohmann's own dump,
// since content ids and signatures cover them. Two kinds of documents:
//
// - the input parsed by ParseJson (the parser of untrusted text), when it
//   parses: the document must also parse back from its canonical form to
//   the same value;
// - a document built from the input by a small program, so that strings
//   and keys hold any bytes (invalid UTF-8, control characters) and numbers
//   any value, as documents built in code may.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace wfs {
namespace {

std::string Reference(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void Check(const Json& j) {
  std::string want = Reference(j);
  std::string got = CanonicalJson(j);
  if (got != want) __builtin_trap();
  std::string appended = "prefix";
  AppendCanonicalJson(&appended, j);
  if (appended != "prefix" + want) __builtin_trap();
}

// Reads the input as a program: each byte an operation, some followed by
// a length byte and that many bytes of string.
class Builder {
 public:
  Builder(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  Json Build() {
    Json root = Json::array();
    std::vector<Json*> open{&root};
    while (p_ < end_) {
      uint8_t op = *p_++;
      Json* top = open.back();
      Json value;
      switch (op % 10) {
        case 0:
          value = Bytes();
          break;
        case 1:
          value = Json::array();
          break;
        case 2:
          value = Json::object();
          break;
        case 3:
          if (open.size() > 1) open.pop_back();
          continue;
        case 4:
          value = static_cast<int64_t>(Word());
          break;
        case 5:
          value = Word();
          break;
        case 6: {
          uint64_t w = Word();
          double d;
          std::memcpy(&d, &w, sizeof d);
          value = d;
          break;
        }
        case 7:
          value = (op & 0x10) != 0;
          break;
        case 8:
          value = nullptr;
          break;
        case 9: {
          // A string of one repeated byte, long enough for runs to matter.
          uint8_t c = p_ < end_ ? *p_++ : 'x';
          value =
              std::string(static_cast<size_t>(op) * 3, static_cast<char>(c));
          break;
        }
      }
      bool container = value.is_array() || value.is_object();
      Json* placed;
      if (top->is_object()) {
        std::string key = Bytes();
        (*top)[key] = std::move(value);
        placed = &(*top)[key];
      } else {
        top->push_back(std::move(value));
        placed = &top->back();
      }
      if (container && open.size() < 200) open.push_back(placed);
    }
    return root;
  }

 private:
  std::string Bytes() {
    if (p_ >= end_) return "";
    size_t n = *p_++ % 32;
    if (n > static_cast<size_t>(end_ - p_)) n = end_ - p_;
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  uint64_t Word() {
    uint64_t w = 0;
    for (int i = 0; i < 8 && p_ < end_; ++i) w = (w << 8) | *p_++;
    return w;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace
}  // namespace wfs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wfs;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseJson(text);
  if (parsed.ok()) {
    Check(*parsed);
    auto again = ParseJson(CanonicalJson(*parsed));
    // NaN never compares equal; parsed text cannot hold one.
    if (!again.ok() || *again != *parsed) __builtin_trap();
  }
  std::string quoted;
  AppendJsonString(&quoted, text);
  if (quoted != Reference(Json(std::string(text)))) __builtin_trap();
  Check(Builder(data, size).Build());
  return 0;
}
