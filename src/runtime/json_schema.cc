#include "runtime/json_schema.h"

namespace wfs::runtime {
namespace {

// A value replaced by a handle (see agent_view.h).
Json HandleSchema() {
  return Json{{"type", "object"},
              {"description",
               "a handle: the value is untrusted or private and goes to the "
               "person, not the model; pass the handle on to use it"},
              {"properties",
               {{"handle", {{"type", "string"}}},
                {"label", {{"type", "object"}}},
                {"chars", {{"type", "integer"}}}}},
              {"required", Json::array({"handle"})}};
}

// The schema of a value of type `t` as the agent receives it when the
// output is not revealed: any leaf may be a handle (labels come from where
// a value came from at run time, not only from its declared type).
Json AgentSchemaFor(const RType& t) {
  switch (t.k) {
    case RType::kNominal:
      return AgentSchemaFor(*t.elem);
    case RType::kOptional:
      return Json{{"anyOf", Json::array({AgentSchemaFor(*t.elem),
                                         Json{{"type", "null"}}})}};
    case RType::kList:
      return Json{{"type", "array"}, {"items", AgentSchemaFor(*t.elem)}};
    case RType::kRecord: {
      Json props = Json::object();
      Json required = Json::array();
      for (const RField& f : t.fields) {
        props[f.name] = AgentSchemaFor(*f.type);
        if (f.type->k != RType::kOptional) required.push_back(f.name);
      }
      return Json{{"type", "object"}, {"properties", props},
                  {"required", required}};
    }
    default:
      return Json{{"anyOf", Json::array({JsonSchemaFor(t), HandleSchema()})}};
  }
}

}  // namespace

Json JsonSchemaFor(const RType& t) {
  switch (t.k) {
    case RType::kAny:
      return Json::object();
    case RType::kBool:
      return Json{{"type", "boolean"}};
    case RType::kInt:
      return Json{{"type", "integer"}};
    case RType::kDecimal:
      return Json{{"type", {"string", "number"}},
                  {"description", "a decimal number, e.g. \"12.50\""}};
    case RType::kString:
      return Json{{"type", "string"}};
    case RType::kBytes:
      return Json{{"type", "string"}, {"description", "bytes"}};
    case RType::kTime:
      return Json{{"type", "string"}, {"format", "date-time"}};
    case RType::kDuration:
      return Json{{"type", "integer"}, {"description", "milliseconds"}};
    case RType::kEnum:
      return Json{{"type", "string"}, {"enum", t.values}};
    case RType::kNominal: {
      Json j = JsonSchemaFor(*t.elem);
      j["title"] = t.name;
      return j;
    }
    case RType::kOptional: {
      Json inner = JsonSchemaFor(*t.elem);
      return Json{{"anyOf", Json::array({inner, Json{{"type", "null"}}})}};
    }
    case RType::kList:
      return Json{{"type", "array"}, {"items", JsonSchemaFor(*t.elem)}};
    case RType::kRecord: {
      Json props = Json::object();
      Json required = Json::array();
      for (const RField& f : t.fields) {
        props[f.name] = JsonSchemaFor(*f.type);
        if (f.type->k != RType::kOptional) required.push_back(f.name);
      }
      return Json{{"type", "object"},
                  {"properties", props},
                  {"required", required},
                  {"additionalProperties", false}};
    }
  }
  return Json::object();
}

Json InputSchema(const Program& program) {
  Json props = Json::object();
  Json required = Json::array();
  for (const InputSpec& in : program.inputs) {
    Json s = JsonSchemaFor(*in.type);
    if (!in.doc.empty()) s["description"] = in.doc;
    props[in.name] = s;
    if (in.type->k != RType::kOptional) required.push_back(in.name);
  }
  return Json{{"type", "object"},
              {"properties", props},
              {"required", required},
              {"additionalProperties", false}};
}

Json OutputSchema(const Program& program) {
  Json props = Json::object();
  Json required = Json::array();
  for (const OutputSpec& out : program.outputs) {
    Json s = out.reveal ? JsonSchemaFor(*out.type) : AgentSchemaFor(*out.type);
    if (!out.doc.empty()) s["description"] = out.doc;
    props[out.name] = s;
    required.push_back(out.name);
  }
  return Json{{"type", "object"}, {"properties", props}, {"required", required}};
}

}  // namespace wfs::runtime
