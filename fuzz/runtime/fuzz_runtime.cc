// Fuzzes the runtime's untrusted inputs: world fixtures (--world files, test
// data) and IR documents (packages), then runs what loads on simulators.
// Input: one byte selecting the mode, then JSON.
//   mode 0: a world; delete_message and apply_fix run on it.
//   mode 1: an IR; it runs with generated inputs on an empty world.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/json.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/world.h"
#include "lang/compiler.h"
#include "runtime/interpreter.h"
#include "runtime/program.h"
#include "testing/generate.h"

namespace {

struct Setup {
  std::unique_ptr<wfs::lang::Compiler> compiler;
  wfs::connectors::sim::WorldSchema schema;
  wfs::runtime::ProgramPtr delete_message;
  wfs::runtime::ProgramPtr apply_fix;
};

wfs::runtime::ProgramPtr Compile(wfs::lang::Compiler& c, const char* src) {
  auto out = c.Check({{"f.wf", src}});
  if (!out[0].ok) __builtin_trap();
  return wfs::runtime::Program::FromIr(out[0].ir(), out[0].content_id).value();
}

const Setup& Get() {
  static Setup* s = [] {
    auto* st = new Setup;
    st->compiler = wfs::lang::Compiler::Create(wfs::lang::CompilerOptions{});
    st->schema =
        wfs::connectors::sim::SchemaFromInterfaces(st->compiler->interfaces());
    st->delete_message = Compile(*st->compiler, R"(workflow f.del 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  uses mail.read, mail.delete
  scope mail.mailbox = mailbox
  limit mail.delete <= 1
  run {
    let m = mail.get(id)
    confirm "Delete {m.subject} from {m.from}?"
    mail.delete(m.id)
  }
})");
    st->apply_fix = Compile(*st->compiler, R"(workflow f.fix 1.0.0 {
  summary "s"
  intent "i"
  input repo: fs.Path "r"
  input path: fs.Path "p"
  uses fs.read, fs.update, git.read, git.create
  scope fs.root = repo
  scope git.repo = repo
  limit fs.update <= 1
  limit git.create <= 2
  run {
    let cp = git.checkpoint(repo)
    let t = fs.read(path)
    fs.write(path, replace(t, "a", "b"))
    let d = git.diff(repo)
    confirm "Commit {d}?"
    let c = git.commit(repo, "m")
  }
})");
    return st;
  }();
  return *s;
}

void RunOn(const wfs::runtime::Program& p, const wfs::Json& world_doc,
           const wfs::Json& inputs, const Setup& s) {
  auto world = wfs::connectors::sim::World::FromJson(world_doc, s.schema);
  if (!world.ok()) return;
  auto sims = wfs::connectors::sim::MakeSimulators(&*world);
  wfs::connectors::ConnectorSet set;
  for (auto& c : sims) set.Add(c.get());
  wfs::runtime::FixedApprover approve(wfs::runtime::Answer::Approve());
  wfs::runtime::ExecContext ctx;
  ctx.connectors = &set;
  ctx.approver = &approve;
  ctx.options.max_steps = 100000;
  ctx.options.max_bytes = 8 << 20;
  auto r = wfs::runtime::Execute(p, inputs, ctx);
  if (r.ok()) (void)r->Audit(p);
  // The world must still serialize and load after any run.
  auto again = wfs::connectors::sim::World::FromJson(world->ToJson(), s.schema);
  if (!again.ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const Setup& s = Get();
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto doc = wfs::ParseJson(text);
  if (!doc.ok()) return 0;
  if (data[0] % 2 == 0) {
    RunOn(*s.delete_message, *doc, {{"id", "a"}, {"mailbox", "INBOX"}}, s);
    RunOn(*s.apply_fix, *doc, {{"repo", "/repo"}, {"path", "a.txt"}}, s);
    return 0;
  }
  auto program = wfs::runtime::Program::FromIr(*doc, "sha256:fuzz");
  if (!program.ok()) return 0;
  wfs::testing::Generator gen(size);
  wfs::Json inputs = wfs::Json::object();
  for (const auto& in : (*program)->inputs) {
    const wfs::Json& types = (*program)->ir["inputs"];
    for (const wfs::Json& t : types) {
      if (t.value("name", "") == in.name) {
        inputs[in.name] = gen.Value(t.value("type", wfs::Json()));
      }
    }
  }
  RunOn(**program, wfs::Json::object(), inputs, s);
  return 0;
}
