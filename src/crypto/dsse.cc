#include "crypto/dsse.h"

#include "base/strings.h"
#include "crypto/internal.h"

namespace wfs::crypto {

namespace {

using internal::AsChars;

Status CheckPayloadType(std::string_view payload_type) {
  if (payload_type.empty()) {
    return InvalidArgument("DSSE payloadType must not be empty");
  }
  if (!IsValidUtf8(payload_type)) {
    return InvalidArgument("DSSE payloadType must be valid UTF-8");
  }
  return Status::Ok();
}

// A string field of `obj`: kInvalidArgument naming `field` when it is
// missing (unless `optional`) or not a string.
Result<std::string> StringField(const Json& obj, const char* field,
                                std::string_view where, bool optional) {
  auto it = obj.find(field);
  if (it == obj.end() || (optional && it->is_null())) {
    if (optional) return std::string();
    return InvalidArgument(StrCat(where, ": missing \"", field, "\""));
  }
  if (!it->is_string()) {
    return InvalidArgument(StrCat(where, ": \"", field, "\" must be a string"));
  }
  return it->get<std::string>();
}

}  // namespace

std::string DssePae(std::string_view payload_type, std::string_view payload) {
  return StrCat("DSSEv1 ", payload_type.size(), " ", payload_type, " ",
                payload.size(), " ", payload);
}

Result<DsseEnvelope> SignDsse(std::string_view payload_type,
                              std::string_view payload, const SecretKey& key) {
  DsseEnvelope env;
  env.payload_type = std::string(payload_type);
  env.payload = std::string(payload);
  WFS_RETURN_IF_ERROR(AddDsseSignature(&env, key));
  return env;
}

Status AddDsseSignature(DsseEnvelope* envelope, const SecretKey& key) {
  WFS_RETURN_IF_ERROR(CheckPayloadType(envelope->payload_type));
  if (envelope->signatures.size() >= kMaxDsseSignatures) {
    return ResourceExhausted(StrCat("a DSSE envelope holds at most ",
                                    kMaxDsseSignatures, " signatures"));
  }
  auto sig =
      key.SignDetached(DssePae(envelope->payload_type, envelope->payload));
  envelope->signatures.push_back(
      DsseSignature{KeyIdHex(key.key_id()), std::string(AsChars(sig))});
  return Status::Ok();
}

Json DsseEnvelopeToJson(const DsseEnvelope& envelope) {
  Json sigs = Json::array();
  for (const DsseSignature& s : envelope.signatures) {
    Json j = {{"sig", internal::Base64Encode(s.sig)}};
    if (!s.keyid.empty()) j["keyid"] = s.keyid;
    sigs.push_back(std::move(j));
  }
  return Json{{"payload", internal::Base64Encode(envelope.payload)},
              {"payloadType", envelope.payload_type},
              {"signatures", std::move(sigs)}};
}

std::string FormatDsseEnvelope(const DsseEnvelope& envelope) {
  return CanonicalJson(DsseEnvelopeToJson(envelope));
}

Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json_text) {
  JsonLimits limits;
  limits.max_bytes = kMaxDsseEnvelopeBytes;
  limits.max_depth = 16;  // envelopes are shallow; payloads are base64
  auto json = ParseJson(json_text, limits);
  if (!json.ok()) return json.status().WithContext("DSSE envelope");
  return DsseEnvelopeFromJson(*json);
}

Result<DsseEnvelope> DsseEnvelopeFromJson(const Json& json) {
  constexpr std::string_view kWhere = "DSSE envelope";
  if (!json.is_object()) {
    return InvalidArgument("DSSE envelope: must be a JSON object");
  }
  DsseEnvelope env;
  WFS_ASSIGN_OR_RETURN(env.payload_type,
                       StringField(json, "payloadType", kWhere, false));
  if (!IsValidUtf8(env.payload_type)) {
    return InvalidArgument("DSSE envelope: payloadType is not valid UTF-8");
  }
  WFS_ASSIGN_OR_RETURN(std::string payload_b64,
                       StringField(json, "payload", kWhere, false));
  auto payload = internal::Base64Decode(payload_b64, kMaxDsseEnvelopeBytes,
                                        internal::Base64Variants::kAny);
  if (!payload.ok()) return payload.status().WithContext("DSSE payload");
  env.payload = std::move(payload).value();

  auto sigs = json.find("signatures");
  if (sigs == json.end()) {
    return InvalidArgument("DSSE envelope: missing \"signatures\"");
  }
  if (!sigs->is_array()) {
    return InvalidArgument("DSSE envelope: \"signatures\" must be an array");
  }
  if (sigs->empty()) {
    return InvalidArgument("DSSE envelope: \"signatures\" is empty");
  }
  if (sigs->size() > kMaxDsseSignatures) {
    return InvalidArgument(StrCat("DSSE envelope: ", sigs->size(),
                                  " signatures; at most ", kMaxDsseSignatures,
                                  " are accepted"));
  }
  for (size_t i = 0; i < sigs->size(); ++i) {
    const Json& s = (*sigs)[i];
    std::string where = StrCat("DSSE signatures[", i, "]");
    if (!s.is_object()) {
      return InvalidArgument(StrCat(where, ": must be a JSON object"));
    }
    DsseSignature sig;
    WFS_ASSIGN_OR_RETURN(sig.keyid, StringField(s, "keyid", where, true));
    if (sig.keyid.size() > kMaxDsseKeyIdBytes) {
      return InvalidArgument(
          StrCat(where, ": keyid longer than ", kMaxDsseKeyIdBytes, " bytes"));
    }
    WFS_ASSIGN_OR_RETURN(std::string sig_b64,
                         StringField(s, "sig", where, false));
    auto raw = internal::Base64Decode(sig_b64, kMaxDsseSigBytes,
                                      internal::Base64Variants::kAny);
    if (!raw.ok()) return raw.status().WithContext(StrCat(where, ".sig"));
    sig.sig = std::move(raw).value();
    env.signatures.push_back(std::move(sig));
  }
  return env;
}

Result<std::vector<std::string>> VerifyDsse(const DsseEnvelope& envelope,
                                            std::span<const PublicKey> keys) {
  if (keys.empty()) {
    return InvalidArgument("DSSE verification needs at least one public key");
  }
  const std::string pae = DssePae(envelope.payload_type, envelope.payload);
  std::vector<std::string> accepted;
  for (size_t k = 0; k < keys.size(); ++k) {
    bool seen = false;
    for (size_t j = 0; j < k && !seen; ++j) seen = keys[j] == keys[k];
    if (seen) continue;
    for (const DsseSignature& s : envelope.signatures) {
      if (internal::VerifyEd25519(keys[k], pae, s.sig)) {
        accepted.push_back(KeyIdHex(keys[k].key_id));
        break;
      }
    }
  }
  if (accepted.empty()) {
    return Unauthenticated(StrCat("DSSE envelope: none of its ",
                                  envelope.signatures.size(),
                                  " signature(s) verifies under any of the ",
                                  keys.size(), " trusted key(s)"));
  }
  return accepted;
}

}  // namespace wfs::crypto
