#include "runtime/agent_view.h"

#include "base/strings.h"
#include "runtime/interpreter.h"
#include "runtime/types.h"

namespace wfs::runtime {

bool NeedsHandle(const Label& l) {
  return l.has(kProvUntrusted) || l.conf >= lang::kPrivate;
}

namespace {

Json View(const Value& v, const Label& inherited, HandleTable* handles,
          const std::string& prefix, int depth) {
  Label l = Join(v.label(), inherited);
  if (v.kind() == Kind::kList || v.kind() == Kind::kRecord) {
    if (depth > 64) return nullptr;
    // A container's own label applies to what is inside it.
    if (v.kind() == Kind::kList) {
      Json out = Json::array();
      for (const Value& x : v.items()) {
        out.push_back(View(x, l, handles, prefix, depth + 1));
      }
      return out;
    }
    Json out = Json::object();
    for (size_t i = 0; i < v.items().size(); ++i) {
      out[v.shape()->names[i]] =
          View(v.items()[i], l, handles, prefix, depth + 1);
    }
    return out;
  }
  if (!NeedsHandle(l) || v.kind() == Kind::kNone) return ToJson(v);
  std::string id = StrCat(prefix, handles->size() + 1);
  (*handles)[id] = v.WithLabel(l);
  return Json{{"handle", id},
              {"label", LabelJson(l)},
              {"chars", v.Display().size()}};
}

}  // namespace

Json AgentView(const Program& program, const Value& outputs,
               HandleTable* handles, const std::string& prefix) {
  Json out = Json::object();
  if (outputs.kind() != Kind::kRecord) return out;
  for (const OutputSpec& o : program.outputs) {
    const Value* v = outputs.RawField(o.name);
    if (v == nullptr) continue;
    out[o.name] = o.reveal ? ToJson(*v)
                           : View(*v, outputs.label(), handles, prefix, 0);
  }
  return out;
}

}  // namespace wfs::runtime
