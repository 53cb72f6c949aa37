#include "crypto/intoto.h"

#include "base/strings.h"

namespace wfs::crypto {

namespace {

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status CheckStatement(const Statement& st) {
  if (st.subjects.empty()) {
    return InvalidArgument("in-toto statement: at least one subject needed");
  }
  if (st.subjects.size() > kMaxStatementSubjects) {
    return InvalidArgument(StrCat("in-toto statement: ", st.subjects.size(),
                                  " subjects; at most ",
                                  kMaxStatementSubjects));
  }
  for (size_t i = 0; i < st.subjects.size(); ++i) {
    const Subject& s = st.subjects[i];
    if (!IsValidUtf8(s.name)) {
      return InvalidArgument(
          StrCat("in-toto statement: subject[", i, "].name is not UTF-8"));
    }
    if (!IsLowerHex64(s.sha256)) {
      return InvalidArgument(StrCat("in-toto statement: subject[", i,
                                    "] sha256 digest must be 64 lower-case ",
                                    "hex digits, got ", Quote(s.sha256)));
    }
  }
  if (st.predicate_type.empty() || !IsValidUtf8(st.predicate_type)) {
    return InvalidArgument(
        "in-toto statement: predicateType must be non-empty UTF-8");
  }
  if (!st.predicate.is_object()) {
    return InvalidArgument("in-toto statement: predicate must be an object");
  }
  return Status::Ok();
}

}  // namespace

Result<Json> StatementToJson(const Statement& statement) {
  WFS_RETURN_IF_ERROR(CheckStatement(statement));
  Json subjects = Json::array();
  for (const Subject& s : statement.subjects) {
    subjects.push_back({{"name", s.name}, {"digest", {{"sha256", s.sha256}}}});
  }
  return Json{{"_type", kInTotoStatementType},
              {"subject", std::move(subjects)},
              {"predicateType", statement.predicate_type},
              {"predicate", statement.predicate}};
}

Result<Statement> StatementFromJson(const Json& json) {
  if (!json.is_object()) {
    return InvalidArgument("in-toto statement: must be a JSON object");
  }
  auto type = json.find("_type");
  if (type == json.end() || !type->is_string() ||
      type->get_ref<const std::string&>() != kInTotoStatementType) {
    return InvalidArgument(StrCat("in-toto statement: \"_type\" must be \"",
                                  kInTotoStatementType, "\""));
  }
  Statement st;
  auto subjects = json.find("subject");
  if (subjects == json.end() || !subjects->is_array()) {
    return InvalidArgument("in-toto statement: \"subject\" must be an array");
  }
  if (subjects->size() > kMaxStatementSubjects) {
    return InvalidArgument(StrCat("in-toto statement: more than ",
                                  kMaxStatementSubjects, " subjects"));
  }
  for (size_t i = 0; i < subjects->size(); ++i) {
    const Json& s = (*subjects)[i];
    std::string where = StrCat("in-toto statement: subject[", i, "]");
    if (!s.is_object()) {
      return InvalidArgument(StrCat(where, " must be an object"));
    }
    Subject subject;
    auto name = s.find("name");
    if (name != s.end()) {
      if (!name->is_string()) {
        return InvalidArgument(StrCat(where, ".name must be a string"));
      }
      subject.name = name->get<std::string>();
    }
    auto digest = s.find("digest");
    if (digest == s.end() || !digest->is_object()) {
      return InvalidArgument(StrCat(where, ".digest must be an object"));
    }
    auto sha = digest->find("sha256");
    if (sha == digest->end() || !sha->is_string()) {
      return InvalidArgument(StrCat(where, ".digest has no sha256 string"));
    }
    subject.sha256 = sha->get<std::string>();
    st.subjects.push_back(std::move(subject));
  }
  auto ptype = json.find("predicateType");
  if (ptype == json.end() || !ptype->is_string()) {
    return InvalidArgument(
        "in-toto statement: \"predicateType\" must be a string");
  }
  st.predicate_type = ptype->get<std::string>();
  auto pred = json.find("predicate");
  if (pred != json.end() && !pred->is_null()) st.predicate = *pred;
  WFS_RETURN_IF_ERROR(CheckStatement(st));
  return st;
}

Result<Statement> ParseStatement(std::string_view payload) {
  auto json = ParseJson(payload);
  if (!json.ok()) return json.status().WithContext("in-toto statement");
  return StatementFromJson(*json);
}

Result<DsseEnvelope> SignStatement(const Statement& statement,
                                   const SecretKey& key) {
  WFS_ASSIGN_OR_RETURN(Json json, StatementToJson(statement));
  return SignDsse(kInTotoPayloadType, CanonicalJson(json), key);
}

Result<VerifiedStatement> VerifyStatement(const DsseEnvelope& envelope,
                                          std::span<const PublicKey> keys) {
  VerifiedStatement out;
  WFS_ASSIGN_OR_RETURN(out.key_ids, VerifyDsse(envelope, keys));
  if (envelope.payload_type != kInTotoPayloadType) {
    return InvalidArgument(StrCat("DSSE payloadType is ",
                                  Quote(envelope.payload_type), ", not \"",
                                  kInTotoPayloadType, "\""));
  }
  WFS_ASSIGN_OR_RETURN(out.statement, ParseStatement(envelope.payload));
  return out;
}

}  // namespace wfs::crypto
