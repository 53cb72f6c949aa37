#include "base/json_writer.h"

#include <cstdlib>

#include "base/json.h"

namespace wfs {

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!stack_.empty()) {
    if (stack_.back().object) std::abort();  // a member needs a Key first
    if (!stack_.back().first) out_->push_back(',');
    stack_.back().first = false;
  }
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  stack_.push_back(Level{true});
}

void JsonWriter::EndObject() {
  if (stack_.empty() || !stack_.back().object || after_key_) std::abort();
  stack_.pop_back();
  out_->push_back('}');
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  stack_.push_back(Level{false});
}

void JsonWriter::EndArray() {
  if (stack_.empty() || stack_.back().object) std::abort();
  stack_.pop_back();
  out_->push_back(']');
}

void JsonWriter::Key(std::string_view key) {
  if (stack_.empty() || !stack_.back().object || after_key_) std::abort();
  Level& l = stack_.back();
  if (!l.first) {
    // Canonical order is byte order of the keys (std::map<std::string>).
    if (!(l.last_key < key)) std::abort();
    out_->push_back(',');
  }
  l.first = false;
  l.last_key.assign(key);
  AppendJsonString(out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(out_, s);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  *out_ += std::to_string(v);
}

void JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  *out_ += std::to_string(v);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  *out_ += v ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  *out_ += "null";
}

void JsonWriter::Raw(std::string_view canonical) {
  BeforeValue();
  *out_ += canonical;
}

}  // namespace wfs
