// JsonWriter: appends canonical JSON (the form CanonicalJson produces: sorted
// keys, no whitespace, UTF-8 kept) to a string without building a DOM. Used
// where large documents are produced, such as lowering to IR.
//
// Callers write object keys in sorted order; a key out of order is a
// programming error and aborts, so a mistake cannot silently change content
// ids. Output for the same calls is byte-identical to
// CanonicalJson(ParseJson(output)).
#ifndef WFSTORE_BASE_JSON_WRITER_H_
#define WFSTORE_BASE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wfs {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Object member name; must sort after the previous key of this object.
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Bool(bool v);
  void Null();
  // A value that is already canonical JSON.
  void Raw(std::string_view canonical);

 private:
  struct Level {
    bool object;
    bool first = true;
    std::string last_key;
  };
  void BeforeValue();
  std::string* out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace wfs

#endif  // WFSTORE_BASE_JSON_WRITER_H_
