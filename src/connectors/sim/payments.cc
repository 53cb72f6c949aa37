// The payments simulator: saved payees, accounts with balances, payments
// made. Amounts are exact: decimals are handled as integer micro-units.
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

using K = ArgKind;

class PaymentsSimulator final : public Simulator {
 public:
  explicit PaymentsSimulator(World* world)
      : Simulator("payments", world,
                  {{"payees", true, {{"name", K::kString}}, {}},
                   {"balance", true, {{"account", K::kString}}, {}},
                   {"pay",
                    false,
                    {{"from", K::kString},
                     {"to", K::kString},
                     {"amount", K::kDecimal},
                     {"memo", K::kString}},
                    {}}}) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    ActionResponse out;
    if (action == "payees") {
      const std::string name = r.args["name"].get<std::string>();
      out.result = Json::array();
      for (const Json& p : Collection("payees")) {
        if (ContainsFold(StringField(p, "name"), name)) {
          out.result.push_back(PublicRecord(p));
        }
      }
      return out;
    }
    const std::string account =
        r.args[action == "pay" ? "from" : "account"].get<std::string>();
    WFS_RETURN_IF_ERROR(CheckExactScope(r, "payments", "account", account));
    Json* acct = nullptr;
    for (Json& a : Collection("accounts")) {
      if (a.is_object() && StringField(a, "id") == account) {
        acct = &a;
        break;
      }
    }
    if (acct == nullptr) {
      return NotFound(StrCat("payments: no account ", Quote(account)));
    }
    Result<int64_t> balance = ParseDecimalMicros(StringField(*acct, "balance", "0"));
    if (!balance.ok()) {
      return DataLoss(StrCat("payments: account ", Quote(account),
                             " has an invalid balance"));
    }
    if (action == "balance") {
      out.result = FormatDecimalMicros(*balance);
      return out;
    }
    const std::string to = r.args["to"].get<std::string>();
    if (Trim(to).empty()) return Bad(r, "argument `to` must name an IBAN");
    const std::string text = r.args["amount"].get<std::string>();
    int64_t amount = ParseDecimalMicros(text).value();
    if (amount <= 0) {
      return Bad(r, StrCat("argument `amount` must be above 0, got ",
                           Quote(text)));
    }
    if (*balance < amount) {
      return FailedPrecondition(
          StrCat("payments.pay: insufficient funds in ", Quote(account),
                 ": balance ", FormatDecimalMicros(*balance), ", amount ",
                 FormatDecimalMicros(amount)));
    }
    Json& payments = Collection("payments");
    std::string id = NextId("next_payment", "pay", [&](const std::string& c) {
      for (const Json& p : payments) {
        if (StringField(p, "id") == c) return true;
      }
      return false;
    });
    (*acct)["balance"] = FormatDecimalMicros(*balance - amount);
    Json payment = Json::object();
    payment["id"] = id;
    payment["from"] = account;
    payment["to"] = to;
    payment["amount"] = FormatDecimalMicros(amount);
    payment["memo"] = r.args["memo"];
    payments.push_back(std::move(payment));
    out.result = id;
    return out;
  }
};

}  // namespace

std::unique_ptr<Connector> MakePaymentsSimulator(World* world) {
  return std::make_unique<PaymentsSimulator>(world);
}

}  // namespace wfs::connectors::sim
